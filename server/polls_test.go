package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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

func TestRemotePollOnPages(t *testing.T) {
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	followedPeer(t, ts, alice)
	q := question(alice, true, time.Now().Add(24*time.Hour), 1, 3, 0)
	q["content"] = `<p>Tea or coffee? <img src=x onerror=alert(1)></p>`
	q["anyOf"].([]any)[2].(map[string]any)["name"] = `<script>alert(1)</script>Both`
	alice.sendAccepted(t, ts, alice.create(q))
	p := ts.waitPost(t, str(q["id"]))
	c := signIn(t, ts)

	doc := c.page(t, "/home")
	assertInert(t, "home with a poll", doc)
	// Before the owner votes the poll shows its ballot, not the results as well.
	if n := len(elements(doc, byClass("poll"))); n != 0 {
		t.Errorf("the poll shows its results beside the ballot")
	}
	ballot := firstElement(t, doc, "ballot", byClass("vote"))
	if got := textOf(ballot); !strings.Contains(got, "Tea") || !strings.Contains(got, "Both") ||
		strings.Contains(got, "alert") || !strings.Contains(got, "4 people") || strings.Contains(got, "%") {
		t.Errorf("ballot reads %q", got)
	}
	if n := len(elements(ballot, byInput("choice"))); n != 3 {
		t.Errorf("ballot has %d choices, want 3", n)
	}

	// Without the CSRF token nothing is sent.
	if rec := c.postForm("/vote", url.Values{"post": {strconv.FormatInt(p.ID, 10)}, "choice": {"0"}}); rec.Code != http.StatusForbidden {
		t.Errorf("vote without token: %d, want 403", rec.Code)
	}
	loc := c.submit(t, "/vote", url.Values{"post": {strconv.FormatInt(p.ID, 10)}, "choice": {"0", "2"}})
	if got := alertText(c.follow(t, loc)); got != "" {
		t.Errorf("after voting: %q", got)
	}
	for _, name := range []string{"Tea", "Both"} {
		alice.waitPost(t, "vote for "+name, func(r received) bool {
			note, _ := r.Activity["object"].(map[string]any)
			return r.typ() == "Create" && note["name"] == name && note["inReplyTo"] == q["id"]
		})
	}
	doc = c.page(t, "/home")
	if got := textOf(firstElement(t, doc, "poll", byClass("poll"))); !strings.Contains(got, "Both") ||
		!strings.Contains(got, "You voted") ||
		!strings.Contains(got, "33% (2 votes)") {
		t.Errorf("after voting, poll reads %q", got)
	}
	if n := len(elements(doc, byClass("vote"))); n != 0 {
		t.Errorf("a ballot is still shown after voting")
	}
}

