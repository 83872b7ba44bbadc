package server

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"roost/server/activitypub"
	"roost/server/app"
	"roost/store"
)

// What a visitor without an account sees: permalinks with their threads, tag pages, feeds, link
// previews, microformats and the remote follow form. Pages are parsed as a browser would, and
// the tests look at elements, not at substrings of the markup.

// pubServer is a Roost with no listener and no background workers, for pages that need no peer.
type pubServer struct {
	srv *Server
	st  *store.Store
	h   http.Handler
}

func newPubServer(t *testing.T, opts ...serverOption) *pubServer {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "roost.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := Config{Domain: "example.test", Scheme: "https", Username: "me"}
	for _, o := range opts {
		o(&cfg)
	}
	if _, _, err := Setup(ctx, st, cfg); err != nil {
		t.Fatalf("setup: %v", err)
	}
	srv, err := New(ctx, cfg, st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	return &pubServer{srv: srv, st: st, h: srv.Handler()}
}

// get requests path as a browser would and returns the recorded answer.
func (ps *pubServer) get(t *testing.T, path string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "https://example.test"+path, nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	rec := httptest.NewRecorder()
	ps.h.ServeHTTP(rec, req)
	return rec
}

// page requests path, requires a 200 HTML answer and parses it.
func (ps *pubServer) page(t *testing.T, path string) *html.Node {
	t.Helper()
	rec := ps.get(t, path)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200; body %.300s", path, rec.Code, rec.Body.String())
	}
	return pubParse(t, rec.Body.String())
}

func (ps *pubServer) post(t *testing.T, in app.PostInput) *store.Post {
	t.Helper()
	p, err := ps.srv.app.Post(context.Background(), in)
	if err != nil {
		t.Fatalf("post %q: %v", in.Text, err)
	}
	return p
}

func pubParse(t *testing.T, body string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse html: %v", err)
	}
	return doc
}

// pubPath is the path of an absolute URL of the test server.
func pubPath(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.RequestURI()
}

// pubAll returns every element under n for which match holds, in document order.
func pubAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && match(d) {
			out = append(out, d)
		}
	}
	return out
}

func pubFirst(t *testing.T, n *html.Node, what string, match func(*html.Node) bool) *html.Node {
	t.Helper()
	all := pubAll(n, match)
	if len(all) == 0 {
		t.Fatalf("no %s on the page", what)
	}
	return all[0]
}

func pubAttr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func pubHasClass(n *html.Node, class string) bool {
	v, _ := pubAttr(n, "class")
	return slices.Contains(strings.Fields(v), class)
}

func pubClass(class string) func(*html.Node) bool {
	return func(n *html.Node) bool { return pubHasClass(n, class) }
}

func pubTag(tag string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == tag }
}

// pubMeta finds <meta property=key> or <meta name=key> and returns its content.
func pubMeta(doc *html.Node, key string) (string, bool) {
	for _, m := range pubAll(doc, pubTag("meta")) {
		p, _ := pubAttr(m, "property")
		nm, _ := pubAttr(m, "name")
		if p == key || nm == key {
			return pubAttr(m, "content")
		}
	}
	return "", false
}

// pubText is the text of n and its descendants, whitespace collapsed.
func pubText(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// pubPostTexts returns the text of the e-content of every h-entry under n.
func pubPostTexts(n *html.Node) []string {
	var out []string
	for _, e := range pubAll(n, pubClass("h-entry")) {
		for _, c := range pubAll(e, pubClass("e-content")) {
			out = append(out, pubText(c))
		}
	}
	return out
}

// pubHasText reports whether one of texts contains s.
func pubHasText(texts []string, s string) bool {
	return slices.ContainsFunc(texts, func(t string) bool { return strings.Contains(t, s) })
}

// pubAssertNoActiveContent fails on anything that could run script: script, iframe, object,
// embed or style elements, on* attributes, javascript: or data: URLs in links and sources.
func pubAssertNoActiveContent(t *testing.T, doc *html.Node) {
	t.Helper()
	for _, n := range pubAll(doc, func(*html.Node) bool { return true }) {
		switch n.Data {
		case "script", "iframe", "object", "embed", "style", "base", "frame":
			t.Errorf("page has a <%s> element", n.Data)
		}
		for _, a := range n.Attr {
			if strings.HasPrefix(strings.ToLower(a.Key), "on") {
				t.Errorf("<%s> has an event handler %s=%q", n.Data, a.Key, a.Val)
			}
			if a.Key == "href" || a.Key == "src" || a.Key == "action" || a.Key == "formaction" {
				v := strings.ToLower(strings.TrimSpace(a.Val))
				if strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "data:") || strings.HasPrefix(v, "vbscript:") {
					t.Errorf("<%s %s=%q>", n.Data, a.Key, a.Val)
				}
			}
		}
	}
}

