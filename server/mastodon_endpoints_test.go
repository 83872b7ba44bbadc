package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"roost/server/activitypub"
)

// TestMastodonMissingEndpointsAnswer: endpoints Mastodon 4.3 has, which apps call and which
// answered 404, answer with Mastodon's shapes.
func TestMastodonMissingEndpointsAnswer(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write", "follow")
	owner := ts.owner(t)
	oid := idString(owner.ID)

	for _, path := range []string{"/api/v1/instance/rules", "/api/v1/featured_tags", "/api/v1/featured_tags/suggestions",
		"/api/v1/accounts/" + oid + "/featured_tags", "/api/v1/suggestions", "/api/v2/suggestions", "/api/v1/endorsements"} {
		if l, _ := c.list(t, path); len(l) != 0 {
			t.Errorf("GET %s = %v, want []", path, l)
		}
	}
	if m := c.json(t, "GET", "/api/v1/instance/extended_description", nil, 200); m["updated_at"] == nil || m["content"] == nil {
		t.Errorf("extended_description = %v", m)
	}
	if m := c.json(t, "GET", "/api/v1/tags/Roost", nil, 200); m["name"] != "roost" || m["following"] != false ||
		!strings.HasSuffix(str(m["url"]), "/tags/roost") {
		t.Errorf("tag = %v", m)
	} else if h, ok := m["history"].([]any); !ok || len(h) != 0 {
		t.Errorf("tag history = %v", m["history"])
	}
	if l, _ := c.list(t, "/api/v1/accounts?id[]="+oid+"&id[]=999"); len(l) != 1 || l[0]["id"] != oid {
		t.Errorf("accounts?id[] = %v", l)
	}
	if l, _ := c.list(t, "/api/v1/accounts/familiar_followers?id[]="+oid); len(l) != 1 || l[0]["id"] != oid {
		t.Errorf("familiar_followers = %v", l)
	} else if a, ok := l[0]["accounts"].([]any); !ok || len(a) != 0 {
		t.Errorf("familiar_followers accounts = %v", l[0])
	}
	if l, _ := c.list(t, "/api/v1/directory"); len(l) > 1 {
		t.Errorf("directory = %v", l)
	}
	c.json(t, "POST", "/api/v1/featured_tags", map[string]any{"name": "roost"}, 422)

	prefs := c.json(t, "GET", "/api/v1/preferences", nil, 200)
	for _, k := range []string{"posting:default:visibility", "posting:default:sensitive", "posting:default:language",
		"reading:expand:media", "reading:expand:spoilers", "reading:autoplay:gifs"} {
		if _, ok := prefs[k]; !ok {
			t.Errorf("preferences lack %s: %v", k, prefs)
		}
	}

	info := c.json(t, "GET", "/oauth/userinfo", nil, 200)
	if info["sub"] != owner.IRI || info["preferred_username"] != owner.Username || str(info["picture"]) == "" ||
		!strings.HasPrefix(str(info["iss"]), ts.base) {
		t.Errorf("userinfo = %v", info)
	}
	narrow := newAPIClient(t, ts, "write:statuses")
	narrow.json(t, "GET", "/oauth/userinfo", nil, 403)

	resp, err := http.Get(ts.base + "/health")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "OK" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("/health: %d %q %s", resp.StatusCode, b, resp.Header.Get("Content-Type"))
	}

	// An API path no route takes is a JSON 404, never an HTML page.
	resp2, body := c.do(t, "GET", "/api/v1/no_such_thing", nil)
	var e map[string]any
	if resp2.StatusCode != 404 || json.Unmarshal(body, &e) != nil || str(e["error"]) == "" {
		t.Errorf("unknown API path: %d %s", resp2.StatusCode, body)
	}
}

// TestMastodonRemoveFromFollowers: the owner removes a follower through the API; the peer receives
// a Reject of its Follow and the relationship no longer shows it following.
func TestMastodonRemoveFromFollowers(t *testing.T) {
	ts := newTestServer(t)
	p := newPeer(t, "alice")
	follow := followingPeer(t, ts, p)
	c := newAPIClient(t, ts, "read", "write", "follow")
	a := ts.account(t, p.actor)

	rel := c.json(t, "POST", "/api/v1/accounts/"+idString(a.ID)+"/remove_from_followers", nil, 200)
	if rel["followed_by"] != false {
		t.Errorf("relationship = %v", rel)
	}
	p.waitPost(t, "Reject", func(r received) bool { return r.typ() == "Reject" && r.objectID() == follow })
	// Again, when it no longer follows: the relationship, as Mastodon answers.
	c.json(t, "POST", "/api/v1/accounts/"+idString(a.ID)+"/remove_from_followers", nil, 200)
}

// TestMastodonAccountNote: the owner's private note on an account is kept, shown in the
// relationship, and removed by an empty comment.
func TestMastodonAccountNote(t *testing.T) {
	ts := newTestServer(t)
	p := newPeer(t, "alice")
	followedPeer(t, ts, p)
	a := ts.account(t, p.actor)
	id := idString(a.ID)
	c := newAPIClient(t, ts, "read", "write", "follow")

	if rel := c.json(t, "POST", "/api/v1/accounts/"+id+"/note", map[string]any{"comment": "met at the conference"}, 200); rel["note"] != "met at the conference" {
		t.Errorf("note answer = %v", rel)
	}
	ts.restart(t)
	if l, _ := c.list(t, "/api/v1/accounts/relationships?id[]="+id); len(l) != 1 || l[0]["note"] != "met at the conference" {
		t.Errorf("relationships = %v", l)
	}
	c.json(t, "POST", "/api/v1/accounts/"+id+"/note", map[string]any{"comment": strings.Repeat("x", 2001)}, 422)
	if rel := c.json(t, "POST", "/api/v1/accounts/"+id+"/note", map[string]any{"comment": ""}, 200); rel["note"] != "" {
		t.Errorf("cleared note = %v", rel["note"])
	}
}