// The owner's own poll: made with the client API, sent to followers as a Question, counting the
// votes followers send as Mastodon does, and telling them the new counts.
func TestOwnPoll(t *testing.T) {
	ts := newTestServer(t)
	alice, bob := newPeer(t, "alice"), newPeer(t, "bob")
	followingPeer(t, ts, alice)
	followingPeer(t, ts, bob)
	c := newAPIClient(t, ts, "read", "write")

	// Refused, storing and sending nothing: one option, too short, too long, an option twice.
	before := ts.rowCounts(t)
	for _, poll := range []map[string]any{
		{"options": []string{"Tea"}, "expires_in": 3600},
		{"options": []string{"Tea", "Coffee"}, "expires_in": 10},
		{"options": []string{"Tea", "Coffee"}, "expires_in": 90 * 86400},
		{"options": []string{"Tea", "Tea"}, "expires_in": 3600},
		{"options": []string{"Tea", strings.Repeat("x", 51)}, "expires_in": 3600},
		{"options": []string{"a", "b", "c", "d", "e"}, "expires_in": 3600},
	} {
		c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "Tea or coffee?", "poll": poll}, 422)
	}
	assertUnchanged(t, before, ts.rowCounts(t))

	st := c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "Tea or coffee?",
		"poll": map[string]any{"options": []string{"Tea", "Coffee"}, "expires_in": 3600}}, 200)
	poll, _ := st["poll"].(map[string]any)
	if poll == nil || poll["votes_count"] != 0.0 || poll["expired"] != false || poll["multiple"] != false ||
		fmt.Sprint(poll["options"]) != "[map[title:Tea votes_count:0] map[title:Coffee votes_count:0]]" {
		t.Fatalf("poll = %v", st["poll"])
	}
	create := alice.waitPost(t, "the poll", ofType("Create"))
	q, _ := create.Activity["object"].(map[string]any)
	if q["type"] != "Question" || q["endTime"] == nil || fmt.Sprint(q["oneOf"]) !=
		"[map[name:Tea replies:map[totalItems:0 type:Collection] type:Note] map[name:Coffee replies:map[totalItems:0 type:Collection] type:Note]]" {
		t.Fatalf("the poll as sent: %v", q)
	}
	vote := func(p *peer, name string) map[string]any {
		n := map[string]any{"id": p.newID("votes"), "type": "Note", "name": name, "attributedTo": p.actor,
			"inReplyTo": q["id"], "to": []string{ts.actor}}
		a := p.activity("Create", n)
		a["to"] = []string{ts.actor}
		return a
	}
	alice.sendAccepted(t, ts, vote(alice, "Coffee"))
	ts.waitInboxIdle(t)
	update := bob.waitPost(t, "the new counts", ofType("Update"))
	if uq, _ := update.Activity["object"].(map[string]any); fmt.Sprint(uq["oneOf"]) !=
		"[map[name:Tea replies:map[totalItems:0 type:Collection] type:Note] map[name:Coffee replies:map[totalItems:1 type:Collection] type:Note]]" ||
		uq["votersCount"] != 1.0 {
		t.Errorf("the update: %v", uq)
	}
	// Alice again, for the other option; an option that does not exist: neither counts.
	alice.sendAccepted(t, ts, vote(alice, "Tea"))
	bob.sendAccepted(t, ts, vote(bob, "Milk"))
	bob.sendAccepted(t, ts, vote(bob, "Tea"))
	ts.waitInboxIdle(t)
	got := c.json(t, "GET", "/api/v1/polls/"+str(st["id"]), nil, 200)
	if fmt.Sprint(got["options"]) != "[map[title:Tea votes_count:1] map[title:Coffee votes_count:1]]" ||
		got["voters_count"] != 2.0 || got["voted"] != false {
		t.Errorf("after the votes, poll = %v", got)
	}
	if s := c.json(t, "GET", "/api/v1/statuses/"+str(st["id"]), nil, 200); s["replies_count"] != 0.0 {
		t.Errorf("votes counted as replies: %v", s["replies_count"])
	}
	// The owner does not vote in their own poll: a 422, as Mastodon answers.
	if e := c.json(t, "POST", "/api/v1/polls/"+str(st["id"])+"/votes", map[string]any{"choices": []string{"0"}}, 422); !strings.Contains(str(e["error"]), "own poll") {
		t.Errorf("own poll vote: %v", e)
	}

	// Edits, as Mastodon makes them: the same options for longer keep the votes; other options
	// start over, and the votes cast before do not count again. A poll is not added in an edit.
	edit := func(options []string, expires int) map[string]any {
		return c.json(t, "PUT", "/api/v1/statuses/"+str(st["id"]), map[string]any{"status": "Tea or coffee?",
			"poll": map[string]any{"options": options, "expires_in": expires}}, 200)
	}
	longer := edit([]string{"Tea", "Coffee"}, 7200)["poll"].(map[string]any)
	if longer["votes_count"] != 2.0 || longer["expires_at"] == poll["expires_at"] {
		t.Errorf("after a longer poll: %v (was %v)", longer, poll)
	}
	milk := edit([]string{"Tea", "Milk"}, 3600)["poll"].(map[string]any)
	if fmt.Sprint(milk["options"]) != "[map[title:Tea votes_count:0] map[title:Milk votes_count:0]]" || milk["voters_count"] != 0.0 {
		t.Errorf("after new options: %v", milk)
	}
	waitFor(t, "the new options to reach bob", func() bool {
		return bob.count(func(r received) bool {
			o, _ := r.Activity["object"].(map[string]any)
			return r.Activity["type"] == "Update" && strings.Contains(fmt.Sprint(o["oneOf"]), "Milk")
		}) == 1
	})
	bob.sendAccepted(t, ts, vote(bob, "Milk"))
	ts.waitInboxIdle(t)
	if got := c.json(t, "GET", "/api/v1/polls/"+str(st["id"]), nil, 200); fmt.Sprint(got["options"]) !=
		"[map[title:Tea votes_count:0] map[title:Milk votes_count:1]]" || got["voters_count"] != 1.0 {
		t.Errorf("bob's vote after the edit: %v", got)
	}
	// An edit without a poll takes it off, as on Mastodon: the post is a Note again, for apps,
	// for followers, and for anyone who fetches it.
	if off := c.json(t, "PUT", "/api/v1/statuses/"+str(st["id"]), map[string]any{"status": "Tea, then."}, 200); off["poll"] != nil {
		t.Errorf("poll after an edit without one: %v", off["poll"])
	}
	c.json(t, "GET", "/api/v1/polls/"+str(st["id"]), nil, 404)
	waitFor(t, "the Note to reach bob", func() bool {
		return bob.count(func(r received) bool {
			o, _ := r.Activity["object"].(map[string]any)
			return r.Activity["type"] == "Update" && o["type"] == "Note" && o["oneOf"] == nil && o["anyOf"] == nil
		}) == 1
	})
	if _, body := ts.get(t, str(st["uri"]), "application/activity+json"); !strings.Contains(string(body), `"type":"Note"`) ||
		strings.Contains(string(body), "oneOf") {
		t.Errorf("the post as fetched: %s", body)
	}
	plain := c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "No poll"}, 200)
	c.json(t, "PUT", "/api/v1/statuses/"+str(plain["id"]), map[string]any{"status": "No poll",
		"poll": map[string]any{"options": []string{"Tea", "Milk"}, "expires_in": 3600}}, 422)
	if cfg := c.json(t, "GET", "/api/v2/instance", nil, 200); !strings.Contains(fmt.Sprint(cfg["configuration"]), "max_options:4") {
		t.Errorf("instance configuration = %v", cfg["configuration"])
	}
}