// TestPublicPermalinkThread delivers replies, a like and a boost through the inbox, as a peer
// would, and checks what a visitor sees on the permalink: the thread above and below, the counts,
// the content warning collapsed, the attachments, and nothing active from the hostile reply.
func TestPublicPermalinkThread(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	alice := newPeer(t, "alice")
	alice.setActorField("name", `<script>alert("name")</script>Alice`)

	root, err := ts.srv.app.Post(ctx, app.PostInput{Text: "the root of the thread"})
	if err != nil {
		t.Fatal(err)
	}
	focus, err := ts.srv.app.Post(ctx, app.PostInput{Text: "the spoiler itself", Summary: "film spoilers",
		InReplyTo: root.IRI})
	if err != nil {
		t.Fatal(err)
	}

	hostile := alice.note(`<p>nice one <script>alert(1)</script><img src="x" onerror="alert(2)">`+
		`<a href="javascript:alert(3)">click</a><iframe src="https://evil.test/"></iframe>`+
		`<style>body{display:none}</style><a href="https://ok.example/" onclick="alert(4)">ok link</a></p>`,
		[]string{activitypub.Public}, []string{ts.actor})
	hostile["inReplyTo"] = focus.IRI
	hostile["attachment"] = []any{
		map[string]any{"type": "Document", "mediaType": "image/png", "url": "https://media.example/cat.png",
			"name": `a cat <b>sitting</b>`},
		map[string]any{"type": "Document", "mediaType": "video/mp4", "url": "https://media.example/cat.mp4",
			"name": "the cat, moving"},
		map[string]any{"type": "Document", "mediaType": "image/png", "url": "javascript:alert(5)"},
	}
	alice.sendAccepted(t, ts, alice.create(hostile))

	private := alice.note("<p>a followers-only reply</p>", []string{alice.actor + "/followers"}, []string{ts.actor})
	private["inReplyTo"] = focus.IRI
	alice.sendAccepted(t, ts, alice.create(private))

	alice.sendAccepted(t, ts, alice.activity("Like", focus.IRI))
	boost := alice.activity("Announce", focus.IRI)
	boost["to"], boost["cc"] = []string{activitypub.Public}, []string{ts.actor}
	alice.sendAccepted(t, ts, boost)
	ts.waitInboxIdle(t)
	ts.waitPost(t, str(hostile["id"]))

	resp, body := ts.get(t, "/@me/"+strconv.FormatInt(focus.ID, 10), "text/html")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("permalink: status %d", resp.StatusCode)
	}
	doc := pubParse(t, string(body))
	pubAssertNoActiveContent(t, doc)

	anc := pubFirst(t, doc, "ancestors", pubClass("ancestors"))
	if got := pubPostTexts(anc); len(got) != 1 || !strings.Contains(got[0], "the root of the thread") {
		t.Errorf("ancestors = %q, want the root post", got)
	}

	main := pubFirst(t, doc, "focused post", pubClass("focus"))
	details := pubFirst(t, main, "content warning", pubTag("details"))
	if _, open := pubAttr(details, "open"); open {
		t.Error("the content warning is open; want it collapsed")
	}
	if s := pubText(pubFirst(t, details, "summary", pubTag("summary"))); s != "film spoilers" {
		t.Errorf("CW summary = %q", s)
	}
	if !strings.Contains(pubText(pubFirst(t, details, "content", pubClass("e-content"))), "the spoiler itself") {
		t.Error("the post's text is not inside the collapsed <details>")
	}
	for class, want := range map[string]string{"stat-replies": "1 reply", "stat-likes": "1 like", "stat-boosts": "1 boost"} {
		if got := pubText(pubFirst(t, main, class, pubClass(class))); got != want {
			t.Errorf("%s = %q, want %q", class, got, want)
		}
	}

	replies := pubFirst(t, doc, "replies", pubClass("replies"))
	texts := pubPostTexts(replies)
	if len(texts) != 1 || !strings.Contains(texts[0], "nice one") || !strings.Contains(texts[0], "ok link") {
		t.Errorf("replies = %q, want the one public reply", texts)
	}
	if strings.Contains(string(body), "followers-only reply") {
		t.Error("the followers-only reply is on the public page")
	}
	if name := pubText(pubFirst(t, replies, "reply author", pubClass("p-name"))); !strings.Contains(name, "Alice") {
		t.Errorf("reply author = %q", name)
	}

	var imgs []string
	for _, img := range pubAll(replies, pubTag("img")) {
		if pubHasClass(img, "avatar") || pubHasClass(img, "full") {
			continue // the author's picture; the image's full-screen view
		}
		src, _ := pubAttr(img, "src")
		alt, _ := pubAttr(img, "alt")
		imgs = append(imgs, src+" "+alt)
	}
	if want := []string{"https://media.example/cat.png a cat sitting"}; !slices.Equal(imgs, want) {
		t.Errorf("images = %q, want %q", imgs, want)
	}
	var links []string
	for _, a := range pubAll(replies, pubClass("attachment")) {
		href, _ := pubAttr(a, "href")
		links = append(links, href+" "+pubText(a))
	}
	if want := []string{"https://media.example/cat.mp4 the cat, moving"}; !slices.Equal(links, want) {
		t.Errorf("attachment links = %q, want %q", links, want)
	}
}

