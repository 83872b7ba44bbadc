package server

import (
	"context"
	"testing"

	"roost/server/app"
)

// TestReportForwardsAFlag: a report with forward=true reaches the reported account's server as a
// Flag whose object is the account and the reported post and whose content is the comment; one
// without forward is answered and sent nowhere; a post of someone else's is refused.
func TestReportForwardsAFlag(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write")
	mallory := newPeer(t, "mallory")
	n := mallory.note("<p>@me buy my stuff</p>", []string{publicIRI}, []string{ts.actor})
	n["tag"] = []any{map[string]any{"type": "Mention", "href": ts.actor, "name": "@me@" + ts.cfg.Domain}}
	mallory.sendAccepted(t, ts, mallory.create(n))
	waitFor(t, "mallory's post", func() bool {
		_, err := ts.st.PostByIRI(context.Background(), str(n["id"]))
		return err == nil
	})
	post, _ := ts.st.PostByIRI(context.Background(), str(n["id"]))
	acct := ts.account(t, mallory.actor)
	own, err := ts.srv.app.Post(context.Background(), app.PostInput{Text: "mine", Visibility: "public"})
	if err != nil {
		t.Fatal(err)
	}

	rep := c.json(t, "POST", "/api/v1/reports", map[string]any{"account_id": idString(acct.ID),
		"status_ids": []string{idString(post.ID)}, "comment": "spam, plainly", "category": "spam", "forward": true}, 200)
	target, _ := rep["target_account"].(map[string]any)
	if rep["forwarded"] != true || rep["category"] != "spam" || rep["comment"] != "spam, plainly" || target["id"] != idString(acct.ID) ||
		len(rep["status_ids"].([]any)) != 1 || rep["action_taken"] != false {
		t.Errorf("report = %v", rep)
	}
	flag := mallory.waitPost(t, "the Flag", func(r received) bool { return r.typ() == "Flag" })
	obj, _ := flag.Activity["object"].([]any)
	if !flag.Verified || flag.Activity["content"] != "spam, plainly" || len(obj) != 2 || obj[0] != mallory.actor || obj[1] != n["id"] {
		t.Errorf("Flag = %v (verified %v)", flag.Activity, flag.Verified)
	}

	c.json(t, "POST", "/api/v1/reports", map[string]any{"account_id": idString(acct.ID), "comment": "just noting"}, 200)
	c.json(t, "POST", "/api/v1/reports", map[string]any{"account_id": idString(acct.ID),
		"status_ids": []string{idString(own.ID)}, "forward": true}, 404)
	c.json(t, "POST", "/api/v1/reports", map[string]any{"account_id": idString(acct.ID), "category": "rude"}, 422)
	c.json(t, "POST", "/api/v1/reports", map[string]any{"account_id": idString(ts.srv.Owner().ID)}, 422)
	if got := mallory.count(func(r received) bool { return r.typ() == "Flag" }); got != 1 {
		t.Errorf("%d Flags sent, want the forwarded report's only", got)
	}
}