func TestComposePoll(t *testing.T) {
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	followingPeer(t, ts, alice)
	c := signIn(t, ts)

	loc := c.submit(t, "/compose", url.Values{"text": {"Tea or coffee?"}, "visibility": {"public"},
		"poll_option": {"Tea", "", "Coffee", " "}, "poll_expires": {"3600"}, "poll_multiple": {"true"}})
	doc := c.follow(t, loc)
	if got := alertText(doc); got != "" {
		t.Fatalf("after posting: %q", got)
	}
	poll := firstElement(t, doc, "poll", byClass("poll"))
	if got := textOf(poll); !strings.Contains(got, "Tea 0% (0 votes)") || !strings.Contains(got, "Coffee") ||
		!strings.Contains(got, "0 votes · Ends") {
		t.Errorf("poll reads %q", got)
	}
	if n := len(elements(doc, byClass("vote"))); n != 0 {
		t.Errorf("a ballot on the owner's own poll")
	}
	create := alice.waitPost(t, "the poll", ofType("Create"))
	q, _ := create.Activity["object"].(map[string]any)
	if q["type"] != "Question" || len(q["anyOf"].([]any)) != 2 {
		t.Errorf("the poll as sent: %v", q)
	}

	// The edit form shows the poll; new options with its end kept reach alice; then it goes.
	iri := str(q["id"])
	form := c.page(t, "/edit?post="+url.QueryEscape(iri))
	var values []string
	for _, in := range elements(form, byTag("input")) {
		name, _ := attrOf(in, "name")
		value, _ := attrOf(in, "value")
		_, checked := attrOf(in, "checked")
		switch {
		case name == "poll_option":
			values = append(values, value)
		case name == "poll_multiple" && !checked:
			t.Errorf("the edit form's poll is not of several choices")
		}
	}
	if fmt.Sprint(values) != "[Tea Coffee  ]" {
		t.Errorf("the edit form's options: %q", values)
	}
	edit := func(extra url.Values) string {
		f := url.Values{"post": {iri}, "text": {"Tea or milk?"}, "poll_option": {"Tea", "Milk", "", ""},
			"poll_expires": {""}, "poll_multiple": {"true"}}
		for k, v := range extra {
			f[k] = v
		}
		return alertText(c.follow(t, c.submit(t, "/edit", f)))
	}
	if got := edit(url.Values{"poll_option": {"Tea", " ", "", ""}}); !strings.Contains(got, "2 to 4 options") {
		t.Errorf("after an edit to one option: %q", got)
	}
	if got := edit(nil); got != "" {
		t.Fatalf("edit refused: %q", got)
	}
	upd := alice.waitPost(t, "the poll's Update", ofTypeObject("Update", iri))
	if q2, _ := upd.Activity["object"].(map[string]any); q2["type"] != "Question" ||
		!strings.Contains(fmt.Sprint(q2["anyOf"]), "Milk") || q2["endTime"] != q["endTime"] {
		t.Errorf("the edited poll as sent: %v (endTime was %v)", q2, q["endTime"])
	}
	if got := edit(url.Values{"poll_remove": {"true"}}); got != "" {
		t.Fatalf("removing the poll refused: %q", got)
	}
	waitFor(t, "the Note to reach alice", func() bool {
		return alice.count(func(r received) bool {
			o, _ := r.Activity["object"].(map[string]any)
			return r.Activity["type"] == "Update" && o["type"] == "Note" && o["anyOf"] == nil
		}) == 1
	})
	if n := len(elements(c.page(t, "/edit?post="+url.QueryEscape(iri)), byClass("poll-inputs"))); n != 0 {
		t.Errorf("the edit form still has a poll after its removal")
	}

	// One option is not a poll: nothing is posted. (The Update's delivery row goes once its
	// success is recorded, which may come after alice has it.)
	ts.waitQueueEmpty(t)
	before := ts.rowCounts(t)
	doc = c.refused(t, "/compose", url.Values{"text": {"Tea?"}, "poll_option": {"Tea"}, "poll_expires": {"3600"}})
	if got := alertText(doc); !strings.Contains(got, "2 to 4 options") {
		t.Errorf("after a poll of one option: %q", got)
	}
	assertUnchanged(t, before, ts.rowCounts(t))
}