// TestPublicPermalinkHidden checks that posts outside the public's audience stay hidden, on
// their own permalink and above a public reply.
func TestPublicPermalinkHidden(t *testing.T) {
	ps := newPubServer(t)
	ctx := context.Background()
	priv := ps.post(t, app.PostInput{Text: "for followers only", Visibility: "followers"})
	reply := ps.post(t, app.PostInput{Text: "a public follow-up", Visibility: "public", InReplyTo: priv.IRI})
	unlisted := ps.post(t, app.PostInput{Text: "quietly public", Visibility: "unlisted"})
	gone := ps.post(t, app.PostInput{Text: "soon deleted"})
	if err := ps.st.DeletePost(ctx, gone.ID, nil); err != nil {
		t.Fatal(err)
	}
	id := ps.st.NewID()
	direct := &store.Post{ID: id, IRI: ps.srv.app.PostIRI(id), URL: ps.srv.app.PostURL(id), AccountID: ps.srv.Owner().ID,
		Type: "Note", Visibility: store.Direct, Content: "<p>a direct message</p>", Published: time.Now()}
	if err := ps.st.CreatePost(ctx, direct, store.NewPost{}, nil); err != nil {
		t.Fatal(err)
	}

	for _, p := range []*store.Post{priv, direct, gone} {
		if rec := ps.get(t, pubPath(t, p.URL)); rec.Code != http.StatusNotFound {
			t.Errorf("%s (%s): status %d, want 404", p.URL, p.Visibility, rec.Code)
		}
	}
	ps.page(t, pubPath(t, unlisted.URL))

	doc := ps.page(t, pubPath(t, reply.URL))
	if got := pubAll(doc, pubClass("ancestors")); len(got) != 0 {
		t.Errorf("the followers-only parent shows as an ancestor: %q", pubText(got[0]))
	}
	if texts := pubPostTexts(doc); len(texts) != 1 || !strings.Contains(texts[0], "a public follow-up") {
		t.Errorf("posts on the page = %q", texts)
	}
}

