package server

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"roost/server/app"
	"roost/server/archive/archivetest"
	"roost/store"
	"roost/store/about"
	"roost/store/access"
)

// uploadImport POSTs a file to /settings/import as the page's form does (the token first).
func (c *ownerClient) uploadImport(t *testing.T, kind, name string, content []byte) string {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", c.csrf)
	mw.WriteField("kind", kind)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	mw.Close()
	req := c.newRequest(http.MethodPost, "/settings/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	rec := c.do(req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("import %s: status %d, body %.300s", name, rec.Code, rec.Body.String())
	}
	return rec.Header().Get("Location")
}

// TestWebMoveAndExport is the owner's "Move and export" page: the alias with its explanation,
// a CSV and an archive uploaded with their progress, the export downloaded.
func TestWebMoveAndExport(t *testing.T) {
	ts := newTestServer(t, withMedia(t))
	setOwnerPassword(t, ts)
	old := newPeer(t, "old")
	c := signIn(t, ts)
	page := c.page(t, "/settings/account")
	if text := textOf(page); !strings.Contains(text, "add it below as an alias") || !strings.Contains(text, "@me@"+ts.cfg.Domain) {
		t.Errorf("the page does not explain how to move here:\n%s", text)
	}
	loc := c.submit(t, "/settings/aliases", url.Values{"alias": {old.actor}})
	if !strings.Contains(loc, "notice=") {
		t.Fatalf("alias not added: %s", loc)
	}
	if aka := ts.owner(t).AlsoKnownAs; !slices.Contains(aka, old.actor) {
		t.Errorf("alsoKnownAs = %v, want %s", aka, old.actor)
	}

	fan := newPeer(t, "fan")
	followingPeer(t, ts, fan)
	if err := about.New(ts.st).AddMovedFollower(context.Background(), ts.account(t, fan.actor).ID, old.actor); err != nil {
		t.Fatal(err)
	}
	if text := textOf(c.page(t, "/settings/account")); !strings.Contains(text, "Followers who came with your move") ||
		!strings.Contains(text, "@"+fan.handle()) {
		t.Errorf("the page does not show the follower who came with the move:\n%s", text)
	}

	loc = c.uploadImport(t, "", "blocked_domains.csv", []byte("spam.example\nworse.example\n"))
	if !strings.Contains(loc, "notice=") {
		t.Fatalf("CSV not imported: %s", loc)
	}
	waitFor(t, "domains blocked", func() bool {
		d, _ := ts.st.DomainBlocks(context.Background())
		return len(d) == 2
	})
	if text := textOf(c.page(t, "/settings/account")); !strings.Contains(text, "domain blocks") {
		t.Errorf("the page shows no progress of the import:\n%s", text)
	}

	var zipBuf bytes.Buffer
	src := archivetest.Archive{Actor: "https://old.example/users/me", Username: "me", Posts: []archivetest.Post{
		{Published: time.Date(2020, 2, 2, 2, 2, 2, 0, time.UTC), Text: "<p>from the old days</p>", Visibility: "public"}}}
	if err := src.Write(&zipBuf); err != nil {
		t.Fatal(err)
	}
	loc = c.uploadImport(t, "", "archive-20240101.zip", zipBuf.Bytes())
	if msg, _ := url.QueryUnescape(loc); !strings.Contains(msg, "Imported 1 posts") {
		t.Errorf("archive import said %q", msg)
	}
	posts, _ := ts.st.AccountPosts(context.Background(), ts.srv.Owner().ID, false, store.Page{Limit: 10})
	if len(posts) != 1 || !strings.Contains(posts[0].Content, "from the old days") {
		t.Fatalf("posts after the import: %d", len(posts))
	}
	if got := ts.st.ImportedFrom(context.Background(), posts[0].ID); got == "" {
		t.Errorf("the imported post is not marked with its original URL")
	}

	if rec := c.postForm("/settings/export.zip", c.withCSRF(url.Values{"password": {"wrong"}})); rec.Code != http.StatusSeeOther {
		t.Errorf("export with a wrong password: %d, want a redirect back", rec.Code)
	}
	rec := c.postForm("/settings/export.zip", c.withCSRF(url.Values{"password": {ownerPassword}}))
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/zip" {
		t.Fatalf("export: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	zr, err := zip.NewReader(bytes.NewReader(rec.Body.Bytes()), int64(rec.Body.Len()))
	if err != nil {
		t.Fatalf("export is not a zip: %v", err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	for _, want := range []string{"outbox.json", "actor.json", "blocked_domains.csv", "site/index.html"} {
		if !slices.Contains(names, want) {
			t.Errorf("export lacks %s: %v", want, names)
		}
	}
}

// TestWebSessions lists the owner's sessions and apps on one page, signs out another browser,
// and signs out everywhere.
func TestWebSessions(t *testing.T) {
	ts := newTestServer(t)
	setOwnerPassword(t, ts)
	c := signIn(t, ts)
	other := signIn(t, ts)
	ctx := context.Background()
	auth := access.New(ts.st)
	client := &access.App{Name: "Tusky", ClientID: "cid", SecretHash: "x", RedirectURIs: []string{"urn:ietf:wg:oauth:2.0:oob"},
		Scopes: []string{"read"}}
	if err := auth.CreateApp(ctx, client); err != nil {
		t.Fatal(err)
	}
	if err := auth.CreateToken(ctx, &access.Token{AppID: client.ID, TokenHash: "tokenhash", Owner: true, Scopes: []string{"read"}}); err != nil {
		t.Fatal(err)
	}

	page := c.page(t, "/settings/sessions")
	forms := elements(page, func(n *html.Node) bool {
		v, _ := attrOf(n, "action")
		return n.Data == "form" && v == "/settings/sessions/revoke"
	})
	if len(forms) != 1 {
		t.Fatalf("%d sign-out forms for other browsers, want 1", len(forms))
	}
	if text := textOf(page); !strings.Contains(text, "This browser") || !strings.Contains(text, "Tusky") {
		t.Errorf("sessions page:\n%s", text)
	}
	var otherID string
	for _, in := range elements(forms[0], byTag("input")) {
		if name, _ := attrOf(in, "name"); name == "session" {
			otherID, _ = attrOf(in, "value")
		}
	}
	c.submit(t, "/settings/sessions/revoke", url.Values{"session": {otherID}})
	if rec := other.get("/home"); rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/login") {
		t.Errorf("the signed-out browser still gets /home: %d", rec.Code)
	}
	if rec := c.get("/home"); rec.Code != http.StatusOK {
		t.Errorf("this browser was signed out too: %d", rec.Code)
	}

	c.submit(t, "/settings/sessions/revoke-all", url.Values{"password": {ownerPassword}})
	if rec := c.get("/home"); rec.Code != http.StatusSeeOther {
		t.Errorf("after signing out everywhere /home answers %d", rec.Code)
	}
	if apps, _ := auth.AuthorizedApps(ctx); len(apps) != 0 {
		t.Errorf("%d apps keep access after signing out everywhere", len(apps))
	}
}

// TestWebDeleteAccount deletes the account from the web page: the password and the typed address
// are required; the Delete of the actor reaches a follower's server; then the account's
// addresses answer 410 Gone and its data is wiped.
func TestWebDeleteAccount(t *testing.T) {
	ts := newTestServer(t, withMedia(t))
	setOwnerPassword(t, ts)
	fan := newPeer(t, "fan")
	followingPeer(t, ts, fan)
	if _, err := ts.srv.app.Post(context.Background(), app.PostInput{Text: "last words"}); err != nil {
		t.Fatal(err)
	}
	c := signIn(t, ts)
	loc := c.submit(t, "/settings/delete-account", url.Values{"password": {ownerPassword}, "confirm": {"@someone@else"}})
	if !strings.Contains(loc, "error=") || ts.srv.Transfer().Deleting() {
		t.Fatalf("deleted without the typed address: %s", loc)
	}
	loc = c.submit(t, "/settings/delete-account", url.Values{"password": {"wrong"}, "confirm": {"@me@" + ts.cfg.Domain}})
	if !strings.Contains(loc, "error=") || ts.srv.Transfer().Deleting() {
		t.Fatalf("deleted with a wrong password: %s", loc)
	}
	rec := c.postForm("/settings/delete-account", c.withCSRF(url.Values{"password": {ownerPassword}, "confirm": {"@me@" + ts.cfg.Domain}}))
	if rec.Code != http.StatusOK {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body.String())
	}
	del := fan.waitPost(t, "the Delete of the actor", ofType("Delete"))
	if !del.Verified || del.objectID() != ts.actor {
		t.Errorf("Delete = %v (verified %v: %v)", del.Activity, del.Verified, del.VerifyErr)
	}
	waitFor(t, "the data wiped", ts.srv.Transfer().Wiped)
	for _, path := range []string{"/users/me", "/.well-known/webfinger?resource=acct:me@" + ts.cfg.Domain, "/@me", "/home"} {
		if resp, _ := ts.get(t, path, "application/activity+json"); resp.StatusCode != http.StatusGone {
			t.Errorf("GET %s: %d, want 410", path, resp.StatusCode)
		}
	}
	if code := fan.send(t, ts, fan.activity("Follow", ts.actor)); code != http.StatusGone {
		t.Errorf("inbox POST: %d, want 410", code)
	}
	if n, _ := ts.st.CountPosts(context.Background(), ts.srv.Owner().ID, false); n != 0 {
		t.Errorf("%d posts left after the wipe", n)
	}
	if _, err := ts.st.AccountByIRI(context.Background(), fan.actor); err == nil {
		t.Errorf("the follower's account is still stored after the wipe")
	}
}

// TestExportOutlivesServerTimeouts downloads the export from a server whose write timeout is
// shorter than the request takes (the password's hash alone takes longer): the export lifts
// the deadline for itself, as a large account's download needs.
func TestExportOutlivesServerTimeouts(t *testing.T) {
	ts := newTestServer(t)
	setOwnerPassword(t, ts)
	c := signIn(t, ts)
	hs := httptest.NewUnstartedServer(ts.srv.Handler())
	hs.Config.WriteTimeout = 20 * time.Millisecond
	hs.Start()
	defer hs.Close()
	form := c.withCSRF(url.Values{"password": {ownerPassword}})
	req, _ := http.NewRequest(http.MethodPost, hs.URL+"/settings/export.zip", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Host = ts.cfg.Domain
	req.AddCookie(c.cookie)
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("export: %d, %v", resp.StatusCode, err)
	}
	if _, err := zip.NewReader(bytes.NewReader(body), int64(len(body))); err != nil {
		t.Errorf("the export is not a whole zip: %v", err)
	}
}