// A followers-only poll counts its followers' votes only.
func TestOwnPollFollowersOnly(t *testing.T) {
	ts := newTestServer(t)
	alice, mallory := newPeer(t, "alice"), newPeer(t, "mallory")
	followingPeer(t, ts, alice)
	c := newAPIClient(t, ts, "read", "write")
	st := c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "Tea or coffee?", "visibility": "private",
		"poll": map[string]any{"options": []string{"Tea", "Coffee"}, "expires_in": 3600}}, 200)
	create := alice.waitPost(t, "the poll", ofType("Create"))
	q, _ := create.Activity["object"].(map[string]any)
	for _, p := range []*peer{mallory, alice} {
		n := map[string]any{"id": p.newID("votes"), "type": "Note", "name": "Tea", "attributedTo": p.actor,
			"inReplyTo": q["id"], "to": []string{ts.actor}}
		p.sendAccepted(t, ts, p.create(n))
	}
	ts.waitInboxIdle(t)
	got := c.json(t, "GET", "/api/v1/polls/"+str(st["id"]), nil, 200)
	if fmt.Sprint(got["options"]) != "[map[title:Tea votes_count:1] map[title:Coffee votes_count:0]]" || got["voters_count"] != 1.0 {
		t.Errorf("poll = %v; want alice's vote only", got)
	}
}