// TestPublicTagPage checks /tags/{tag}: only the owner's public posts with the tag, any case,
// newest first, paged.
func TestPublicTagPage(t *testing.T) {
	ps := newPubServer(t)
	ps.post(t, app.PostInput{Text: "first #Go post"})
	ps.post(t, app.PostInput{Text: "unlisted #go post", Visibility: "unlisted"})
	ps.post(t, app.PostInput{Text: "followers #go post", Visibility: "followers"})
	ps.post(t, app.PostInput{Text: "a #rust post"})
	ps.post(t, app.PostInput{Text: "go without the hash"})
	ps.post(t, app.PostInput{Text: "second #GO post"})

	for _, path := range []string{"/tags/go", "/tags/GO", "/tags/%23go"} {
		t.Run(path, func(t *testing.T) {
			doc := ps.page(t, path)
			got := pubPostTexts(doc)
			want := []string{"second #GO post", "first #Go post"}
			if len(got) != len(want) {
				t.Fatalf("posts = %q, want %q", got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("post %d = %q, want %q", i, got[i], want[i])
				}
			}
			if h := pubText(pubFirst(t, doc, "heading", pubTag("h1"))); h != "#go" {
				t.Errorf("heading = %q", h)
			}
		})
	}
	if got := pubPostTexts(ps.page(t, "/tags/nothing")); len(got) != 0 {
		t.Errorf("/tags/nothing lists %q", got)
	}

	for i := range 22 {
		ps.post(t, app.PostInput{Text: "paged #many " + strconv.Itoa(i)})
	}
	doc := ps.page(t, "/tags/many")
	if got := pubPostTexts(doc); len(got) != 20 || got[0] != "paged #many 21" {
		t.Fatalf("first page: %d posts starting %q", len(got), got)
	}
	older := pubFirst(t, doc, "older link", func(n *html.Node) bool {
		rel, _ := pubAttr(n, "rel")
		return n.Data == "a" && rel == "next"
	})
	href, _ := pubAttr(older, "href")
	if got := pubPostTexts(ps.page(t, pubPath(t, href))); !slices.Equal(got, []string{"paged #many 1", "paged #many 0"}) {
		t.Errorf("second page = %q", got)
	}
}

type pubAtom struct {
	XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
	Title   string   `xml:"title"`
	Updated string   `xml:"updated"`
	Entries []struct {
		ID      string `xml:"id"`
		Title   string `xml:"title"`
		Summary string `xml:"summary"`
		Links   []struct {
			Rel  string `xml:"rel,attr"`
			Href string `xml:"href,attr"`
		} `xml:"link"`
		Content struct {
			Type string `xml:"type,attr"`
			Body string `xml:",chardata"`
		} `xml:"content"`
	} `xml:"entry"`
}

type pubRSS struct {
	XMLName xml.Name `xml:"rss"`
	Version string   `xml:"version,attr"`
	Channel struct {
		Title string `xml:"title"`
		Self  struct {
			Href string `xml:"href,attr"`
		} `xml:"http://www.w3.org/2005/Atom link"`
		Items []struct {
			Title       string `xml:"title"`
			Link        string `xml:"link"`
			GUID        string `xml:"guid"`
			PubDate     string `xml:"pubDate"`
			Description string `xml:"description"`
		} `xml:"item"`
	} `xml:"channel"`
}

