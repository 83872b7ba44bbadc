package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"roost/server/activitypub"
	"roost/server/app"
	"roost/server/signature"
	"roost/store"
)

// Ownership rules on activities that pass the signature check (security.md §4.B): each attack is
// acknowledged or refused, and changes nothing.
func TestInboxOwnership(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	mallory := newPeer(t, "mallory")
	followedPeer(t, ts, mallory)

	// The owner follows alice; her Accept has not come yet.
	if _, err := ts.srv.app.Follow(ctx, alice.actor); err != nil {
		t.Fatal(err)
	}
	ourFollow := alice.waitPost(t, "Follow", ofTypeObject("Follow", alice.actor))
	aliceAcct := ts.account(t, alice.actor)
	// alice follows the owner, likes and boosts a public post.
	followingPeer(t, ts, alice)
	public, err := ts.srv.app.Post(ctx, app.PostInput{Text: "public"})
	if err != nil {
		t.Fatal(err)
	}
	like := alice.activity("Like", public.IRI)
	alice.sendAccepted(t, ts, like)
	ann := alice.activity("Announce", public.IRI)
	ann["to"] = []string{activitypub.Public}
	alice.sendAccepted(t, ts, ann)
	n := alice.note("<p>alice's own</p>", []string{activitypub.Public}, []string{ts.actor})
	alice.sendAccepted(t, ts, alice.create(n))
	ts.waitPost(t, n["id"].(string))
	ts.waitInboxIdle(t)
	private, err := ts.srv.app.Post(ctx, app.PostInput{Text: "followers only", Visibility: "followers"})
	if err != nil {
		t.Fatal(err)
	}
	ts.waitQueueEmpty(t)

	attacks := []struct {
		name string
		act  map[string]any
	}{
		{"Accept of the owner's Follow of alice", mallory.activity("Accept", ourFollow.Activity)},
		{"Accept by id of the owner's Follow of alice", mallory.activity("Accept", ourFollow.objectID())},
		{"Reject of alice's follow of the owner", mallory.activity("Reject", map[string]any{
			"type": "Follow", "actor": alice.actor, "object": ts.actor})},
		{"Undo of alice's Like", mallory.activity("Undo", like)},
		{"Undo of alice's Like by id", mallory.activity("Undo", like["id"])},
		{"Undo of alice's Announce", mallory.activity("Undo", ann)},
		{"Undo of alice's Announce by id", mallory.activity("Undo", ann["id"])},
		{"Update of alice's actor", mallory.activity("Update", alice.actorJSON())},
		{"Delete of alice's actor", mallory.activity("Delete", alice.actor)},
		{"Delete of alice's note", mallory.activity("Delete", n["id"])},
		{"Delete of the owner's post", mallory.activity("Delete", public.IRI)},
		{"Update of the owner's post", mallory.activity("Update", map[string]any{"id": public.IRI,
			"type": "Note", "attributedTo": mallory.actor, "content": "pwned"})},
		{"Create of a note with the owner's id", mallory.create(map[string]any{"id": ts.actor + "/statuses/1",
			"type": "Note", "attributedTo": mallory.actor, "content": "pwned", "to": []string{activitypub.Public}})},
		{"Create of a note with the id of the owner's post", mallory.create(map[string]any{"id": public.IRI,
			"type": "Note", "attributedTo": mallory.actor, "content": "pwned", "to": []string{activitypub.Public}})},
		{"Like of a followers-only post", mallory.activity("Like", private.IRI)},
		{"Announce of a followers-only post", mallory.activity("Announce", private.IRI)},
		{"Block of someone else", mallory.activity("Block", alice.actor)},
		{"Follow of someone else", mallory.activity("Follow", alice.actor)},
		{"Move of alice", mallory.activity("Move", alice.actor)},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			before := ts.rowCounts(t)
			code := mallory.send(t, ts, a.act)
			if code != http.StatusAccepted && code/100 != 4 {
				t.Fatalf("status %d", code)
			}
			ts.waitInboxIdle(t)
			assertUnchanged(t, before, ts.rowCounts(t), "inbox")
		})
	}
	// alice's relations and objects are intact.
	f, err := ts.st.FollowBetween(ctx, ts.srv.Owner().ID, aliceAcct.ID)
	if err != nil || f.State != store.Pending {
		t.Errorf("the owner's follow of alice: %+v, %v; want still pending", f, err)
	}
	if ok, _ := ts.st.IsFollowing(ctx, aliceAcct.ID, ts.srv.Owner().ID); !ok {
		t.Error("alice no longer follows the owner")
	}
	if _, err := ts.st.LikeOf(ctx, aliceAcct.ID, public.ID); err != nil {
		t.Errorf("alice's like: %v", err)
	}
	if _, err := ts.st.BoostOf(ctx, aliceAcct.ID, public.ID); err != nil {
		t.Errorf("alice's boost: %v", err)
	}
	if p, err := ts.st.PostByID(ctx, public.ID); err != nil || !p.DeletedAt.IsZero() || strings.Contains(p.Content, "pwned") {
		t.Errorf("the owner's post: %+v, %v", p, err)
	}
	if a := ts.account(t, alice.actor); a.PublicKeyPEM != alice.publicKeyPEM() {
		t.Error("alice's key was replaced")
	}

	// The real Accept, from alice, works.
	alice.sendAccepted(t, ts, alice.activity("Accept", ourFollow.Activity))
	waitFor(t, "alice accepted", func() bool {
		ok, _ := ts.st.IsFollowing(ctx, ts.srv.Owner().ID, aliceAcct.ID)
		return ok
	})
}