// TestPollEnds checks what happens when a poll ends, as Mastodon does it: the owner is notified
// of a poll they voted in and of their own, not of other polls, and their own poll's followers
// and voters get it closed with its final counts.
func TestPollEnds(t *testing.T) {
	ts := newTestServer(t)
	alice, bob := newPeer(t, "alice"), newPeer(t, "bob")
	followedPeer(t, ts, alice)
	followingPeer(t, ts, bob)
	c := newAPIClient(t, ts, "read", "write")
	ctx := context.Background()

	// Alice's polls end in about three seconds; the owner votes in the first only.
	end := time.Now().Add(3 * time.Second)
	voted, other := question(alice, false, end, 3, 1), question(alice, false, end, 1, 1)
	alice.sendAccepted(t, ts, alice.create(voted))
	alice.sendAccepted(t, ts, alice.create(other))
	votedID := strconv.FormatInt(ts.waitPost(t, str(voted["id"])).ID, 10)
	ts.waitPost(t, str(other["id"]))
	c.json(t, "POST", "/api/v1/polls/"+votedID+"/votes", map[string]any{"choices": []string{"0"}}, 200)

	// The owner's poll, with alice's vote: she votes but does not follow the owner.
	own := c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "Tea or coffee?",
		"poll": map[string]any{"options": []string{"Tea", "Coffee"}, "expires_in": 300}}, 200)
	create := bob.waitPost(t, "the poll", ofType("Create"))
	q, _ := create.Activity["object"].(map[string]any)
	ballot := map[string]any{"id": alice.newID("votes"), "type": "Note", "name": "Coffee", "attributedTo": alice.actor,
		"inReplyTo": q["id"], "to": []string{ts.actor}}
	alice.sendAccepted(t, ts, alice.activity("Create", ballot))
	ts.waitInboxIdle(t)
	if n := len(notificationsOf(t, c, "poll")); n != 0 {
		t.Fatalf("%d poll notifications before any poll ended", n)
	}

	waitFor(t, "the poll the owner voted in to end", func() bool { return len(notificationsOf(t, c, "poll")) == 1 })
	n := notificationsOf(t, c, "poll")[0]
	if st, _ := n["status"].(map[string]any); st["id"] != votedID || str(n["account"].(map[string]any)["acct"]) != alice.handle() {
		t.Errorf("notification = %v", n)
	} else if poll, _ := st["poll"].(map[string]any); poll["expired"] != true {
		t.Errorf("the ended poll: %v", poll)
	}

	// Five minutes pass for the owner's poll: its end moves into the past.
	ownID, _ := strconv.ParseInt(str(own["id"]), 10, 64)
	p, err := ts.st.PostByID(ctx, ownID)
	if err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Second).UTC().Truncate(time.Second)
	p.Poll.EndTime = past.Format(time.RFC3339)
	if err := ts.st.SetPostExtra(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := ts.st.MovePollEnd(ctx, ownID, past); err != nil {
		t.Fatal(err)
	}
	ts.srv.app.WakePolls()

	for _, peer := range []*peer{bob, alice} {
		update := peer.waitPost(t, "the closed poll", func(r received) bool {
			o, _ := r.Activity["object"].(map[string]any)
			return r.Activity["type"] == "Update" && o["closed"] != nil
		})
		uq, _ := update.Activity["object"].(map[string]any)
		if !update.Verified || uq["id"] != q["id"] || uq["closed"] != past.Format(time.RFC3339) || fmt.Sprint(uq["oneOf"]) !=
			"[map[name:Tea replies:map[totalItems:0 type:Collection] type:Note] map[name:Coffee replies:map[totalItems:1 type:Collection] type:Note]]" {
			t.Errorf("%s got %v (verified %v)", peer.actor, uq, update.Verified)
		}
	}
	waitFor(t, "the owner's poll to end", func() bool { return len(notificationsOf(t, c, "poll")) == 2 })
	n = notificationsOf(t, c, "poll")[0]
	if st, _ := n["status"].(map[string]any); st["id"] != str(own["id"]) || n["account"].(map[string]any)["id"] != own["account"].(map[string]any)["id"] {
		t.Errorf("notification = %v", n)
	}
	if got := c.json(t, "GET", "/api/v1/polls/"+str(own["id"]), nil, 200); got["expired"] != true {
		t.Errorf("the owner's ended poll: %v", got)
	}
	if got := textOf(signIn(t, ts).page(t, "/notifications")); !strings.Contains(got, "ran a poll that has ended") {
		t.Errorf("notifications page reads %q", got)
	}

	// Alice's other poll ended unseen; nothing else is told twice after a restart: no poll end is
	// left to watch, and a round of the poll-end loop, run here to its end, notifies no one.
	ts.restart(t)
	if next, err := ts.st.NextPollEnd(ctx); err != nil || !next.IsZero() {
		t.Errorf("after a restart, a poll end is still watched: %v, %v", next, err)
	}
	ts.srv.app.PollRound(ctx)
	if n := len(notificationsOf(t, c, "poll")); n != 2 {
		t.Errorf("%d poll notifications after a restart, want 2", n)
	}
}

// notificationsOf returns the owner's notifications of one type through the client API.
func notificationsOf(t *testing.T, c *apiClient, typ string) []map[string]any {
	t.Helper()
	list, _ := c.list(t, "/api/v1/notifications?types[]="+typ)
	return list
}

// TestPollClosedEarly: a poll the owner voted in that its server closes before its end is
// reported ended when the Update saying so arrives, not at the end it had.
func TestPollClosedEarly(t *testing.T) {
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	followedPeer(t, ts, alice)
	c := newAPIClient(t, ts, "read", "write")

	q := question(alice, false, time.Now().Add(time.Hour), 3, 1)
	alice.sendAccepted(t, ts, alice.create(q))
	id := strconv.FormatInt(ts.waitPost(t, str(q["id"])).ID, 10)
	c.json(t, "POST", "/api/v1/polls/"+id+"/votes", map[string]any{"choices": []string{"1"}}, 200)

	closed := question(alice, false, time.Now().Add(time.Hour), 3, 2)
	closed["id"], closed["url"], closed["published"] = q["id"], q["url"], q["published"]
	closed["closed"] = time.Now().UTC().Format(time.RFC3339)
	alice.sendAccepted(t, ts, alice.activity("Update", closed))
	waitFor(t, "the closed poll's notification", func() bool { return len(notificationsOf(t, c, "poll")) == 1 })
	if got := c.json(t, "GET", "/api/v1/polls/"+id, nil, 200); got["expired"] != true || fmt.Sprint(got["own_votes"]) != "[1]" {
		t.Errorf("the closed poll: %v", got)
	}
}
