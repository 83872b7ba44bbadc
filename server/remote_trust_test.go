package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// What remote servers say about their actors reaches the owner's pages only in forms that cannot
// run script or pass for something else.

// TestRemoteMovedToLinksOnlyHTTP: an actor's movedTo becomes a link on the owner's account page
// only when it is an http(s) URL; a javascript: or data: one is neither stored nor linked.
func TestRemoteMovedToLinksOnlyHTTP(t *testing.T) {
	ts := newTestServer(t)
	c := signIn(t, ts)
	for _, tc := range []struct {
		name, movedTo, link string
	}{
		{"javascript", "javascript:alert(1)", ""},
		{"spaced javascript", " JaVaScRiPt:alert(1)", ""},
		{"data", "data:text/html,<script>alert(1)</script>", ""},
		{"https", "https://new.example/users/moved", "https://new.example/users/moved"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPeer(t, "moved")
			p.setActorField("movedTo", tc.movedTo)
			path := "/account?iri=" + url.QueryEscape(p.actor)
			doc := c.page(t, path) // fetches and stores the actor
			if a := ts.account(t, p.actor); a.MovedTo != tc.link {
				t.Errorf("stored movedTo %q, want %q", a.MovedTo, tc.link)
			}
			assertInert(t, path, doc)
			var links []string
			for _, a := range elements(doc, byTag("a")) {
				if href, _ := attrOf(a, "href"); strings.Contains(href, "alert") || strings.Contains(href, "new.example") {
					links = append(links, href)
				}
			}
			if tc.link == "" && len(links) > 0 {
				t.Errorf("links to %q", links)
			}
			if tc.link != "" && (len(links) != 1 || links[0] != tc.link) {
				t.Errorf("links %q, want one to %s", links, tc.link)
			}
		})
	}
}

// TestRemoteUsernameValidated: an actor whose preferredUsername is not a username (an @ that
// makes its handle read as someone else's, a space, a slash, markup, a direction override) is
// refused, as Mastodon refuses it: its signed activity is not taken and nothing of it is stored.
// Usernames Mastodon takes from other servers, dots, dashes and letters of any script, are kept.
func TestRemoteUsernameValidated(t *testing.T) {
	ts := newTestServer(t)
	for _, tc := range []struct {
		name, username string
		ok             bool
	}{
		{"another handle", "alice@mastodon.social", false},
		{"space", "al ice", false},
		{"markup", "<b>alice</b>", false},
		{"direction override", "alice\u202egnp.exe", false},
		{"dots and dashes", "al.ice-b_ob", true},
		{"other scripts", "名前_ünï", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPeer(t, "user")
			p.setActorField("preferredUsername", tc.username)
			status := p.send(t, ts, p.activity("Follow", ts.actor))
			a, err := ts.st.AccountByIRI(context.Background(), p.actor)
			if !tc.ok {
				if status != http.StatusUnauthorized || err == nil {
					t.Errorf("Follow answered %d, account stored %v (%v); want 401, nothing stored", status, a != nil, err)
				}
				return
			}
			if status != http.StatusAccepted || err != nil || a.Username != tc.username {
				t.Fatalf("Follow answered %d, account %+v (%v); want 202 and username %q", status, a, err, tc.username)
			}
		})
	}
}
