package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"roost/server/activitypub"
	"roost/server/app"
	"roost/server/media"
)

// The owner's daily pages (issue 23): the traps a new owner fell into, and what a daily app has.

// formsTo returns the forms of doc whose action is action.
func formsTo(doc *html.Node, action string) []*html.Node {
	return elements(doc, func(n *html.Node) bool {
		a, _ := attrOf(n, "action")
		return n.Data == "form" && a == action
	})
}

// TestDeleteAsksFirst: a post's Delete opens a page saying what will happen (a GET form, so no
// JavaScript is needed), and only that page's POST form, with the session's token, deletes.
func TestDeleteAsksFirst(t *testing.T) {
	ts := newTestServer(t)
	c := signIn(t, ts)
	p, err := ts.srv.app.Post(context.Background(), app.PostInput{Text: "a post to delete"})
	if err != nil {
		t.Fatal(err)
	}
	home := c.page(t, "/home")
	del := formsTo(home, "/delete")
	if len(del) != 1 {
		t.Fatalf("home has %d delete forms, want 1", len(del))
	}
	if m, _ := attrOf(del[0], "method"); m != "get" {
		t.Errorf("the delete button's form is %q, want a GET to the confirmation page", m)
	}
	if len(elements(del[0], byInput("csrf"))) != 0 {
		t.Error("the GET form carries the CSRF token into a URL")
	}
	confirm := c.page(t, "/delete?post="+url.QueryEscape(p.IRI))
	if !strings.Contains(textOf(confirm), "cannot be undone") || !strings.Contains(textOf(confirm), "a post to delete") {
		t.Errorf("the confirmation page reads %q", textOf(confirm))
	}
	if _, err := ts.st.PostByIRI(context.Background(), p.IRI); err != nil {
		t.Fatalf("opening the confirmation deleted the post: %v", err)
	}
	forms := elements(confirm, func(n *html.Node) bool {
		a, _ := attrOf(n, "action")
		m, _ := attrOf(n, "method")
		return n.Data == "form" && a == "/delete" && m == "post"
	})
	if len(forms) != 1 {
		t.Fatalf("the confirmation has %d POST forms to /delete, want 1", len(forms))
	}
	if v, _ := attrOf(firstElement(t, forms[0], "token", byInput("csrf")), "value"); v != c.csrf {
		t.Errorf("the confirmation's token %q, want the session's", v)
	}
	loc := c.submit(t, "/delete", url.Values{"post": {p.IRI}, "back": {"/home"}})
	if !strings.HasPrefix(loc, "/home?notice=") {
		t.Errorf("after deleting: %q, want back to /home with a notice", loc)
	}
	if got, err := ts.st.PostByIRI(context.Background(), p.IRI); err == nil && got.DeletedAt.IsZero() {
		t.Error("the post is still there after the confirmed delete")
	}
	// Someone else's post has no delete page.
	if rec := c.get("/delete?post=" + url.QueryEscape("https://elsewhere.example/p/1")); rec.Code != http.StatusNotFound {
		t.Errorf("delete page of a post not the owner's: %d, want 404", rec.Code)
	}
}

// TestBlockAsksFirst: Block opens a page that says the follows go both ways, and blocks nothing
// until its form is sent.
func TestBlockAsksFirst(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	c := signIn(t, ts)
	pest := newPeer(t, "pest")
	followedPeer(t, ts, pest)
	acct := ts.account(t, pest.actor)
	page := c.page(t, "/account?iri="+url.QueryEscape(pest.actor))
	if f := formsTo(page, "/block"); len(f) != 1 || len(elements(f[0], byInput("csrf"))) != 0 {
		t.Fatalf("the account page's block control: %d forms to /block, want one GET form without the token", len(f))
	}
	confirm := c.page(t, "/block?account="+url.QueryEscape(pest.actor))
	text := textOf(confirm)
	for _, want := range []string{"stop following you", "you stop following them"} {
		if !strings.Contains(text, want) {
			t.Errorf("the block confirmation lacks %q: %q", want, text)
		}
	}
	if ok, _ := ts.st.Blocked(ctx, acct.ID); ok {
		t.Fatal("opening the confirmation blocked the account")
	}
	if ok, _ := ts.st.IsFollowing(ctx, ts.srv.Owner().ID, acct.ID); !ok {
		t.Fatal("opening the confirmation ended the follow")
	}
	c.submit(t, "/block", url.Values{"account": {pest.actor}})
	if ok, _ := ts.st.Blocked(ctx, acct.ID); !ok {
		t.Error("the confirmed block did not block")
	}
}

