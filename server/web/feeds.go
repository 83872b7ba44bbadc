package web

import (
	"encoding/xml"
	"net/http"
	"strings"
	"time"

	"roost/server/app"
	"roost/server/content"
	"roost/store"
)

// feedSize is how many posts a feed carries.
const feedSize = 20

// Feed content types. Atom is RFC 4287; RSS is RSS 2.0 (https://www.rssboard.org/rss-specification).
const (
	atomContentType = "application/atom+xml; charset=utf-8"
	rssContentType  = "application/rss+xml; charset=utf-8"
)

func (h *Handler) atomURL() string { return h.app.ActorIRI() + "/feed.atom" }

func (h *Handler) rssURL() string { return h.app.ActorIRI() + "/feed.rss" }

// profileFeed returns the feed handler for /@{name}.atom and /@{name}.rss (Mastodon's feed URLs),
// or nil when the {at} segment is not one of them.
func (h *Handler) profileFeed(r *http.Request) http.HandlerFunc {
	at := r.PathValue("at")
	for ext, feed := range map[string]http.HandlerFunc{".atom": h.showAtom, ".rss": h.showRSS} {
		if base, ok := strings.CutSuffix(at, ext); ok && base == "@"+h.app.Owner.Account.Username {
			r.SetPathValue("name", h.app.Owner.Account.Username)
			return feed
		}
	}
	return nil
}

// feedItem is one post as both feeds need it.
type feedItem struct {
	post  *store.Post
	title string
	html  string // the content, with a content warning and attachments spelled out
}

// feedItems loads the owner's newest public posts for a feed, or answers the request itself (404
// or 500) and returns false.
func (h *Handler) feedItems(w http.ResponseWriter, r *http.Request) (*store.Account, []feedItem, bool) {
	if r.PathValue("name") != h.app.Owner.Account.Username {
		h.notFound(w, r)
		return nil, nil, false
	}
	ctx := r.Context()
	o, err := h.st.AccountByID(ctx, h.app.Owner.Account.ID)
	if err != nil {
		h.serverError(w, r, err)
		return nil, nil, false
	}
	posts, _, err := h.publicPosts(ctx, 0, feedSize)
	if err != nil {
		h.serverError(w, r, err)
		return nil, nil, false
	}
	items := make([]feedItem, 0, len(posts))
	for _, p := range posts {
		items = append(items, feedItem{post: p, title: h.feedTitle(p), html: h.feedHTML(p)})
	}
	return o, items, true
}

// feedTitle is a post's title in a feed: its content warning, or the start of its text.
func (h *Handler) feedTitle(p *store.Post) string {
	if p.Summary != "" {
		return "CW: " + excerpt(p.Summary, 80)
	}
	if t := excerpt(h.app.Sanitize.Text(p.Content), 80); t != "" {
		return t
	}
	return "Post of " + p.Published.UTC().Format("2006-01-02 15:04")
}

// feedHTML is the post's HTML for a feed reader: the sanitized content, after the content
// warning when there is one, and links to the attachments (readers show enclosures unevenly).
func (h *Handler) feedHTML(p *store.Post) string {
	var b strings.Builder
	if p.Summary != "" {
		b.WriteString("<p><strong>CW: " + app.HTMLEscape(p.Summary) + "</strong></p>")
	}
	b.WriteString(p.Content)
	for _, a := range p.Attachments {
		u := content.SafeURL(a.URL)
		if u == "" {
			continue
		}
		label := a.Name
		if label == "" {
			label = "attachment"
		}
		if strings.HasPrefix(a.MediaType, "image/") || (a.MediaType == "" && a.Type == "Image") {
			b.WriteString(`<p><img src="` + app.HTMLEscape(u) + `" alt="` + app.HTMLEscape(a.Name) + `"/></p>`)
		} else {
			b.WriteString(`<p><a href="` + app.HTMLEscape(u) + `">` + app.HTMLEscape(label) + `</a></p>`)
		}
	}
	return b.String()
}

func writeFeed(w http.ResponseWriter, r *http.Request, contentType string, doc any) error {
	body, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	w.Write([]byte(xml.Header))
	w.Write(body)
	return nil
}

