package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"roost/store/access"
)

// apiClient calls the Mastodon API of a test server with a bearer token of the given scopes.
type apiClient struct {
	ts    *testServer
	token string
}

func newAPIClient(t *testing.T, ts *testServer, scopes ...string) *apiClient {
	t.Helper()
	ctx := context.Background()
	app := &access.App{ClientID: randomToken(16), SecretHash: hashToken("secret"), Name: "test app",
		RedirectURIs: []string{"urn:ietf:wg:oauth:2.0:oob"}, Scopes: scopes}
	if err := access.New(ts.st).CreateApp(ctx, app); err != nil {
		t.Fatal(err)
	}
	tok := randomToken(32)
	if err := access.New(ts.st).CreateToken(ctx, &access.Token{TokenHash: hashToken(tok), AppID: app.ID, Scopes: scopes, Owner: true}); err != nil {
		t.Fatal(err)
	}
	return &apiClient{ts: ts, token: tok}
}

func (c *apiClient) do(t *testing.T, method, path string, body any) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.ts.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func (c *apiClient) json(t *testing.T, method, path string, body any, want int) map[string]any {
	t.Helper()
	resp, b := c.do(t, method, path, body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s %s: %v: %s", method, path, err, b)
	}
	return m
}

func (c *apiClient) list(t *testing.T, path string) ([]map[string]any, *http.Response) {
	t.Helper()
	resp, b := c.do(t, "GET", path, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	var l []map[string]any
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, b)
	}
	return l, resp
}