// TestMastodonFilterKeywordsAndStatuses: a filter's keywords are listed, added, shown, changed and
// deleted one by one; its statuses are an honest empty list.
func TestMastodonFilterKeywordsAndStatuses(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write")
	f := c.json(t, "POST", "/api/v2/filters", map[string]any{"title": "spoilers", "context": []string{"home"},
		"keywords_attributes": []map[string]any{{"keyword": "finale"}}}, 200)
	fid := str(f["id"])

	if l, _ := c.list(t, "/api/v2/filters/"+fid+"/keywords"); len(l) != 1 || l[0]["keyword"] != "finale" {
		t.Errorf("keywords = %v", l)
	}
	k := c.json(t, "POST", "/api/v2/filters/"+fid+"/keywords", map[string]any{"keyword": "season 3", "whole_word": "0"}, 200)
	kid := str(k["id"])
	if k["keyword"] != "season 3" || k["whole_word"] != false || kid == "" {
		t.Errorf("added keyword = %v", k)
	}
	if got := c.json(t, "GET", "/api/v2/filters/keywords/"+kid, nil, 200); got["keyword"] != "season 3" {
		t.Errorf("keyword = %v", got)
	}
	if got := c.json(t, "PUT", "/api/v2/filters/keywords/"+kid, map[string]any{"keyword": "season 4", "whole_word": true}, 200); got["keyword"] != "season 4" || got["whole_word"] != true {
		t.Errorf("changed keyword = %v", got)
	}
	if got := c.json(t, "GET", "/api/v2/filters/"+fid, nil, 200); len(got["keywords"].([]any)) != 2 {
		t.Errorf("filter keywords = %v", got["keywords"])
	}
	c.json(t, "DELETE", "/api/v2/filters/keywords/"+kid, nil, 200)
	c.json(t, "GET", "/api/v2/filters/keywords/"+kid, nil, 404)
	c.json(t, "POST", "/api/v2/filters/"+fid+"/keywords", map[string]any{"keyword": " "}, 422)

	if l, _ := c.list(t, "/api/v2/filters/"+fid+"/statuses"); len(l) != 0 {
		t.Errorf("filter statuses = %v", l)
	}
	c.json(t, "GET", "/api/v2/filters/statuses/1", nil, 404)
	c.json(t, "GET", "/api/v2/filters/999/keywords", nil, 404)
}

// TestMastodonStatusMute: muting a status mutes its conversation: a reply deeper in the thread
// no longer notifies the owner, the status shows muted, and unmuting lets notifications in again.
func TestMastodonStatusMute(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write")
	st := c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "a thread"}, 200)
	p := newPeer(t, "alice")
	reply := func(to string) string {
		n := p.note("<p>@me yes</p>", []string{ts.actor, activitypub.Public}, nil)
		n["inReplyTo"] = to
		n["tag"] = []any{map[string]any{"type": "Mention", "href": ts.actor, "name": "@me@" + ts.cfg.Domain}}
		p.sendAccepted(t, ts, p.create(n))
		ts.waitPost(t, str(n["id"]))
		return str(n["id"])
	}
	mentions := func() int {
		l, _ := c.list(t, "/api/v1/notifications?types[]=mention")
		return len(l)
	}
	first := reply(str(st["uri"]))
	if n := mentions(); n != 1 {
		t.Fatalf("%d mentions before the mute, want 1", n)
	}

	if m := c.json(t, "POST", "/api/v1/statuses/"+str(st["id"])+"/mute", nil, 200); m["muted"] != true {
		t.Errorf("muted = %v after mute", m["muted"])
	}
	second := reply(first)
	if n := mentions(); n != 1 {
		t.Errorf("%d mentions after a reply in the muted thread, want 1", n)
	}
	if got := c.json(t, "GET", "/api/v1/statuses/"+idString(ts.waitPost(t, second).ID), nil, 200); got["muted"] != true {
		t.Errorf("a reply in the muted thread: muted = %v", got["muted"])
	}

	if m := c.json(t, "POST", "/api/v1/statuses/"+str(st["id"])+"/unmute", nil, 200); m["muted"] != false {
		t.Errorf("muted = %v after unmute", m["muted"])
	}
	reply(second)
	if n := mentions(); n != 2 {
		t.Errorf("%d mentions after unmuting, want 2", n)
	}
}

// TestAccountsByIDBounded: GET /api/v1/accounts answers at most 40 of the ids a request names, as
// Mastodon does, so a stranger's long query cannot make Roost render thousands of accounts.
func TestAccountsByIDBounded(t *testing.T) {
	ts := newTestServer(t)
	q := url.Values{}
	for range 100 {
		q.Add("id[]", idString(ts.srv.Owner().ID))
	}
	resp, body := ts.get(t, "/api/v1/accounts?"+q.Encode(), "")
	var list []map[string]any
	if err := json.Unmarshal(body, &list); resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("GET /api/v1/accounts: %d %v %s", resp.StatusCode, err, body)
	}
	if len(list) != 40 {
		t.Errorf("100 ids answered with %d accounts, want 40", len(list))
	}
}
