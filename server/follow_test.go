package server

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"roost/store"
)

func TestFollowedByPeer(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	alice := newPeer(t, "alice")

	follow := alice.activity("Follow", ts.actor)
	if code := alice.send(t, ts, follow); code != http.StatusAccepted {
		t.Fatalf("Follow: status %d, want 202", code)
	}
	accept := alice.waitPost(t, "Accept", ofType("Accept"))
	if !accept.Verified {
		t.Fatalf("Accept signature did not verify with the owner's published key: %v", accept.VerifyErr)
	}
	if accept.objectID() != follow["id"] {
		t.Errorf("Accept object %q, want the Follow %s", accept.objectID(), follow["id"])
	}
	if accept.Activity["actor"] != ts.actor {
		t.Errorf("Accept actor %v", accept.Activity["actor"])
	}
	acct := ts.account(t, alice.actor)
	f, err := ts.st.FollowBetween(ctx, acct.ID, ts.srv.Owner().ID)
	if err != nil || f.State != store.Accepted {
		t.Fatalf("follow %+v, %v; want accepted", f, err)
	}
	// The followers collection shows her.
	coll := decodeJSON(t, mustBody(t, ts, "/users/me/followers"))
	if coll["totalItems"] != 1.0 {
		t.Errorf("followers totalItems %v, want 1", coll["totalItems"])
	}
	page := decodeJSON(t, mustBody(t, ts, "/users/me/followers?page=true"))
	if items := strs(page["orderedItems"]); len(items) != 1 || items[0] != alice.actor {
		t.Errorf("followers page %v", page["orderedItems"])
	}

	t.Run("duplicate follow keeps one relation", func(t *testing.T) {
		again := alice.activity("Follow", ts.actor)
		alice.sendAccepted(t, ts, again)
		alice.waitPost(t, "second Accept", ofTypeObject("Accept", again["id"].(string)))
		n, _, err := ts.st.CountFollows(ctx, ts.srv.Owner().ID)
		if err != nil || n != 1 {
			t.Errorf("followers %d, %v; want 1", n, err)
		}
	})

	t.Run("undo", func(t *testing.T) {
		cur, err := ts.st.FollowBetween(ctx, acct.ID, ts.srv.Owner().ID)
		if err != nil {
			t.Fatal(err)
		}
		alice.sendAccepted(t, ts, alice.activity("Undo", map[string]any{
			"id": cur.IRI, "type": "Follow", "actor": alice.actor, "object": ts.actor,
		}))
		waitFor(t, "follow removed", func() bool {
			_, err := ts.st.FollowBetween(ctx, acct.ID, ts.srv.Owner().ID)
			return errors.Is(err, store.ErrNotFound)
		})
	})
}

// Misskey undoes a Follow under an id different from the Follow it sent (interop-quirks.md).
func TestUndoFollowMisskeyID(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	bob := newPeer(t, "bob")
	followingPeer(t, ts, bob)
	acct := ts.account(t, bob.actor)

	bob.sendAccepted(t, ts, bob.activity("Undo", map[string]any{
		"id": bob.newID("follows"), "type": "Follow", "actor": bob.actor, "object": ts.actor,
	}))
	waitFor(t, "follow removed", func() bool {
		_, err := ts.st.FollowBetween(ctx, acct.ID, ts.srv.Owner().ID)
		return errors.Is(err, store.ErrNotFound)
	})
}

// Someone else's Undo of alice's Follow leaves it in place.
func TestUndoFollowBySomeoneElse(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	mallory := newPeer(t, "mallory")
	followID := followingPeer(t, ts, alice)
	acct := ts.account(t, alice.actor)

	mallory.sendAccepted(t, ts, mallory.activity("Undo", followID))
	mallory.sendAccepted(t, ts, mallory.activity("Undo", map[string]any{
		"id": followID, "type": "Follow", "actor": alice.actor, "object": ts.actor,
	}))
	ts.waitInboxIdle(t)
	if f, err := ts.st.FollowBetween(ctx, acct.ID, ts.srv.Owner().ID); err != nil || f.State != store.Accepted {
		t.Fatalf("alice's follow after mallory's Undo: %+v, %v", f, err)
	}
}

func TestFollowLockedOwner(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	owner := ts.owner(t)
	owner.Locked = true
	if err := ts.st.UpdateOwnerProfile(ctx, owner, store.ProfileSource{}, nil); err != nil {
		t.Fatal(err)
	}
	if a := decodeJSON(t, mustBody(t, ts, "/users/me")); a["manuallyApprovesFollowers"] != true {
		t.Errorf("manuallyApprovesFollowers %v, want true", a["manuallyApprovesFollowers"])
	}
	carol := newPeer(t, "carol")
	follow := carol.activity("Follow", ts.actor)
	carol.sendAccepted(t, ts, follow)
	ts.waitInboxIdle(t)
	acct := ts.account(t, carol.actor)
	f, err := ts.st.FollowBetween(ctx, acct.ID, owner.ID)
	if err != nil || f.State != store.Pending {
		t.Fatalf("follow %+v, %v; want pending", f, err)
	}
	if n := ts.queued(t); n != 0 {
		t.Errorf("%d deliveries queued for a pending follow, want none (no Accept yet)", n)
	}
	if carol.count(ofType("Accept")) != 0 {
		t.Error("carol received an Accept before the owner approved")
	}
	if n, _, _ := ts.st.CountFollows(ctx, owner.ID); n != 0 {
		t.Errorf("accepted followers %d, want 0", n)
	}

	// The owner approves: the Accept goes out.
	if _, err := ts.srv.app.ApproveFollower(ctx, carol.actor); err != nil {
		t.Fatal(err)
	}
	acc := carol.waitPost(t, "Accept", ofTypeObject("Accept", follow["id"].(string)))
	if !acc.Verified {
		t.Errorf("Accept signature: %v", acc.VerifyErr)
	}
	if ok, _ := ts.st.IsFollowing(ctx, acct.ID, owner.ID); !ok {
		t.Error("not following after approval")
	}
}
