package server

import (
	"net/http"
	"testing"

	"roost/server/activitypub"
)

// TestFollowedTags follows a hashtag through the client API: a stranger's public post with the
// tag reaches home (and the tag entity says following), one without it does not, and after the
// unfollow a tagged post is no longer kept. The public timeline's local and remote split what it
// lists.
func TestFollowedTags(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write", "follow")
	stranger := newPeer(t, "stranger")

	if tag := c.json(t, "GET", "/api/v1/tags/Roosting", nil, 200); tag["following"] != false || tag["name"] != "roosting" {
		t.Fatalf("tag before following = %v", tag)
	}
	if tag := c.json(t, "POST", "/api/v1/tags/Roosting/follow", nil, 200); tag["following"] != true {
		t.Fatalf("follow answered %v", tag)
	}
	c.json(t, "POST", "/api/v1/tags/birds/follow", nil, 200)
	if tag := c.json(t, "GET", "/api/v1/tags/roosting", nil, 200); tag["following"] != true {
		t.Fatalf("tag after following = %v", tag)
	}
	if resp, _ := c.do(t, "POST", "/api/v1/tags/not%20a%20tag/follow", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("following a non-tag: %d, want 404", resp.StatusCode)
	}
	tags, resp := c.list(t, "/api/v1/followed_tags?limit=1")
	if len(tags) != 1 || tags[0]["name"] != "birds" || tags[0]["following"] != true || resp.Header.Get("Link") == "" {
		t.Fatalf("followed_tags?limit=1 = %v (Link %q); want birds, the newest, and a Link to the next", tags, resp.Header.Get("Link"))
	}
	tags, _ = c.list(t, "/api/v1/followed_tags")
	if len(tags) != 2 {
		t.Fatalf("followed_tags = %v; want 2", tags)
	}

	tagged := stranger.note(`<p>Evening at the <a href="x" rel="tag">#Roosting</a> site</p>`, []string{activitypub.Public}, nil)
	tagged["tag"] = []any{map[string]any{"type": "Hashtag", "name": "#Roosting", "href": "https://example.com/tags/roosting"}}
	untagged := stranger.note("<p>Nothing to see</p>", []string{activitypub.Public}, nil)
	events := openSSE(t, c, "/api/v1/streaming/user")
	stranger.sendAccepted(t, ts, stranger.create(untagged))
	stranger.sendAccepted(t, ts, stranger.create(tagged))
	ts.waitPost(t, tagged["id"].(string))
	ev := nextSSE(t, events, "the tagged post on the user stream", func(ev sseEvent) bool { return ev.event == "update" })
	if st := decodeJSON(t, []byte(ev.data)); st["uri"] != tagged["id"] {
		t.Errorf("the user stream's update is %v; want the tagged post", st["uri"])
	}
	ts.waitInboxIdle(t)
	if _, err := ts.st.PostByIRI(t.Context(), untagged["id"].(string)); err == nil {
		t.Error("a stranger's post without a followed tag was kept")
	}
	home, _ := c.list(t, "/api/v1/timelines/home")
	if len(home) != 1 || home[0]["uri"] != tagged["id"] {
		t.Fatalf("home = %v; want the tagged post", home)
	}

	// The public timeline: everything public Roost has; local the owner's, remote the others'.
	own := c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "mine", "visibility": "public"}, 200)
	for _, tc := range []struct {
		query string
		want  any
	}{{"", 2}, {"?local=true", own["uri"]}, {"?remote=true", tagged["id"]}} {
		l, _ := c.list(t, "/api/v1/timelines/public"+tc.query)
		if n, ok := tc.want.(int); ok {
			if len(l) != n {
				t.Errorf("public%s: %d statuses, want %d", tc.query, len(l), n)
			}
		} else if len(l) != 1 || l[0]["uri"] != tc.want {
			t.Errorf("public%s = %v; want only %v", tc.query, l, tc.want)
		}
	}

	c.json(t, "POST", "/api/v1/tags/roosting/unfollow", nil, 200)
	if tag := c.json(t, "GET", "/api/v1/tags/roosting", nil, 200); tag["following"] != false {
		t.Fatalf("tag after unfollowing = %v", tag)
	}
	later := stranger.note("<p>More #Roosting</p>", []string{activitypub.Public}, nil)
	later["tag"] = tagged["tag"]
	stranger.sendAccepted(t, ts, stranger.create(later))
	ts.waitInboxIdle(t)
	if _, err := ts.st.PostByIRI(t.Context(), later["id"].(string)); err == nil {
		t.Error("a tagged post was kept after the tag was unfollowed")
	}
}