// An activity whose id is on another origin than its actor is refused: otherwise mallory could
// take an id alice will use, and alice's real activity would be dropped as a duplicate
// (security.md §4.B.2: activity.id has the actor's origin).
func TestInboxActivityIDOnActorsOrigin(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	mallory := newPeer(t, "mallory")
	mine, err := ts.srv.app.Post(ctx, app.PostInput{Text: "like me"})
	if err != nil {
		t.Fatal(err)
	}
	stolen := alice.newID("activities")
	squat := mallory.activity("Like", mine.IRI)
	squat["id"] = stolen
	if code := mallory.send(t, ts, squat); code/100 != 4 {
		t.Errorf("activity id on another origin: status %d, want 4xx", code)
	}
	ts.waitInboxIdle(t)

	real := alice.activity("Like", mine.IRI)
	real["id"] = stolen
	alice.sendAccepted(t, ts, real)
	waitFor(t, "alice's like", func() bool {
		a, err := ts.st.AccountByIRI(ctx, alice.actor)
		if err != nil {
			return false
		}
		_, err = ts.st.LikeOf(ctx, a.ID, mine.ID)
		return err == nil
	})
}

// The shared inbox takes the same activities; an inbox of another user does not exist.
func TestSharedInbox(t *testing.T) {
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	follow := alice.activity("Follow", ts.actor)
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/users/nobody/inbox", http.StatusNotFound},
		{"/inbox", http.StatusAccepted},
	} {
		body := mustJSON(t, follow)
		req := inboxRequest(t, ts, body)
		req.URL.Path = tc.path
		if err := signGetOrPost(req, body, alice); err != nil {
			t.Fatal(err)
		}
		if code := do(t, req); code != tc.status {
			t.Errorf("POST %s: status %d, want %d", tc.path, code, tc.status)
		}
	}
	alice.waitPost(t, "Accept", ofTypeObject("Accept", follow["id"].(string)))
}

// A peer that rotated its key is accepted after one re-fetch; a flood of bad signatures causes
// at most one re-fetch (security.md §4.A.13).
func TestKeyRotation(t *testing.T) {
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	alice.sendAccepted(t, ts, alice.activity("Follow", ts.actor))
	ts.waitInboxIdle(t)
	fetches := alice.getCount("/users/alice")

	rotated, err := signature.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	alice.setKey(rotated)
	alice.sendAccepted(t, ts, alice.activity("Like", ts.actor+"/statuses/1"))
	if got := alice.getCount("/users/alice"); got != fetches+1 {
		t.Errorf("%d fetches of the actor for one rotation, want 1", got-fetches)
	}

	// mallory's forgeries under alice's keyId: the key was just re-fetched, so no more fetches.
	mallory := newPeer(t, "mallory")
	fetches = alice.getCount("/users/alice")
	for range 20 {
		body := mustJSON(t, alice.activity("Like", ts.actor+"/statuses/2"))
		req := inboxRequest(t, ts, body)
		if err := signAs(req, body, alice.keyID, mallory); err != nil {
			t.Fatal(err)
		}
		if code := do(t, req); code != http.StatusUnauthorized {
			t.Fatalf("forged signature: status %d, want 401", code)
		}
	}
	if got := alice.getCount("/users/alice"); got > fetches+1 {
		t.Errorf("20 bad signatures caused %d key fetches, want at most 1", got-fetches)
	}
}

// A Delete of an actor by that actor removes the account and what hangs off it.
func TestInboxDeleteActor(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	followingPeer(t, ts, alice)
	alice.sendAccepted(t, ts, alice.activity("Delete", alice.actor))
	waitFor(t, "account removed", func() bool {
		_, err := ts.st.AccountByIRI(ctx, alice.actor)
		return errors.Is(err, store.ErrNotFound)
	})
	if n, _, _ := ts.st.CountFollows(ctx, ts.srv.Owner().ID); n != 0 {
		t.Errorf("%d followers left, want 0", n)
	}
}