// TestFeeds checks the Atom and RSS feeds: content types, well-formed XML, the newest 20 public
// posts only, HTML content escaped as text, and the links to them from the pages.
func TestFeeds(t *testing.T) {
	ps := newPubServer(t)
	ps.post(t, app.PostInput{Text: "followers only secret", Visibility: "followers"})
	ps.post(t, app.PostInput{Text: "an unlisted aside", Visibility: "unlisted"})
	for i := range 21 {
		ps.post(t, app.PostInput{Text: "filler " + strconv.Itoa(i)})
	}
	cw := ps.post(t, app.PostInput{Text: "what happens at the end", Summary: "ending spoilers"})
	long := strings.Repeat("word ", 40)
	rich := ps.post(t, app.PostInput{Text: "Tom & Jerry say **hi** <script>alert(1)</script> " + long})

	atomPaths := []string{"/users/me/feed.atom", "/@me.atom"}
	for _, path := range atomPaths {
		t.Run(path, func(t *testing.T) {
			rec := ps.get(t, path)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/atom+xml; charset=utf-8" {
				t.Errorf("content type %q", ct)
			}
			var f pubAtom
			if err := xml.Unmarshal(rec.Body.Bytes(), &f); err != nil {
				t.Fatalf("atom does not parse: %v\n%s", err, rec.Body.String())
			}
			if len(f.Entries) != 20 {
				t.Fatalf("%d entries, want 20", len(f.Entries))
			}
			if _, err := time.Parse(time.RFC3339, f.Updated); err != nil {
				t.Errorf("feed updated %q: %v", f.Updated, err)
			}
			first := f.Entries[0]
			if first.ID != rich.IRI || first.Content.Type != "html" {
				t.Errorf("first entry %s type %q, want %s type html", first.ID, first.Content.Type, rich.IRI)
			}
			if !strings.Contains(first.Content.Body, "<strong>hi</strong>") || strings.Contains(first.Content.Body, "<script") {
				t.Errorf("first entry content = %q", first.Content.Body)
			}
			if n := len([]rune(first.Title)); n > 81 || !strings.HasPrefix(first.Title, "Tom & Jerry say hi") {
				t.Errorf("first title (%d chars) = %q", n, first.Title)
			}
			if first.Links[0].Rel != "alternate" || first.Links[0].Href != rich.URL {
				t.Errorf("first entry links = %+v", first.Links)
			}
			second := f.Entries[1]
			if second.ID != cw.IRI || strings.Contains(second.Title, "what happens") || second.Summary != "ending spoilers" {
				t.Errorf("CW entry: title %q summary %q", second.Title, second.Summary)
			}
			for _, e := range f.Entries {
				if strings.Contains(e.Content.Body, "secret") || strings.Contains(e.Content.Body, "unlisted") {
					t.Errorf("entry %s is not public: %q", e.ID, e.Content.Body)
				}
			}
			// The HTML travels as escaped text, never as markup of the feed.
			if strings.Contains(rec.Body.String(), "<strong>") {
				t.Error("feed carries unescaped HTML")
			}
		})
	}

	for _, path := range []string{"/users/me/feed.rss", "/@me.rss"} {
		t.Run(path, func(t *testing.T) {
			rec := ps.get(t, path)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/rss+xml; charset=utf-8" {
				t.Errorf("content type %q", ct)
			}
			var f pubRSS
			if err := xml.Unmarshal(rec.Body.Bytes(), &f); err != nil {
				t.Fatalf("rss does not parse: %v\n%s", err, rec.Body.String())
			}
			if f.Version != "2.0" || f.Channel.Self.Href != "https://example.test/users/me/feed.rss" {
				t.Errorf("version %q, self %q", f.Version, f.Channel.Self.Href)
			}
			if len(f.Channel.Items) != 20 {
				t.Fatalf("%d items, want 20", len(f.Channel.Items))
			}
			it := f.Channel.Items[0]
			if it.Link != rich.URL || it.GUID != rich.URL || !strings.Contains(it.Description, "<strong>hi</strong>") {
				t.Errorf("first item = %+v", it)
			}
			if _, err := time.Parse(time.RFC1123Z, it.PubDate); err != nil {
				t.Errorf("pubDate %q: %v", it.PubDate, err)
			}
			for _, it := range f.Channel.Items {
				if strings.Contains(it.Description, "secret") || strings.Contains(it.Description, "unlisted") {
					t.Errorf("item %s is not public", it.Link)
				}
			}
		})
	}

	if rec := ps.get(t, "/users/someone/feed.atom"); rec.Code != http.StatusNotFound {
		t.Errorf("feed of another user: status %d, want 404", rec.Code)
	}

	for _, path := range []string{"/@me", pubPath(t, rich.URL)} {
		doc := ps.page(t, path)
		found := map[string]string{}
		for _, l := range pubAll(doc, pubTag("link")) {
			if rel, _ := pubAttr(l, "rel"); rel == "alternate" {
				typ, _ := pubAttr(l, "type")
				found[typ], _ = pubAttr(l, "href")
			}
		}
		if found["application/atom+xml"] != "https://example.test/users/me/feed.atom" ||
			found["application/rss+xml"] != "https://example.test/users/me/feed.rss" {
			t.Errorf("%s: feed links %v", path, found)
		}
	}
}

