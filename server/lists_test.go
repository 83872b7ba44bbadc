package server

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"roost/server/activitypub"
)

// statusURIs is the uri of each status of a timeline page.
func statusURIs(l []map[string]any) []string {
	var out []string
	for _, st := range l {
		out = append(out, str(st["uri"]))
	}
	return out
}

// TestListsAPI drives Mastodon's list endpoints: a list of a followed peer shows that peer's
// posts and not another's, refuses a peer the owner does not follow (422), follows its replies
// policy, names its lists per account, and is gone once deleted.
func TestListsAPI(t *testing.T) {
	ts := newTestServer(t)
	bob, dave, carol := newPeer(t, "bob"), newPeer(t, "dave"), newPeer(t, "carol")
	followedPeer(t, ts, bob)
	followedPeer(t, ts, dave)
	followingPeer(t, ts, carol) // known, not followed
	c := newAPIClient(t, ts, "read", "write")
	bobID := idString(ts.account(t, bob.actor).ID)
	carolID := idString(ts.account(t, carol.actor).ID)

	if resp, _ := c.do(t, "POST", "/api/v1/lists", map[string]any{"title": " "}); resp.StatusCode != 422 {
		t.Errorf("a list without a title: %d, want 422", resp.StatusCode)
	}
	l := c.json(t, "POST", "/api/v1/lists", map[string]any{"title": "Friends"}, 200)
	if l["title"] != "Friends" || l["replies_policy"] != "list" || l["exclusive"] != false {
		t.Fatalf("created list = %v", l)
	}
	lp := "/api/v1/lists/" + str(l["id"])
	resp, b := c.do(t, "POST", lp+"/accounts", map[string]any{"account_ids": []string{carolID}})
	if resp.StatusCode != 422 {
		t.Errorf("adding an account the owner does not follow: %d %s, want 422", resp.StatusCode, b)
	}
	c.json(t, "POST", lp+"/accounts", map[string]any{"account_ids": []string{bobID}}, 200)
	members, _ := c.list(t, lp+"/accounts")
	if len(members) != 1 || members[0]["id"] != bobID {
		t.Fatalf("members = %v, want bob", members)
	}
	if ls, _ := c.list(t, "/api/v1/accounts/"+bobID+"/lists"); len(ls) != 1 || ls[0]["id"] != l["id"] {
		t.Errorf("bob's lists = %v", ls)
	}

	// Published a second apart: the posts' IDs, and so the timeline's order, come from these
	// times, and two notes of the same second would be ordered by their addresses.
	at := func(ago int) string {
		return time.Now().Add(-time.Duration(ago) * time.Second).UTC().Format(time.RFC3339)
	}
	bobNote := bob.note("bob on the list", []string{activitypub.Public}, nil)
	bobNote["published"] = at(3)
	bob.sendAccepted(t, ts, bob.create(bobNote))
	daveNote := dave.note("dave is not", []string{activitypub.Public}, nil)
	daveNote["published"] = at(2)
	dave.sendAccepted(t, ts, dave.create(daveNote))
	daveReply := bob.note("bob answers dave", []string{activitypub.Public}, nil)
	daveReply["published"] = at(1)
	daveReply["inReplyTo"] = daveNote["id"]
	bob.sendAccepted(t, ts, bob.create(daveReply))
	ts.waitPost(t, str(daveReply["id"]))

	tl, _ := c.list(t, "/api/v1/timelines/list/"+str(l["id"]))
	if got, want := statusURIs(tl), []string{str(bobNote["id"])}; !slices.Equal(got, want) {
		t.Errorf("list timeline (replies_policy list) = %v, want %v", got, want)
	}
	// dave is followed: with replies_policy followed, bob's answer to him shows.
	c.json(t, "PUT", lp, map[string]any{"replies_policy": "followed"}, 200)
	tl, resp = c.list(t, "/api/v1/timelines/list/"+str(l["id"])+"?limit=1")
	if got, want := statusURIs(tl), []string{str(daveReply["id"])}; !slices.Equal(got, want) {
		t.Errorf("list timeline (replies_policy followed, limit 1) = %v, want %v", got, want)
	}
	if resp.Header.Get("Link") == "" {
		t.Error("list timeline without a Link header")
	}
	if got := c.json(t, "GET", lp, nil, 200); got["title"] != "Friends" || got["replies_policy"] != "followed" {
		t.Errorf("list after PUT = %v", got)
	}

	c.json(t, "DELETE", lp+"/accounts?account_ids[]="+bobID, nil, 200)
	if tl, _ := c.list(t, "/api/v1/timelines/list/"+str(l["id"])); len(tl) != 0 {
		t.Errorf("list timeline after removing bob = %v", statusURIs(tl))
	}
	c.json(t, "DELETE", lp, nil, 200)
	if resp, _ := c.do(t, "GET", lp, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("deleted list: %d, want 404", resp.StatusCode)
	}
	if ls, _ := c.list(t, "/api/v1/lists"); len(ls) != 0 {
		t.Errorf("lists after delete = %v", ls)
	}
}

// TestListStream checks that the list stream sends a member's new post, and not a non-member's.
func TestListStream(t *testing.T) {
	ts := newTestServer(t)
	bob, dave := newPeer(t, "bob"), newPeer(t, "dave")
	followedPeer(t, ts, bob)
	followedPeer(t, ts, dave)
	c := newAPIClient(t, ts, "read", "write")
	l := c.json(t, "POST", "/api/v1/lists", map[string]any{"title": "Bob"}, 200)
	c.json(t, "POST", "/api/v1/lists/"+str(l["id"])+"/accounts",
		map[string]any{"account_ids": []string{idString(ts.account(t, bob.actor).ID)}}, 200)
	events := openSSE(t, c, "/api/v1/streaming/list?list="+str(l["id"]))

	dave.sendAccepted(t, ts, dave.create(dave.note("dave is not on the list", []string{activitypub.Public}, nil)))
	note := bob.note("bob is", []string{activitypub.Public}, nil)
	bob.sendAccepted(t, ts, bob.create(note))
	ev := nextSSE(t, events, "update", func(ev sseEvent) bool { return ev.event == "update" })
	var st map[string]any
	if err := json.Unmarshal([]byte(ev.data), &st); err != nil || st["uri"] != note["id"] {
		t.Errorf("list stream sent %s, want bob's note %v", ev.data, note["id"])
	}
	if resp, _ := c.do(t, "GET", "/api/v1/streaming/list?list=1", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("stream of an unknown list: %d, want 404", resp.StatusCode)
	}
}
