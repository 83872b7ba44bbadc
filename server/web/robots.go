package web

import (
	"net/http"
	"strings"

	"roost/store"
)

// aiCrawlers are the user agents of the crawlers that gather text for AI models, as their
// operators document them (OpenAI, Common Crawl, Anthropic, Google's and Apple's AI training
// tokens, Perplexity, ByteDance, Amazon, Meta, Cohere and others); robots.txt disallows them when
// the owner opts out.
var aiCrawlers = []string{"GPTBot", "ChatGPT-User", "OAI-SearchBot", "CCBot", "ClaudeBot", "Claude-Web",
	"anthropic-ai", "Google-Extended", "Applebot-Extended", "PerplexityBot", "Bytespider", "Amazonbot",
	"meta-externalagent", "FacebookBot", "cohere-ai", "Diffbot", "omgili", "Timpibot", "YouBot", "ImagesiftBot"}

// showRobots answers /robots.txt: the public pages (profile, posts, tags, feeds) may be crawled,
// what belongs to the owner or to apps may not; with the owner's opt-outs, search engines are
// kept away from everything, and the known AI crawlers too.
func (h *Handler) showRobots(w http.ResponseWriter, r *http.Request) {
	o, err := h.st.AccountByID(r.Context(), h.app.Owner.Account.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write([]byte(robotsTxt(o)))
}

// robotsTxt is the robots.txt (RFC 9309) for the owner's choices.
func robotsTxt(o *store.Account) string {
	var b strings.Builder
	if o.NoAI {
		b.WriteString("# The owner keeps AI crawlers away.\n")
		for _, ua := range aiCrawlers {
			b.WriteString("User-agent: " + ua + "\n")
		}
		b.WriteString("Disallow: /\n\n")
	}
	b.WriteString("User-agent: *\n")
	if o.NoIndex {
		b.WriteString("# The owner keeps search engines away.\nDisallow: /\n")
		return b.String()
	}
	// The owner's pages and the APIs; the profile, posts, tags and feeds stay allowed.
	for _, p := range []string{"/api/", "/oauth/", "/settings/", "/login", "/home", "/compose", "/notifications",
		"/search", "/account", "/bookmarks", "/scheduled", "/edit", "/status", "/remote-follow", "/proxy/"} {
		b.WriteString("Disallow: " + p + "\n")
	}
	b.WriteString("Allow: /\n")
	return b.String()
}

// robotsMeta is the robots meta tag of every page for the owner's choices ("" for none).
func robotsMeta(o *store.Account) string {
	switch {
	case o.NoIndex && o.NoAI:
		return "noindex, noai, noimageai"
	case o.NoIndex:
		return "noindex"
	case o.NoAI:
		return "noai, noimageai"
	}
	return ""
}
