package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"

	"roost/server/activitypub"
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

// TestRemoteEmojiShortcodesValidated: of a post's custom emoji, only those whose shortcode is a
// shortcode ([a-zA-Z0-9_]{2,}, as Mastodon) and whose image is an http(s) URL are stored.
func TestRemoteEmojiShortcodesValidated(t *testing.T) {
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	followedPeer(t, ts, alice)
	icon := map[string]any{"type": "Image", "mediaType": "image/png", "url": alice.base + "/emoji/blobcat.png"}
	n := alice.note("hi :blobcat: :a b: :x:", []string{activitypub.Public}, nil)
	n["tag"] = []any{
		map[string]any{"type": "Emoji", "name": ":blobcat:", "icon": icon},
		map[string]any{"type": "Emoji", "name": ":a b:", "icon": icon},
		map[string]any{"type": "Emoji", "name": ":x<script>:", "icon": icon},
		map[string]any{"type": "Emoji", "name": ":x:", "icon": icon},
		map[string]any{"type": "Emoji", "name": ":@alice@example.com:", "icon": icon},
		map[string]any{"type": "Emoji", "name": ":noimage:"},
		map[string]any{"type": "Emoji", "name": ":jsimage:", "icon": map[string]any{"url": "javascript:alert(1)"}},
	}
	alice.sendAccepted(t, ts, alice.create(n))
	p := ts.waitPost(t, str(n["id"]))
	var got []string
	for _, tag := range p.Tags {
		if tag.Type == "Emoji" {
			got = append(got, tag.Name+" "+tag.Icon)
		}
	}
	if want := []string{":blobcat: " + alice.base + "/emoji/blobcat.png"}; !slices.Equal(got, want) {
		t.Errorf("stored emoji %q, want %q", got, want)
	}
}

// TestRemoteFollowRedirectsOnlyToTheHandlesHost: /remote-follow sends the visitor on by itself
// only to their handle's own host; a WebFinger template pointing anywhere else (which would make
// this site an open redirect for whoever runs a server) is shown as a link for the visitor to
// judge, and never becomes a Location.
func TestRemoteFollowRedirectsOnlyToTheHandlesHost(t *testing.T) {
	var template string
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/jrd+json")
		json.NewEncoder(w).Encode(map[string]any{"subject": r.URL.Query().Get("resource"), "links": []any{
			map[string]any{"rel": subscribeRel, "template": template}}})
	}))
	t.Cleanup(peer.Close)
	host := strings.TrimPrefix(peer.URL, "http://")
	ps := newPubServer(t, func(c *Config) {
		c.AllowPrivate = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	})
	actor := url.QueryEscape("https://example.test/users/me")
	for _, tc := range []struct {
		name, template, target string
		redirect               bool
	}{
		{"the handle's host", peer.URL + "/authorize_interaction?uri={uri}",
			peer.URL + "/authorize_interaction?uri=" + actor, true},
		{"another host", "https://evil.example/login?next={uri}", "https://evil.example/login?next=" + actor, false},
		{"another name for the host", "http://localhost" + strings.TrimPrefix(host, "127.0.0.1") + "/x?uri={uri}",
			"http://localhost" + strings.TrimPrefix(host, "127.0.0.1") + "/x?uri=" + actor, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			template = tc.template
			rec := ps.get(t, "/remote-follow?acct="+url.QueryEscape("alice@"+host))
			if tc.redirect {
				if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != tc.target {
					t.Fatalf("status %d, Location %q; want 303 to %s", rec.Code, rec.Header().Get("Location"), tc.target)
				}
				return
			}
			if rec.Code != http.StatusOK || rec.Header().Get("Location") != "" {
				t.Fatalf("status %d, Location %q; want 200 and a page", rec.Code, rec.Header().Get("Location"))
			}
			doc := pubParse(t, rec.Body.String())
			pubAssertNoActiveContent(t, doc)
			link := pubFirst(t, doc, "the link onwards", pubClass("remote-follow-target"))
			if href, _ := pubAttr(link, "href"); href != tc.target || pubText(link) != tc.target {
				t.Errorf("link %q reading %q, want %s", href, pubText(link), tc.target)
			}
		})
	}
}
