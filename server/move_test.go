package server

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// The owner moves to an account on another server, as Mastodon's account migration does: refused
// until the new account names this one as an alias; then followers' servers get a signed Move
// and an Update, the actor and the profile page point to the new account, and the redirect can
// be taken back.
func TestOwnerMove(t *testing.T) {
	ts := newTestServer(t)
	follower := newPeer(t, "follower")
	followingPeer(t, ts, follower)
	newme := newPeer(t, "newme")
	setOwnerPassword(t, ts)
	c := signIn(t, ts)
	move := func(to string) string {
		return alertText(c.follow(t, c.submit(t, "/settings/move", url.Values{"to": {to}, "password": {ownerPassword}})))
	}
	actorDoc := func() string {
		_, body := ts.get(t, ts.actor, "application/activity+json")
		return string(body)
	}

	if got := move(newme.actor); !strings.Contains(got, "alias") {
		t.Errorf("a move to an account without the alias: %q", got)
	}
	if got := move(ts.actor); got == "" {
		t.Errorf("a move to the owner's own account was not refused")
	}
	if strings.Contains(actorDoc(), `"movedTo":"`) {
		t.Fatalf("the actor says movedTo after refused moves: %s", actorDoc())
	}

	newme.setActorField("alsoKnownAs", []string{ts.actor})
	if got := move(newme.actor); got != "" {
		t.Fatalf("move refused: %q", got)
	}
	mv := follower.waitPost(t, "the Move", ofType("Move"))
	if !mv.Verified {
		t.Errorf("Move signature: %v", mv.VerifyErr)
	}
	if a := mv.Activity; a["actor"] != ts.actor || a["object"] != ts.actor || a["target"] != newme.actor {
		t.Errorf("Move = %v", a)
	}
	upd := follower.waitPost(t, "the actor's Update", ofType("Update"))
	if o, _ := upd.Activity["object"].(map[string]any); o["movedTo"] != newme.actor {
		t.Errorf("Update of the actor: %v", upd.Activity["object"])
	}
	if doc := actorDoc(); !strings.Contains(doc, fmt.Sprintf(`"movedTo":%q`, newme.actor)) {
		t.Errorf("actor document: %s", doc)
	}
	if got := textOf(c.page(t, "/@me")); !strings.Contains(got, "moved to "+newme.actor) {
		t.Errorf("the profile page does not point to the new account: %q", got)
	}
	if n := follower.count(ofType("Move")); n != 1 {
		t.Errorf("%d Moves, want 1", n)
	}

	if got := move(""); got != "" {
		t.Fatalf("taking the redirect back refused: %q", got)
	}
	waitFor(t, "an Update without movedTo", func() bool {
		return follower.count(func(r received) bool {
			o, _ := r.Activity["object"].(map[string]any)
			return r.typ() == "Update" && o["type"] == "Person" && o["movedTo"] == nil
		}) == 1
	})
	if doc := actorDoc(); strings.Contains(doc, `"movedTo":"`) {
		t.Errorf("the actor still says movedTo: %s", doc)
	}
}

// A followed account's Move tells the owner, as Mastodon's "move" notification: from the old
// account, with the new one as its target (client API), and on the notifications page; Roost
// follows the new account. The Move of an account the owner does not follow notifies nothing.
func TestInboundMoveNotifies(t *testing.T) {
	ts := newTestServer(t)
	frank, grace, stranger := newPeer(t, "frank"), newPeer(t, "grace"), newPeer(t, "stranger")
	followedPeer(t, ts, frank)
	grace.setActorField("alsoKnownAs", []string{frank.actor, stranger.actor})

	for _, p := range []*peer{stranger, frank} {
		mv := p.activity("Move", p.actor)
		mv["target"] = grace.actor
		p.sendAccepted(t, ts, mv)
	}
	grace.waitPost(t, "the owner's Follow of the new account", ofTypeObject("Follow", grace.actor))
	ts.waitInboxIdle(t)
	if a := ts.account(t, stranger.actor); a.MovedTo != grace.actor {
		t.Fatalf("the stranger's Move was not applied: moved to %q", a.MovedTo)
	}

	c := newAPIClient(t, ts, "read")
	ns, _ := c.list(t, "/api/v1/notifications")
	if len(ns) != 1 {
		t.Fatalf("notifications = %v, want one move", ns)
	}
	n := ns[0]
	account, _ := n["account"].(map[string]any)
	target, _ := n["target"].(map[string]any)
	if n["type"] != "move" || account["acct"] != frank.handle() || target["acct"] != grace.handle() {
		t.Errorf("notification = type %v, account %v, target %v; want a move from %s to %s",
			n["type"], account["acct"], target["acct"], frank.handle(), grace.handle())
	}
	if moves, _ := c.list(t, "/api/v1/notifications?types[]=move"); len(moves) != 1 {
		t.Errorf("types[]=move: %d notifications, want 1", len(moves))
	}
	var lines []string
	for _, n := range elements(signIn(t, ts).page(t, "/notifications"), byClass("notification")) {
		lines = append(lines, textOf(n))
	}
	if !anyContains(lines, "moved to a new account") {
		t.Errorf("notifications page lacks the move: %q", lines)
	}
}
