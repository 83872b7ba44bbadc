package server

import (
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