// TestOpenGraph checks the link-preview tags of the profile and a permalink, with text that
// needs escaping.
func TestOpenGraph(t *testing.T) {
	ps := newPubServer(t)
	ctx := context.Background()
	name, bio, avatar := `Me & "Co" <b>`, `I <3 "quotes" & <em>tags</em>`, "https://cdn.example/avatar.png"
	if _, err := ps.srv.app.UpdateProfile(ctx, app.ProfileInput{DisplayName: &name, Bio: &bio, AvatarURL: &avatar}); err != nil {
		t.Fatal(err)
	}
	plain := ps.post(t, app.PostInput{Text: "Look: <a href=\"x\">\"quoted\" & " + strings.Repeat("long ", 60)})
	cw := ps.post(t, app.PostInput{Text: "the hidden text", Summary: "a warning"})

	doc := ps.page(t, "/@me")
	head := pubFirst(t, doc, "head", pubTag("head"))
	if got := pubAll(head, func(n *html.Node) bool { return n.Data == "b" || n.Data == "em" }); len(got) != 0 {
		t.Errorf("markup from the profile leaked into <head>: <%s>", got[0].Data)
	}
	desc, _ := pubMeta(doc, "og:description")
	cases := []struct {
		doc        *html.Node
		key, want  string
		wantPrefix bool
	}{
		{doc, "og:type", "profile", false},
		{doc, "og:title", `Me & "Co" <b> (@me@example.test)`, false},
		{doc, "og:description", `I <3 "quotes" & <em>tags</em>`, false},
		{doc, "description", desc, false},
		{doc, "og:url", "https://example.test/@me", false},
		{doc, "og:image", avatar, false},
		{doc, "twitter:card", "summary", false},
	}
	post := ps.page(t, pubPath(t, plain.URL))
	warned := ps.page(t, pubPath(t, cw.URL))
	cases = append(cases, []struct {
		doc        *html.Node
		key, want  string
		wantPrefix bool
	}{
		{post, "og:type", "article", false},
		{post, "og:url", plain.URL, false},
		{post, "og:description", `Look: <a href="x">"quoted" & long long`, true},
		{post, "og:image", avatar, false},
		{post, "twitter:card", "summary", false},
		{warned, "og:description", "a warning", false},
		{warned, "description", "a warning", false},
	}...)
	for _, c := range cases {
		got, ok := pubMeta(c.doc, c.key)
		switch {
		case !ok:
			t.Errorf("no meta %s", c.key)
		case c.wantPrefix && !strings.HasPrefix(got, c.want):
			t.Errorf("meta %s = %q, want it to start with %q", c.key, got, c.want)
		case !c.wantPrefix && got != c.want:
			t.Errorf("meta %s = %q, want %q", c.key, got, c.want)
		}
	}
	if d, _ := pubMeta(post, "og:description"); len([]rune(d)) > 200 {
		t.Errorf("og:description has %d characters, want at most 200", len([]rune(d)))
	}
	if d, _ := pubMeta(warned, "og:description"); strings.Contains(d, "hidden") {
		t.Error("the preview of a CW post shows the text behind the warning")
	}
}

// TestPublicMicroformats checks the profile's h-card and the posts' h-entry properties.
func TestPublicMicroformats(t *testing.T) {
	ps := newPubServer(t)
	ctx := context.Background()
	bio, avatar := "Writes about birds.", "https://cdn.example/avatar.png"
	if _, err := ps.srv.app.UpdateProfile(ctx, app.ProfileInput{Bio: &bio, AvatarURL: &avatar, SetFields: true,
		Fields: []store.Field{{Name: "Web", Value: "https://birds.example/"}}}); err != nil {
		t.Fatal(err)
	}
	ps.post(t, app.PostInput{Text: "a robin today"})
	doc := ps.page(t, "/@me")

	card := pubFirst(t, doc, "h-card", func(n *html.Node) bool {
		return pubHasClass(n, "h-card") && !pubHasClass(n, "p-author")
	})
	if got := pubText(pubFirst(t, card, "p-name", pubClass("p-name"))); got != "me" {
		t.Errorf("p-name = %q", got)
	}
	u := pubFirst(t, card, "u-url", pubClass("u-url"))
	if href, _ := pubAttr(u, "href"); href != "https://example.test/@me" {
		t.Errorf("u-url = %q", href)
	}
	if rel, _ := pubAttr(u, "rel"); !slices.Contains(strings.Fields(rel), "me") {
		t.Errorf("profile link rel = %q, want me", rel)
	}
	if src, _ := pubAttr(pubFirst(t, card, "u-photo", pubClass("u-photo")), "src"); src != avatar {
		t.Errorf("u-photo = %q", src)
	}
	if got := pubText(pubFirst(t, card, "p-note", pubClass("p-note"))); got != bio {
		t.Errorf("p-note = %q", got)
	}
	field := pubFirst(t, card, "field link", func(n *html.Node) bool {
		href, _ := pubAttr(n, "href")
		return n.Data == "a" && href == "https://birds.example/"
	})
	if rel, _ := pubAttr(field, "rel"); !slices.Contains(strings.Fields(rel), "me") {
		t.Errorf("field link rel = %q, want me", rel)
	}

	entries := pubAll(doc, pubClass("h-entry"))
	if len(entries) != 1 {
		t.Fatalf("%d h-entry, want 1", len(entries))
	}
	for _, class := range []string{"p-author", "u-url", "dt-published", "e-content"} {
		n := pubFirst(t, entries[0], class, pubClass(class))
		switch class {
		case "p-author":
			if !pubHasClass(n, "h-card") {
				t.Error("p-author is not an h-card")
			}
		case "dt-published":
			dt, _ := pubAttr(n, "datetime")
			if _, err := time.Parse(time.RFC3339, dt); err != nil {
				t.Errorf("dt-published datetime %q: %v", dt, err)
			}
		}
	}
}

