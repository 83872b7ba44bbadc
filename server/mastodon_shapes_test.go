package server

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"regexp"
	"testing"

	"roost/server/activitypub"
)

// TestMastodonAccountLastStatusAt: an account's last_status_at is the day of its latest post, as
// Mastodon gives it, and null before it posts.
func TestMastodonAccountLastStatusAt(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write")
	if a := c.json(t, "GET", "/api/v1/accounts/verify_credentials", nil, 200); a["last_status_at"] != nil {
		t.Errorf("last_status_at before any post = %v", a["last_status_at"])
	}
	c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "hello"}, 200)
	a := c.json(t, "GET", "/api/v1/accounts/verify_credentials", nil, 200)
	if !regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`).MatchString(str(a["last_status_at"])) {
		t.Errorf("last_status_at = %v, want YYYY-MM-DD", a["last_status_at"])
	}
}

// TestMastodonBoostURIIsAnnounce: a boost's uri is its Announce's id, not the boosted post's.
func TestMastodonBoostURIIsAnnounce(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write")
	st := c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "boost me"}, 200)
	boost := c.json(t, "POST", "/api/v1/statuses/"+str(st["id"])+"/reblog", nil, 200)
	if str(boost["uri"]) == "" || boost["uri"] == st["uri"] {
		t.Errorf("boost uri = %v, post uri = %v", boost["uri"], st["uri"])
	}
	home, _ := c.list(t, "/api/v1/timelines/home")
	if len(home) == 0 || home[0]["reblog"] == nil || home[0]["uri"] != boost["uri"] {
		t.Errorf("home's boost = %v, want uri %v", home, boost["uri"])
	}
}

// TestMastodonMediaPreviewRemoteURL: media attachments carry preview_remote_url, null when the
// origin gave no thumbnail.
func TestMastodonMediaPreviewRemoteURL(t *testing.T) {
	ts := newTestServer(t)
	p := newPeer(t, "alice")
	followedPeer(t, ts, p)
	note := p.note("a picture", []string{activitypub.Public}, nil)
	note["attachment"] = []any{map[string]any{"type": "Document", "mediaType": "image/png", "url": p.base + "/pic.png"}}
	p.sendAccepted(t, ts, p.create(note))
	post := ts.waitPost(t, note["id"].(string))
	c := newAPIClient(t, ts, "read")
	st := c.json(t, "GET", "/api/v1/statuses/"+idString(post.ID), nil, 200)
	media, _ := st["media_attachments"].([]any)
	if len(media) != 1 {
		t.Fatalf("media_attachments = %v", st["media_attachments"])
	}
	m := media[0].(map[string]any)
	checkShape(t, "remote media", m, map[string]string{"remote_url": "string", "preview_remote_url": "null|string"})
}

// TestMastodonDirectPostWithoutMention: a direct post naming nobody is accepted, as Mastodon does
// (a note to self), and stays direct.
func TestMastodonDirectPostWithoutMention(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write")
	st := c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "note to self", "visibility": "direct"}, 200)
	if st["visibility"] != "direct" {
		t.Errorf("visibility = %v", st["visibility"])
	}
	c.json(t, "GET", "/api/v1/statuses/"+str(st["id"]), nil, 200)
}

// TestMastodonDefaultImagesArePNG: the default avatar and header the API gives are PNG files,
// which every app can show (many cannot show SVG).
func TestMastodonDefaultImagesArePNG(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read")
	a := c.json(t, "GET", "/api/v1/accounts/verify_credentials", nil, 200)
	for _, k := range []string{"avatar", "avatar_static", "header", "header_static"} {
		resp, err := http.Get(str(a[k]))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
			t.Errorf("%s %s: %d %s", k, a[k], resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
}

// TestMastodonVAPIDKey: /api/v2/instance gives configuration.vapid.public_key (an uncompressed
// P-256 point, base64url), the same across restarts, and a registered app's vapid_key is it.
func TestMastodonVAPIDKey(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read")
	key := func() string {
		inst := c.json(t, "GET", "/api/v2/instance", nil, 200)
		conf, _ := inst["configuration"].(map[string]any)
		vapid, _ := conf["vapid"].(map[string]any)
		return str(vapid["public_key"])
	}
	k := key()
	if raw, err := base64.RawURLEncoding.DecodeString(k); err != nil || len(raw) != 65 || raw[0] != 4 {
		t.Fatalf("vapid public_key = %q", k)
	}
	ts.restart(t)
	if k2 := key(); k2 != k {
		t.Errorf("vapid key changed across a restart: %q, then %q", k, k2)
	}
	app := (&apiClient{ts: ts}).json(t, "POST", "/api/v1/apps", map[string]any{"client_name": "Tusky",
		"redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read push"}, 200)
	if app["vapid_key"] != k {
		t.Errorf("app vapid_key = %v, want %s", app["vapid_key"], k)
	}
}

// TestMastodonRemoteAccountCounts: a remote account's counts are its own collections' totalItems,
// as its server gives them, not Roost's tallies of the few of its posts and follows Roost has.
func TestMastodonRemoteAccountCounts(t *testing.T) {
	ts := newTestServer(t)
	p := newPeer(t, "alice")
	p.setDoc("/users/alice/followers", map[string]any{"id": p.actor + "/followers", "type": "OrderedCollection", "totalItems": 1234})
	p.setDoc("/users/alice/following", map[string]any{"id": p.actor + "/following", "type": "OrderedCollection", "totalItems": 56})
	p.setDoc("/users/alice/outbox", map[string]any{"id": p.actor + "/outbox", "type": "OrderedCollection", "totalItems": 789})
	followedPeer(t, ts, p)
	c := newAPIClient(t, ts, "read")
	a := c.json(t, "GET", "/api/v1/accounts/"+idString(ts.account(t, p.actor).ID), nil, 200)
	if a["followers_count"] != 1234.0 || a["following_count"] != 56.0 || a["statuses_count"] != 789.0 {
		t.Errorf("counts = %v followers, %v following, %v statuses; want 1234, 56, 789",
			a["followers_count"], a["following_count"], a["statuses_count"])
	}
}