func TestMastodonAPIFlow(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write", "follow")

	inst := c.json(t, "GET", "/api/v2/instance", nil, 200)
	if inst["domain"] != ts.srv.cfg.Domain || !strings.Contains(str(inst["version"]), "compatible; Roost") {
		t.Errorf("v2 instance = %v", inst)
	}
	v1 := c.json(t, "GET", "/api/v1/instance", nil, 200)
	if v1["uri"] != ts.srv.cfg.Domain {
		t.Errorf("v1 instance uri = %v", v1["uri"])
	}
	me := c.json(t, "GET", "/api/v1/accounts/verify_credentials", nil, 200)
	if me["username"] != "me" || me["acct"] != "me" || me["source"] == nil {
		t.Errorf("verify_credentials = %v", me)
	}
	for _, path := range []string{"/api/v1/custom_emojis", "/api/v1/announcements", "/api/v1/trends/tags",
		"/api/v1/trends/statuses", "/api/v1/trends/links", "/api/v2/filters", "/api/v1/instance/peers"} {
		if l, _ := c.list(t, path); len(l) != 0 {
			t.Errorf("%s = %v, want []", path, l)
		}
	}

	st := c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "hello *api*", "spoiler_text": "cw",
		"visibility": "unlisted"}, 200)
	if st["visibility"] != "unlisted" || st["spoiler_text"] != "cw" || !strings.Contains(str(st["content"]), "<em>api</em>") {
		t.Errorf("created status = %v", st)
	}
	id := str(st["id"])
	if fav := c.json(t, "POST", "/api/v1/statuses/"+id+"/favourite", nil, 200); fav["favourited"] != true {
		t.Errorf("favourite = %v", fav["favourited"])
	}
	boost := c.json(t, "POST", "/api/v1/statuses/"+id+"/reblog", nil, 200)
	if rb, _ := boost["reblog"].(map[string]any); rb == nil || rb["id"] != id {
		t.Errorf("reblog answer's reblog = %v", boost["reblog"])
	}
	if bm := c.json(t, "POST", "/api/v1/statuses/"+id+"/bookmark", nil, 200); bm["bookmarked"] != true {
		t.Errorf("bookmark = %v", bm["bookmarked"])
	}
	reply := c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "a reply", "in_reply_to_id": id}, 200)
	if reply["in_reply_to_id"] != id {
		t.Errorf("reply in_reply_to_id = %v", reply["in_reply_to_id"])
	}
	ctxDoc := c.json(t, "GET", "/api/v1/statuses/"+id+"/context", nil, 200)
	if d, _ := ctxDoc["descendants"].([]any); len(d) != 1 {
		t.Errorf("context descendants = %v", ctxDoc["descendants"])
	}

	// Idempotency-Key: a retried POST returns the first status.
	req := map[string]any{"status": "only once"}
	do := func() string {
		b, _ := json.Marshal(req)
		r, _ := http.NewRequest("POST", ts.base+"/api/v1/statuses", bytes.NewReader(b))
		r.Header.Set("Authorization", "Bearer "+c.token)
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Idempotency-Key", "abc-123")
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return str(m["id"])
	}
	if a, b := do(), do(); a == "" || a != b {
		t.Errorf("idempotent posts got ids %q and %q", a, b)
	}

	// Home timeline pages with Link headers and no rel="next" on an empty page.
	for i := range 25 {
		c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "post " + string(rune('a'+i))}, 200)
	}
	page, resp := c.list(t, "/api/v1/timelines/home?limit=20")
	if len(page) != 20 || !strings.Contains(resp.Header.Get("Link"), `rel="next"`) {
		t.Fatalf("home page 1: %d items, Link %q", len(page), resp.Header.Get("Link"))
	}
	seen := map[string]bool{}
	for _, s := range page {
		seen[str(s["id"])] = true
	}
	next := resp.Header.Get("Link")
	next = next[strings.Index(next, "<")+1 : strings.Index(next, ">")]
	page2, _ := c.list(t, strings.TrimPrefix(next, ts.base))
	if len(page2) == 0 {
		t.Fatal("home page 2 is empty")
	}
	for _, s := range page2 {
		if seen[str(s["id"])] {
			t.Errorf("status %v on both pages", s["id"])
		}
	}
	empty, resp := c.list(t, "/api/v1/timelines/home?max_id=1")
	if len(empty) != 0 || strings.Contains(resp.Header.Get("Link"), "next") {
		t.Errorf("empty page: %d items, Link %q", len(empty), resp.Header.Get("Link"))
	}

	// Errors: unknown IDs 404, invalid visibility 422, no token 401 — all JSON.
	c.json(t, "GET", "/api/v1/statuses/999", nil, 404)
	c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "x", "visibility": "everyone"}, 422)
	anon := &apiClient{ts: ts}
	anon.json(t, "GET", "/api/v1/accounts/verify_credentials", nil, 401)
	anon.json(t, "GET", "/api/v1/timelines/home", nil, 401)

	// Scopes: a read token cannot post.
	reader := newAPIClient(t, ts, "read")
	reader.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "nope"}, 403)
	reader.list(t, "/api/v1/timelines/home")

	// Delete answers the deleted status; afterwards it is gone.
	c.json(t, "DELETE", "/api/v1/statuses/"+id, nil, 200)
	c.json(t, "GET", "/api/v1/statuses/"+id, nil, 404)
}

func TestMastodonAPIFederation(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write", "follow")
	alice := newPeer(t, "alice")

	// Resolve and follow a remote account through search and the follow endpoint.
	res := c.json(t, "GET", "/api/v2/search?resolve=true&q="+alice.actor, nil, 200)
	accts, _ := res["accounts"].([]any)
	if len(accts) != 1 {
		t.Fatalf("search accounts = %v", res["accounts"])
	}
	aid := str(accts[0].(map[string]any)["id"])
	rel := c.json(t, "POST", "/api/v1/accounts/"+aid+"/follow", nil, 200)
	if rel["requested"] != true && rel["following"] != true {
		t.Errorf("follow relationship = %v", rel)
	}
	f := alice.waitPost(t, "Follow", ofTypeObject("Follow", alice.actor))
	alice.sendAccepted(t, ts, alice.activity("Accept", f.Activity))

	// A follower's like shows up as a notification.
	followingPeer(t, ts, alice)
	st := c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "like me"}, 200)
	like := alice.activity("Like", str(st["uri"]))
	alice.sendAccepted(t, ts, like)
	waitFor(t, "favourite notification", func() bool {
		l, _ := c.list(t, "/api/v1/notifications?types[]=favourite")
		return len(l) == 1
	})
	all, _ := c.list(t, "/api/v1/notifications?exclude_types[]=follow")
	for _, n := range all {
		if n["type"] == "follow" {
			t.Errorf("exclude_types ignored: %v", n)
		}
	}
}
