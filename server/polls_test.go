package server

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"roost/server/activitypub"
)

// question is a poll as Mastodon sends it: options with their counts in replies.totalItems,
// votersCount, and endTime.
func question(p *peer, multiple bool, end time.Time, counts ...int) map[string]any {
	q := p.note("<p>Tea or coffee?</p>", []string{activitypub.Public}, []string{p.actor + "/followers"})
	q["type"] = "Question"
	q["endTime"] = end.UTC().Format(time.RFC3339)
	var options []any
	voters := 0
	for i, n := range counts {
		options = append(options, map[string]any{"type": "Note", "name": []string{"Tea", "Coffee", "Both"}[i],
			"replies": map[string]any{"type": "Collection", "totalItems": n}})
		voters += n
	}
	if multiple {
		q["anyOf"] = options
	} else {
		q["oneOf"] = options
	}
	q["votersCount"] = voters
	return q
}

func TestRemotePollVote(t *testing.T) {
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	followedPeer(t, ts, alice)
	c := newAPIClient(t, ts, "read", "write")

	q := question(alice, false, time.Now().Add(24*time.Hour), 3, 1)
	alice.sendAccepted(t, ts, alice.create(q))
	p := ts.waitPost(t, str(q["id"]))
	id := strconv.FormatInt(p.ID, 10)

	st := c.json(t, "GET", "/api/v1/statuses/"+id, nil, 200)
	poll, _ := st["poll"].(map[string]any)
	if poll == nil {
		t.Fatalf("status has no poll: %v", st)
	}
	checkShape(t, "poll", poll, map[string]string{"id": "string", "expires_at": "string", "expired": "bool",
		"multiple": "bool", "votes_count": "number", "voters_count": "number", "voted": "bool",
		"own_votes": "array", "options": "array", "emojis": "array"})
	if poll["id"] != id || poll["votes_count"] != 4.0 || poll["voted"] != false || poll["expired"] != false {
		t.Errorf("poll = %v", poll)
	}
	if got := fmt.Sprint(poll["options"]); got != "[map[title:Tea votes_count:3] map[title:Coffee votes_count:1]]" {
		t.Errorf("options = %s", got)
	}

	// Two choices in a single-choice poll, an option that does not exist: refused, nothing sent.
	c.json(t, "POST", "/api/v1/polls/"+id+"/votes", map[string]any{"choices": []string{"0", "1"}}, 422)
	c.json(t, "POST", "/api/v1/polls/"+id+"/votes", map[string]any{"choices": []string{"2"}}, 422)
	c.json(t, "POST", "/api/v1/polls/999/votes", map[string]any{"choices": []string{"0"}}, 404)

	voted := c.json(t, "POST", "/api/v1/polls/"+id+"/votes", map[string]any{"choices": []string{"1"}}, 200)
	if voted["voted"] != true || fmt.Sprint(voted["own_votes"]) != "[1]" || voted["votes_count"] != 5.0 {
		t.Errorf("after voting, poll = %v", voted)
	}
	vote := alice.waitPost(t, "vote", ofType("Create"))
	if !vote.Verified {
		t.Fatalf("vote signature: %v", vote.VerifyErr)
	}
	note, _ := vote.Activity["object"].(map[string]any)
	if note["type"] != "Note" || note["name"] != "Coffee" || note["inReplyTo"] != q["id"] ||
		note["attributedTo"] != ts.actor || fmt.Sprint(note["to"]) != "["+alice.actor+"]" || note["content"] != nil {
		t.Errorf("vote = %v", note)
	}
	c.json(t, "POST", "/api/v1/polls/"+id+"/votes", map[string]any{"choices": []string{"0"}}, 422)
	if n := alice.count(ofType("Create")); n != 1 {
		t.Errorf("alice got %d votes, want 1", n)
	}

	// Mastodon's Update with the new counts: the owner's vote stays, and it is not an edit.
	q2 := question(alice, false, time.Now().Add(24*time.Hour), 3, 2)
	q2["id"], q2["url"], q2["published"] = q["id"], q["url"], q["published"]
	alice.sendAccepted(t, ts, alice.activity("Update", q2))
	ts.waitInboxIdle(t)
	got := c.json(t, "GET", "/api/v1/polls/"+id, nil, 200)
	if got["voted"] != true || fmt.Sprint(got["own_votes"]) != "[1]" || got["votes_count"] != 5.0 ||
		got["voters_count"] != 5.0 {
		t.Errorf("after the update, poll = %v", got)
	}
	if st := c.json(t, "GET", "/api/v1/statuses/"+id, nil, 200); st["edited_at"] != nil {
		t.Errorf("a count update made the status edited at %v", st["edited_at"])
	}
}

func TestRemotePollEnded(t *testing.T) {
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	followedPeer(t, ts, alice)
	c := newAPIClient(t, ts, "read", "write")

	q := question(alice, true, time.Now().Add(-time.Hour), 2, 5, 1)
	alice.sendAccepted(t, ts, alice.create(q))
	p := ts.waitPost(t, str(q["id"]))
	id := strconv.FormatInt(p.ID, 10)
	poll := c.json(t, "GET", "/api/v1/polls/"+id, nil, 200)
	if poll["expired"] != true || poll["multiple"] != true || poll["votes_count"] != 8.0 {
		t.Errorf("poll = %v", poll)
	}
	c.json(t, "POST", "/api/v1/polls/"+id+"/votes", map[string]any{"choices": []string{"0", "2"}}, 422)
	ts.waitQueueEmpty(t)
	if n := alice.count(ofType("Create")); n != 0 {
		t.Errorf("alice got %d votes on an ended poll", n)
	}
	// A post without a poll has none.
	n := alice.note("no poll", []string{activitypub.Public}, nil)
	alice.sendAccepted(t, ts, alice.create(n))
	plain := ts.waitPost(t, str(n["id"]))
	c.json(t, "GET", "/api/v1/polls/"+strconv.FormatInt(plain.ID, 10), nil, 404)
	if st := c.json(t, "GET", "/api/v1/statuses/"+strconv.FormatInt(plain.ID, 10), nil, 200); st["poll"] != nil {
		t.Errorf("poll of a plain post = %v", st["poll"])
	}
}