// TestPostMarkers: a post says who can see it, and that it was edited.
func TestPostMarkers(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	c := signIn(t, ts)
	p, err := ts.srv.app.Post(ctx, app.PostInput{Text: "for followers", Visibility: "private"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.srv.app.Post(ctx, app.PostInput{Text: "for everyone"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.srv.app.EditPost(ctx, app.EditInput{Post: p.IRI, Text: "for followers, edited"}); err != nil {
		t.Fatal(err)
	}
	doc := c.page(t, "/home")
	marks := map[string]string{}
	for _, e := range elements(doc, byClass("h-entry")) {
		text := textOf(firstElement(t, e, "content", byClass("e-content")))
		marks[strings.TrimSpace(text)] = textOf(firstElement(t, e, "visibility", byClass("visibility")))
		if strings.Contains(text, "edited") && len(elements(e, byClass("edited"))) != 1 {
			t.Errorf("the edited post has no edited marker")
		}
		if strings.Contains(text, "everyone") && len(elements(e, byClass("edited"))) != 0 {
			t.Errorf("a post never edited says it was")
		}
	}
	if marks["for followers, edited"] != "Followers only" || marks["for everyone"] != "Public" {
		t.Errorf("visibility markers %q", marks)
	}
}

// TestSettingsPages: every settings page links to Change password and the blocked domains,
// which have a page of their own; the upload limit shown is the server's; the header image is
// on the profile.
func TestSettingsPages(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	c := signIn(t, ts)
	for _, path := range []string{"/settings/profile", "/settings/password", "/settings/domain-blocks", "/settings/apps"} {
		doc := c.page(t, path)
		nav := firstElement(t, doc, "settings navigation", byClass("settings"))
		var links []string
		for _, a := range elements(nav, byTag("a")) {
			href, _ := attrOf(a, "href")
			links = append(links, href)
		}
		for _, want := range []string{"/settings/password", "/settings/domain-blocks", "/settings/profile"} {
			if !slices.Contains(links, want) {
				t.Errorf("%s: the settings navigation %q lacks %s", path, links, want)
			}
		}
	}
	profile := c.page(t, "/settings/profile")
	if strings.Contains(textOf(profile), "Block a whole domain") {
		t.Error("the profile settings still hold the blocked domains")
	}
	limit := byteSizeOf(media.DefaultMaxUploadBytes)
	if !strings.Contains(textOf(profile), "up to "+limit) {
		t.Errorf("the avatar label does not say the limit %s: %q", limit, textOf(profile))
	}
	c.submit(t, "/settings/domain-blocks", url.Values{"domain": {"spam.example"}})
	if !strings.Contains(textOf(c.page(t, "/settings/domain-blocks")), "spam.example") {
		t.Error("the blocked domains page does not list spam.example")
	}

	header := "https://example.test/media/header.png"
	if _, err := ts.srv.app.UpdateProfile(ctx, app.ProfileInput{HeaderURL: &header}); err != nil {
		t.Fatal(err)
	}
	pub := c.page(t, "/@me")
	img := firstElement(t, pub, "header image", byClass("header"))
	if src, _ := attrOf(img, "src"); src != header {
		t.Errorf("the profile's header image is %q, want %q", src, header)
	}
}

// byteSizeOf is how pages write a size of whole mebibytes (templates.byteSize).
func byteSizeOf(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// TestBoosterWithoutName: a booster whose name is empty or "me" shows as their handle, never as
// "Boosted by me".
func TestBoosterWithoutName(t *testing.T) {
	ts := newTestServer(t)
	c := signIn(t, ts)
	me := newPeer(t, "me")
	me.setActorField("name", "me")
	followedPeer(t, ts, me)
	alice := newPeer(t, "alice")
	note := alice.note("<p>alice said this</p>", []string{activitypub.Public}, nil)
	alice.setDoc(strings.TrimPrefix(str(note["id"]), alice.base), note)
	boost := me.activity("Announce", note["id"])
	boost["to"] = []string{activitypub.Public}
	me.sendAccepted(t, ts, boost)
	ts.waitInboxIdle(t)
	ts.waitPost(t, str(note["id"]))
	doc := c.page(t, "/home")
	b := firstElement(t, doc, "boost label", byClass("boosted"))
	if got := textOf(b); got != "Boosted by @"+me.handle() {
		t.Errorf("boost label %q, want %q", got, "Boosted by @"+me.handle())
	}
}

// TestOwnerAtHomeOnPublicPages: signed in, the profile, a permalink and a tag page keep the
// owner's navigation and actions, and do not ask the owner to follow themselves; a visitor gets
// the public page, and the owner's answer is private.
func TestOwnerAtHomeOnPublicPages(t *testing.T) {
	ts := newTestServer(t)
	c := signIn(t, ts)
	p, err := ts.srv.app.Post(context.Background(), app.PostInput{Text: "a day out #walks"})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/@me", pathOnly(t, p.URL), "/tags/walks"} {
		rec := c.get(path)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d", path, rec.Code)
		}
		if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "private") {
			t.Errorf("%s signed in: Cache-Control %q, want private", path, cc)
		}
		doc := parseHTML(t, rec.Body.String())
		if len(elements(doc, byClass("owner"))) == 0 {
			t.Errorf("%s signed in: no owner navigation", path)
		}
		if len(formsTo(doc, "/like")) == 0 {
			t.Errorf("%s signed in: no like button", path)
		}
		if len(elements(doc, byClass("remote-follow"))) != 0 {
			t.Errorf("%s signed in: the owner is offered to follow themselves from their server", path)
		}
		anon := anonymous(ts).get(path)
		adoc := parseHTML(t, anon.Body.String())
		if len(elements(adoc, byClass("owner"))) != 0 || len(formsTo(adoc, "/like")) != 0 {
			t.Errorf("%s: a visitor sees the owner's navigation or actions", path)
		}
		if path == "/@me" && len(elements(adoc, byClass("remote-follow"))) != 1 {
			t.Errorf("%s: a visitor is not offered the remote follow", path)
		}
	}
}

func pathOnly(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.RequestURI()
}

// TestThreadAndNames: a remote post opens in a thread (its parent above, replies nested below,
// the post itself marked), names link to Roost's page about the account, and a follow
// notification offers a follow back in one click, with avatars beside the names.
func TestThreadAndNames(t *testing.T) {
	ts := newTestServer(t)
	c := signIn(t, ts)
	alice := newPeer(t, "alice")
	followedPeer(t, ts, alice)
	send := func(content string, inReplyTo string) string {
		n := alice.note("<p>"+content+"</p>", []string{activitypub.Public}, nil)
		if inReplyTo != "" {
			n["inReplyTo"] = inReplyTo
		}
		alice.setDoc(strings.TrimPrefix(str(n["id"]), alice.base), n)
		alice.sendAccepted(t, ts, alice.create(n))
		ts.waitPost(t, str(n["id"]))
		return str(n["id"])
	}
	root := send("the root", "")
	focus := send("the focus", root)
	reply := send("a reply", focus)
	send("a reply to the reply", reply)
	ts.waitInboxIdle(t)

	doc := c.page(t, "/thread?post="+url.QueryEscape(focus))
	anc := firstElement(t, doc, "ancestors", byClass("ancestors"))
	if !strings.Contains(textOf(anc), "the root") {
		t.Errorf("ancestors read %q", textOf(anc))
	}
	if got := textOf(firstElement(t, doc, "focus", byClass("focus"))); !strings.Contains(got, "the focus") {
		t.Errorf("the focused post reads %q", got)
	}
	replies := firstElement(t, doc, "replies", byClass("replies"))
	nested := elements(replies, byClass("reply-tree"))
	if len(nested) != 2 || !strings.Contains(textOf(nested[1]), "a reply to the reply") {
		t.Errorf("replies are not nested: %d lists in %q", len(nested), textOf(replies))
	}
	author := firstElement(t, doc, "author link", byClass("p-author"))
	if href, _ := attrOf(author, "href"); href != "/account?iri="+url.QueryEscape(alice.actor) {
		t.Errorf("the author's name links to %q, want Roost's account page", href)
	}
	if len(elements(doc, byClass("avatar"))) == 0 {
		t.Error("the thread shows no avatars")
	}

	// alice follows the owner, who does not follow her back... yet: followedPeer made the owner
	// follow alice, so a second peer asks.
	bob := newPeer(t, "bob")
	followingPeer(t, ts, bob)
	ts.waitInboxIdle(t)
	notes := c.page(t, "/notifications")
	var back []*html.Node
	for _, f := range formsTo(notes, "/follow") {
		if v, _ := attrOf(firstElement(t, f, "account", byInput("account")), "value"); v == bob.actor {
			back = append(back, f)
		}
	}
	if len(back) != 1 || !strings.Contains(textOf(back[0]), "Follow back") {
		t.Fatalf("the follow notification offers %d follow-back forms for bob", len(back))
	}
	c.submit(t, "/follow", url.Values{"account": {bob.actor}})
	bob.waitPost(t, "the follow back", ofType("Follow"))
}

// TestPeoplePages: the profile's counts link to the followers and following lists; the owner's
// mutes and blocks and follow requests have pages, each account with its one-click undo.
func TestPeoplePages(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	c := signIn(t, ts)
	friend, fan, pest, noisy := newPeer(t, "friend"), newPeer(t, "fan"), newPeer(t, "pest"), newPeer(t, "noisy")
	followedPeer(t, ts, friend)
	followingPeer(t, ts, fan)
	for _, p := range []*peer{pest, noisy} {
		followedPeer(t, ts, p)
	}
	c.submit(t, "/block", url.Values{"account": {pest.actor}})
	c.submit(t, "/mute", url.Values{"account": {noisy.actor}})

	profile := c.page(t, "/@me")
	var counts []string
	for _, a := range elements(firstElement(t, profile, "counts", byClass("counts")), byTag("a")) {
		href, _ := attrOf(a, "href")
		counts = append(counts, href)
	}
	if !slices.Contains(counts, ts.base+"/@me/followers") || !slices.Contains(counts, ts.base+"/@me/following") {
		t.Errorf("the counts link to %q", counts)
	}
	listed := func(doc *html.Node) string { return textOf(firstElement(t, doc, "list", byClass("people"))) }
	if got := listed(anonymous(ts).page(t, "/@me/followers")); !strings.Contains(got, fan.handle()) {
		t.Errorf("followers, as a visitor sees them: %q", got)
	}
	if got := listed(c.page(t, "/@me/following")); !strings.Contains(got, friend.handle()) || strings.Contains(got, pest.handle()) {
		t.Errorf("following: %q", got)
	}
	blocks := c.page(t, "/settings/blocks")
	if got := listed(blocks); !strings.Contains(got, pest.handle()+"") || !strings.Contains(got, noisy.handle()) {
		t.Errorf("mutes and blocks: %q", got)
	}
	if len(formsTo(blocks, "/unblock")) != 1 || len(formsTo(blocks, "/unmute")) != 1 {
		t.Error("mutes and blocks lack their Unblock and Unmute")
	}

	// A locked account's requests.
	locked := true
	if _, err := ts.srv.app.UpdateProfile(ctx, app.ProfileInput{Locked: &locked}); err != nil {
		t.Fatal(err)
	}
	asker := newPeer(t, "asker")
	asker.sendAccepted(t, ts, asker.activity("Follow", ts.actor))
	ts.waitInboxIdle(t)
	home := c.page(t, "/home")
	var navLinks []string
	for _, a := range elements(firstElement(t, home, "nav", byClass("owner")), byTag("a")) {
		href, _ := attrOf(a, "href")
		navLinks = append(navLinks, href)
	}
	if !slices.Contains(navLinks, "/follow-requests") {
		t.Errorf("the navigation %q does not show the waiting request", navLinks)
	}
	reqs := c.page(t, "/follow-requests")
	if !strings.Contains(listed(reqs), asker.handle()) || len(formsTo(reqs, "/requests/approve")) != 1 {
		t.Fatalf("follow requests: %q", listed(reqs))
	}
	c.submit(t, "/requests/approve", url.Values{"account": {asker.actor}})
	asker.waitPost(t, "Accept", ofType("Accept"))
}

// TestTimeZoneAndRelativeTimes: a recent post's time reads "just now" with the full date in the
// reader's zone as its title, once the zone is set; a zone the server does not know is refused.
func TestTimeZoneAndRelativeTimes(t *testing.T) {
	ts := newTestServer(t)
	c := signIn(t, ts)
	if _, err := ts.srv.app.Post(context.Background(), app.PostInput{Text: "a fresh post"}); err != nil {
		t.Fatal(err)
	}
	rec := c.postForm("/settings/time", c.withCSRF(url.Values{"tz": {"Asia/Tokyo"}}))
	var zone *http.Cookie
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == "roost_tz" {
			zone = ck
		}
	}
	if rec.Code != http.StatusSeeOther || zone == nil {
		t.Fatalf("saving the zone: %d, cookie %v", rec.Code, zone)
	}
	req := c.newRequest(http.MethodGet, "/home", nil)
	req.AddCookie(zone)
	doc := parseHTML(t, c.do(req).Body.String())
	tm := firstElement(t, doc, "post time", byClass("dt-published"))
	title, _ := attrOf(tm, "title")
	if textOf(tm) != "just now" || !strings.HasSuffix(title, "JST") {
		t.Errorf("the post's time reads %q titled %q, want just now, titled in JST", textOf(tm), title)
	}
	if loc := c.submit(t, "/settings/time", url.Values{"tz": {"Mars/Olympus"}}); !strings.Contains(loc, "error=") {
		t.Errorf("an unknown zone: %q, want an error", loc)
	}
}

// TestReplyPrefill: a reply starts with the parent's visibility and mentions its author and
// everyone it mentions, but the owner.
func TestReplyPrefill(t *testing.T) {
	ts := newTestServer(t)
	c := signIn(t, ts)
	alice, bob := newPeer(t, "alice"), newPeer(t, "bob")
	followedPeer(t, ts, alice)
	followedPeer(t, ts, bob) // known to Roost
	n := alice.note("<p>@bob and @me, tea?</p>", []string{alice.actor + "/followers"}, []string{ts.actor, bob.actor})
	n["tag"] = []any{
		map[string]any{"type": "Mention", "href": bob.actor, "name": "@" + bob.handle()},
		map[string]any{"type": "Mention", "href": ts.actor, "name": "@me@" + ts.cfg.Domain},
	}
	alice.sendAccepted(t, ts, alice.create(n))
	ts.waitPost(t, str(n["id"]))
	doc := c.page(t, "/compose?reply_to="+url.QueryEscape(str(n["id"])))
	text := textOf(firstElement(t, doc, "text", byTag("textarea")))
	if strings.TrimSpace(text) != "@"+alice.handle()+" @"+bob.handle() {
		t.Errorf("the reply starts %q, want alice and bob mentioned, not the owner", text)
	}
	vis := firstElement(t, doc, "visibility", func(n *html.Node) bool { id, _ := attrOf(n, "id"); return id == "visibility" })
	sel := firstElement(t, vis, "selected visibility", func(n *html.Node) bool {
		_, ok := attrOf(n, "selected")
		return n.Data == "option" && ok
	})
	if v, _ := attrOf(sel, "value"); v != "followers" {
		t.Errorf("the reply's visibility starts as %q, want followers", v)
	}
}

// TestFirstRun: a new owner's sign-in opens the getting-started page, which says the handle, how
// to be found, where the profile is set and what to give an app; the empty home points to it too.
func TestFirstRun(t *testing.T) {
	ts := newTestServer(t)
	setOwnerPassword(t, ts)
	if loc := anonymous(ts).login(ownerPassword, "", "192.0.2.20:1000").Header().Get("Location"); loc != "/settings/welcome" {
		t.Errorf("a new owner's sign-in goes to %q, want the getting-started page", loc)
	}
	if loc := anonymous(ts).login(ownerPassword, "/notifications", "192.0.2.20:1000").Header().Get("Location"); loc != "/notifications" {
		t.Errorf("a sign-in on the way to a page goes to %q, want that page", loc)
	}
	c := signIn(t, ts)
	home := c.page(t, "/home")
	var links []string
	for _, a := range elements(firstElement(t, home, "first run", byClass("first-run")), byTag("a")) {
		href, _ := attrOf(a, "href")
		links = append(links, href)
	}
	if !slices.Contains(links, "/settings/welcome") {
		t.Errorf("the empty home links %q, want the getting-started page", links)
	}
	text := textOf(c.page(t, "/settings/welcome"))
	for _, want := range []string{"@me@" + ts.cfg.Domain, "Settings, Profile", ts.base, "search"} {
		if !strings.Contains(text, want) {
			t.Errorf("the welcome page lacks %q: %q", want, text)
		}
	}
}

// TestAvatarsThroughTheProxy: with the media proxy on, a remote author's avatar in the home
// timeline and the notifications comes through Roost, as the API's avatar URLs do.
func TestAvatarsThroughTheProxy(t *testing.T) {
	ts := newTestServer(t, func(c *Config) {
		c.MediaDir = t.TempDir()
		c.CacheDir = t.TempDir()
		c.MediaProxy = true
	})
	c := signIn(t, ts)
	friend := newPeer(t, "friend")
	friend.setActorField("icon", map[string]any{"type": "Image", "mediaType": "image/png", "url": "https://cdn.example/friend.png"})
	followedPeer(t, ts, friend)
	n := friend.note("<p>hello @me</p>", []string{activitypub.Public}, []string{ts.actor})
	n["tag"] = []any{map[string]any{"type": "Mention", "href": ts.actor, "name": "@me@" + ts.cfg.Domain}}
	friend.sendAccepted(t, ts, friend.create(n))
	ts.waitPost(t, str(n["id"]))
	ts.waitInboxIdle(t)
	for _, path := range []string{"/home", "/notifications"} {
		var srcs []string
		for _, img := range elements(c.page(t, path), byClass("avatar")) {
			src, _ := attrOf(img, "src")
			srcs = append(srcs, src)
		}
		if !slices.ContainsFunc(srcs, func(s string) bool {
			return strings.HasPrefix(s, "/proxy/") && strings.Contains(s, url.QueryEscape("https://cdn.example/friend.png"))
		}) {
			t.Errorf("%s: avatars %q, want the friend's through the proxy", path, srcs)
		}
	}
}

// TestScheduleInTheReadersZone: with a time zone set, "schedule for" is read in it.
func TestScheduleInTheReadersZone(t *testing.T) {
	ts := newTestServer(t)
	o := signIn(t, ts)
	c := newAPIClient(t, ts, "read", "write")
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skip("no Asia/Tokyo in this system's zone database")
	}
	at := ts.st.Now().Add(3 * time.Hour).In(tokyo).Truncate(time.Minute)
	req := o.newRequest(http.MethodPost, "/compose", strings.NewReader(o.withCSRF(url.Values{"text": {"later, in Tokyo"},
		"schedule_at": {at.Format("2006-01-02T15:04")}}).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "roost_tz", Value: "Asia%2FTokyo"})
	if rec := o.do(req); rec.Code != http.StatusSeeOther || !strings.Contains(rec.Header().Get("Location"), "JST") {
		t.Fatalf("scheduling: %d to %q, want a notice in JST", rec.Code, rec.Header().Get("Location"))
	}
	list, _ := c.list(t, "/api/v1/scheduled_statuses")
	if len(list) != 1 {
		t.Fatalf("scheduled statuses: %v", list)
	}
	got, err := time.Parse(time.RFC3339, str(list[0]["scheduled_at"]))
	if err != nil || !got.Equal(at) {
		t.Errorf("scheduled at %v (%v), want %v", list[0]["scheduled_at"], err, at.UTC())
	}
}