type atomFeed struct {
	XMLName  xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID       string      `xml:"id"`
	Title    string      `xml:"title"`
	Subtitle string      `xml:"subtitle,omitempty"`
	Updated  string      `xml:"updated"`
	Links    []atomLink  `xml:"link"`
	Author   atomPerson  `xml:"author"`
	Icon     string      `xml:"icon,omitempty"`
	Entries  []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomPerson struct {
	Name string `xml:"name"`
	URI  string `xml:"uri,omitempty"`
}

type atomText struct {
	Type string `xml:"type,attr,omitempty"`
	Body string `xml:",chardata"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     string     `xml:"title"`
	Published string     `xml:"published"`
	Updated   string     `xml:"updated"`
	Links     []atomLink `xml:"link"`
	Summary   *atomText  `xml:"summary,omitempty"`
	Content   atomText   `xml:"content"`
}

// showAtom answers /users/{name}/feed.atom: the owner's newest public posts as an Atom feed.
func (h *Handler) showAtom(w http.ResponseWriter, r *http.Request) {
	o, items, ok := h.feedItems(w, r)
	if !ok {
		return
	}
	feed := atomFeed{
		ID: o.URL, Title: ownerName(o) + " (@" + o.Username + "@" + h.cfg.HandleDomain + ")",
		Subtitle: excerpt(h.app.Sanitize.Text(o.Summary), descriptionChars),
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: h.atomURL()},
			{Rel: "alternate", Type: "text/html", Href: o.URL},
		},
		Author: atomPerson{Name: ownerName(o), URI: o.URL},
		Icon:   content.SafeURL(o.AvatarURL),
	}
	updated := o.CreatedAt
	for _, it := range items {
		p := it.post
		e := atomEntry{
			ID: p.IRI, Title: it.title, Published: rfc3339(p.Published), Updated: rfc3339(lastChange(p)),
			Links:   []atomLink{{Rel: "alternate", Type: "text/html", Href: p.URL}},
			Content: atomText{Type: "html", Body: it.html},
		}
		if p.Summary != "" {
			e.Summary = &atomText{Type: "text", Body: p.Summary}
		}
		for _, a := range p.Attachments {
			if u := content.SafeURL(a.URL); u != "" {
				e.Links = append(e.Links, atomLink{Rel: "enclosure", Type: a.MediaType, Href: u})
			}
		}
		feed.Entries = append(feed.Entries, e)
		if t := lastChange(p); t.After(updated) {
			updated = t
		}
	}
	feed.Updated = rfc3339(updated)
	if err := writeFeed(w, r, atomContentType, feed); err != nil {
		h.serverError(w, r, err)
	}
}

type rssFeed struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	AtomNS  string     `xml:"xmlns:atom,attr"`
	Channel rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title         string    `xml:"title"`
	Link          string    `xml:"link"`
	Description   string    `xml:"description"`
	LastBuildDate string    `xml:"lastBuildDate,omitempty"`
	Self          atomSelf  `xml:"atom:link"`
	Image         *rssImage `xml:"image,omitempty"`
	Items         []rssItem `xml:"item"`
}

// atomSelf is the atom:link rel="self" that RSS feeds carry (https://www.rssboard.org/rss-profile#namespace-elements-atom-link).
type atomSelf struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr"`
	Href string `xml:"href,attr"`
}

type rssImage struct {
	URL   string `xml:"url"`
	Title string `xml:"title"`
	Link  string `xml:"link"`
}

type rssItem struct {
	Title       string         `xml:"title"`
	Link        string         `xml:"link"`
	GUID        rssGUID        `xml:"guid"`
	PubDate     string         `xml:"pubDate"`
	Description string         `xml:"description"`
	Enclosures  []rssEnclosure `xml:"enclosure"`
}

type rssGUID struct {
	IsPermaLink bool   `xml:"isPermaLink,attr"`
	ID          string `xml:",chardata"`
}

type rssEnclosure struct {
	URL    string `xml:"url,attr"`
	Type   string `xml:"type,attr"`
	Length int    `xml:"length,attr"` // required by RSS; unknown, so 0 as is customary
}

// showRSS answers /users/{name}/feed.rss: the owner's newest public posts as an RSS 2.0 feed.
func (h *Handler) showRSS(w http.ResponseWriter, r *http.Request) {
	o, items, ok := h.feedItems(w, r)
	if !ok {
		return
	}
	title := ownerName(o) + " (@" + o.Username + "@" + h.cfg.HandleDomain + ")"
	ch := rssChannel{
		Title: title, Link: o.URL,
		Description: "Public posts of " + title,
		Self:        atomSelf{Rel: "self", Type: "application/rss+xml", Href: h.rssURL()},
	}
	if bio := excerpt(h.app.Sanitize.Text(o.Summary), descriptionChars); bio != "" {
		ch.Description = bio
	}
	if u := content.SafeURL(o.AvatarURL); u != "" {
		ch.Image = &rssImage{URL: u, Title: title, Link: o.URL}
	}
	var updated time.Time
	for _, it := range items {
		p := it.post
		item := rssItem{Title: it.title, Link: p.URL, GUID: rssGUID{IsPermaLink: true, ID: p.URL},
			PubDate: p.Published.UTC().Format(time.RFC1123Z), Description: it.html}
		for _, a := range p.Attachments {
			if u := content.SafeURL(a.URL); u != "" {
				typ := a.MediaType
				if typ == "" {
					typ = "application/octet-stream"
				}
				item.Enclosures = append(item.Enclosures, rssEnclosure{URL: u, Type: typ})
			}
		}
		ch.Items = append(ch.Items, item)
		if t := lastChange(p); t.After(updated) {
			updated = t
		}
	}
	if !updated.IsZero() {
		ch.LastBuildDate = updated.UTC().Format(time.RFC1123Z)
	}
	if err := writeFeed(w, r, rssContentType, rssFeed{Version: "2.0", AtomNS: "http://www.w3.org/2005/Atom",
		Channel: ch}); err != nil {
		h.serverError(w, r, err)
	}
}

// lastChange is when a post was last edited, or published.
func lastChange(p *store.Post) time.Time {
	if p.Updated.After(p.Published) {
		return p.Updated
	}
	return p.Published
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }
