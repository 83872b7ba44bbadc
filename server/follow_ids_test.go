package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"roost/server/signature"
	"roost/store"
)

// TestFollowIDReusedOnSameHostKeepsFollower: a Follow id is the sender's choice, so a second
// actor on a follower's server can send a Follow under the follower's Follow id. Follows are known
// by who follows whom: that makes a second follow and leaves the first in place, and the second
// actor's Undo of that id removes only its own.
func TestFollowIDReusedOnSameHostKeepsFollower(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	followID := followingPeer(t, ts, alice)
	aliceAcct := ts.account(t, alice.actor)

	// eve lives on alice's server (and shares its key, which changes nothing here).
	eve := alice.base + "/users/eve"
	doc := alice.actorJSON()
	doc["id"], doc["preferredUsername"], doc["inbox"] = eve, "eve", eve+"/inbox"
	doc["publicKey"] = map[string]any{"id": eve + "#main-key", "owner": eve, "publicKeyPem": alice.publicKeyPEM()}
	alice.setDoc("/users/eve", doc)
	sendAsEve := func(activity map[string]any) {
		t.Helper()
		activity["actor"] = eve
		body, err := json.Marshal(activity)
		if err != nil {
			t.Fatal(err)
		}
		req := inboxRequest(t, ts, body)
		if err := signature.Sign(req, body, eve+"#main-key", alice.key); err != nil {
			t.Fatal(err)
		}
		if code := do(t, req); code != http.StatusAccepted {
			t.Fatalf("eve's %s: status %d, want 202", activity["type"], code)
		}
		ts.waitInboxIdle(t)
	}
	owner := ts.srv.Owner().ID
	aliceFollows := func(when string) {
		t.Helper()
		if f, err := ts.st.FollowBetween(ctx, aliceAcct.ID, owner); err != nil || f.State != store.Accepted || f.IRI != followID {
			t.Fatalf("alice's follow %s: %+v, %v; want it accepted, with its id", when, f, err)
		}
	}

	// Processed activity ids are kept a week to recognise copies; the same id sent later is a
	// new activity.
	if err := ts.srv.App().Queue.PruneInbox(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	follow := alice.activity("Follow", ts.actor)
	follow["id"] = followID
	sendAsEve(follow)
	aliceFollows("after eve's Follow with the same id")
	eveAcct := ts.account(t, eve)
	if f, err := ts.st.FollowBetween(ctx, eveAcct.ID, owner); err != nil || f.State != store.Accepted {
		t.Fatalf("eve's follow: %+v, %v; want it accepted", f, err)
	}

	sendAsEve(alice.activity("Undo", map[string]any{"id": followID, "type": "Follow", "actor": eve, "object": ts.actor}))
	aliceFollows("after eve's Undo of that id")
	if _, err := ts.st.FollowBetween(ctx, eveAcct.ID, owner); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("eve's follow after eve's Undo: %v, want it gone", err)
	}
}