// subscribeRel is the WebFinger link a remote follow looks for (OStatus's subscribe template).
const subscribeRel = "http://ostatus.org/schema/1.0/subscribe"

// TestPublicRemoteFollow checks the "follow from your server" form and its redirect to the
// visitor's server, with WebFinger answers good and bad.
func TestPublicRemoteFollow(t *testing.T) {
	var jrd map[string]any
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/webfinger" || !strings.HasPrefix(r.URL.Query().Get("resource"), "acct:alice@") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/jrd+json")
		json.NewEncoder(w).Encode(jrd)
	}))
	t.Cleanup(peer.Close)
	host := strings.TrimPrefix(peer.URL, "http://")
	ps := newPubServer(t, func(c *Config) {
		c.AllowPrivate = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	})

	doc := ps.page(t, "/@me")
	form := pubFirst(t, doc, "remote follow form", pubClass("remote-follow"))
	if action, _ := pubAttr(form, "action"); action != "/remote-follow" {
		t.Errorf("form action = %q", action)
	}
	if method, _ := pubAttr(form, "method"); method != "get" {
		t.Errorf("form method = %q", method)
	}
	pubFirst(t, form, "acct input", func(n *html.Node) bool {
		name, _ := pubAttr(n, "name")
		return n.Data == "input" && name == "acct"
	})
	if csp := ps.get(t, "/@me").Header().Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https:") {
		t.Errorf("profile CSP %q keeps the form from redirecting to the visitor's server", csp)
	}

	subscribe := func(template string) map[string]any {
		return map[string]any{"subject": "acct:alice@" + host, "links": []any{
			map[string]any{"rel": "self", "type": "application/activity+json", "href": peer.URL + "/users/alice"},
			map[string]any{"rel": subscribeRel, "template": template},
		}}
	}
	actor := "https://example.test/users/me"
	cases := []struct {
		name     string
		acct     string
		jrd      map[string]any
		status   int
		location string
	}{
		{"good", "@alice@" + host, subscribe(peer.URL + "/authorize_interaction?uri={uri}"), http.StatusSeeOther,
			peer.URL + "/authorize_interaction?uri=" + url.QueryEscape(actor)},
		{"javascript template", "alice@" + host, subscribe("javascript:alert(1)//{uri}"), http.StatusBadGateway, ""},
		{"template without uri", "alice@" + host, subscribe(peer.URL + "/follow"), http.StatusBadGateway, ""},
		{"no subscribe link", "alice@" + host, map[string]any{"links": []any{}}, http.StatusBadGateway, ""},
		{"unknown user", "bob@" + host, nil, http.StatusBadGateway, ""},
		{"not a handle", "alice", nil, http.StatusBadRequest, ""},
		{"a URL", "https://evil.example/x", nil, http.StatusBadRequest, ""},
		{"empty", "", nil, http.StatusBadRequest, ""},
		{"this server", "me@example.test", nil, http.StatusBadRequest, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			jrd = c.jrd
			rec := ps.get(t, "/remote-follow?acct="+url.QueryEscape(c.acct))
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d; body %.300s", rec.Code, c.status, rec.Body.String())
			}
			if c.location != "" {
				if got := rec.Header().Get("Location"); got != c.location {
					t.Errorf("Location = %q, want %q", got, c.location)
				}
				return
			}
			if loc := rec.Header().Get("Location"); loc != "" {
				t.Errorf("redirected to %q on failure", loc)
			}
			doc := pubParse(t, rec.Body.String())
			pubAssertNoActiveContent(t, doc)
			msg := pubText(pubFirst(t, doc, "error message", pubClass("error")))
			if msg == "" || strings.Contains(msg, "remote:") {
				t.Errorf("error message = %q", msg)
			}
			in := pubFirst(t, doc, "acct input", func(n *html.Node) bool {
				name, _ := pubAttr(n, "name")
				return n.Data == "input" && name == "acct"
			})
			if v, _ := pubAttr(in, "value"); v != c.acct {
				t.Errorf("the form lost the handle: %q, want %q", v, c.acct)
			}
		})
	}
}
