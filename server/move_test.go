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