// TestConfirmationReturnsOnlyHere: a confirmed action returns to the form's "back" only when it
// is a path on this site.
func TestConfirmationReturnsOnlyHere(t *testing.T) {
	ts := newTestServer(t)
	c := signIn(t, ts)
	for _, back := range []string{"//evil.example/", "/\\evil.example", "/\t/evil.example", "https://evil.example/", "javascript:alert(1)"} {
		p, err := ts.srv.app.Post(context.Background(), app.PostInput{Text: "to delete"})
		if err != nil {
			t.Fatal(err)
		}
		loc := c.submit(t, "/delete", url.Values{"post": {p.IRI}, "back": {back}})
		if !strings.HasPrefix(loc, "/home?") {
			t.Errorf("back %q: redirected to %q, want /home", back, loc)
		}
	}
}

// TestFiltersPage: a filter added on /filters folds a matching post behind a warning on home,
// hides one with a "hide" filter, and is gone once deleted; apps see the same filters.
func TestFiltersPage(t *testing.T) {
	ts := newTestServer(t)
	c := signIn(t, ts)
	api := newAPIClient(t, ts, "read", "write")
	for _, text := range []string{"the match ended in a draw", "an election today", "a quiet day"} {
		if _, err := ts.srv.app.Post(context.Background(), app.PostInput{Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	c.submit(t, "/filters", url.Values{"title": {"Sport"}, "keywords": {"match, goal"}, "whole_word": {"on"},
		"context": {"home", "thread"}, "action": {"warn"}})
	c.submit(t, "/filters", url.Values{"title": {"Politics"}, "keywords": {"election"}, "context": {"home"}, "action": {"hide"}})
	if loc := c.submit(t, "/filters", url.Values{"title": {"Nowhere"}, "keywords": {"x"}}); !strings.Contains(loc, "error=") {
		t.Errorf("a filter with no context: %q, want an error", loc)
	}
	page := c.page(t, "/filters")
	if got := textOf(firstElement(t, page, "filters", byClass("filters"))); !strings.Contains(got, "Sport") || !strings.Contains(got, "match, goal") {
		t.Errorf("the filters page lists %q", got)
	}
	list, _ := api.list(t, "/api/v2/filters")
	if len(list) != 2 {
		t.Errorf("the client API lists %d filters, want the 2 added on the page", len(list))
	}

	home := c.page(t, "/home")
	text := strings.Join(entryTexts(home), " | ")
	if strings.Contains(text, "election") {
		t.Errorf("a post a hide filter matches is on home: %q", text)
	}
	folded := elements(home, byClass("filtered"))
	if len(folded) != 1 || !strings.Contains(textOf(folded[0]), "Filtered: Sport") || !strings.Contains(textOf(folded[0]), "draw") {
		t.Errorf("%d folded posts, want the match behind the Sport warning", len(folded))
	}
	for _, f := range formsTo(page, "/filters/delete") {
		id, _ := attrOf(firstElement(t, f, "id", byInput("id")), "value")
		c.submit(t, "/filters/delete", url.Values{"id": {id}})
	}
	home = c.page(t, "/home")
	if n := len(elements(home, byClass("filtered"))); n != 0 || !strings.Contains(strings.Join(entryTexts(home), " "), "election") {
		t.Errorf("after deleting the filters, %d posts are folded, and the election post is shown: %v", n,
			strings.Contains(strings.Join(entryTexts(home), " "), "election"))
	}
}
