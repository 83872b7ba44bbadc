package access

import (
	"context"
	"testing"
	"time"

	"roost/store"
	"roost/store/storetest/ownertest"
)

// TestPushQueueCommittedWithTheNotification: a notification queues a push for each subscription
// whose alerts take its type (and none for policy none); a claimed push is not claimed again until
// its lease runs out; a failure makes it due at its retry time; done removes it; a new
// subscription of the token drops what was queued for the old one.
func TestPushQueueCommittedWithTheNotification(t *testing.T) {
	ctx := context.Background()
	s := newTestAuth(t)
	now := time.Now()
	s.st.SetClock(func() time.Time { return now })
	owner := ownertest.Create(t, s.st)
	follows := subscribe(t, s, pushToken(t, s, "ivory"), "https://push.example/1", PushAll, "follow")
	subscribe(t, s, pushToken(t, s, "tusky"), "https://push.example/2", PushAll, "mention")
	subscribe(t, s, pushToken(t, s, "elk"), "https://push.example/3", PushNone, "follow")

	for i, name := range []string{"alice", "bob"} {
		iri := "https://remote.example/users/" + name
		a, err := s.st.UpsertAccount(ctx, &store.Account{IRI: iri, Type: "Person", Username: name,
			Host: "remote.example", Inbox: iri + "/inbox", KeyID: iri + "#main-key", PublicKeyPEM: "PUBLIC " + name})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.st.AddFollower(ctx, &store.Follow{IRI: iri + "/follows/1", FollowerID: a.ID,
			FolloweeID: owner.ID, State: store.Accepted}, nil, store.Notice{Type: "follow", AccountID: a.ID}); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Duration(i+1) * time.Millisecond)
	}

	claimed, err := s.ClaimPushDeliveries(ctx, 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(claimed) != 2 || claimed[0].SubscriptionID != follows.ID || claimed[1].SubscriptionID != follows.ID {
		t.Fatalf("claimed %+v, want the two follows for the follow subscription only", claimed)
	}
	if again, _ := s.ClaimPushDeliveries(ctx, 10, time.Minute); len(again) != 0 {
		t.Errorf("claimed again under lease: %+v", again)
	}
	if err := s.PushDone(ctx, claimed[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := s.PushFailed(ctx, claimed[1].ID, "503", now.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	if next, err := s.NextPushAt(ctx); err != nil || !next.Equal(now.Add(30*time.Second).Truncate(time.Millisecond)) {
		t.Errorf("NextPushAt = %v, %v; want the retry time", next, err)
	}
	if due, _ := s.ClaimPushDeliveries(ctx, 10, time.Minute); len(due) != 0 {
		t.Errorf("claimed before its retry time: %+v", due)
	}
	now = now.Add(time.Minute)
	due, err := s.ClaimPushDeliveries(ctx, 10, time.Minute)
	if err != nil || len(due) != 1 || due[0].Attempts != 1 || due[0].NotificationID != claimed[1].NotificationID {
		t.Fatalf("after the retry time: %+v, %v", due, err)
	}
	// The lease runs out (a crash): the push is due again.
	now = now.Add(2 * time.Minute)
	if again, _ := s.ClaimPushDeliveries(ctx, 10, time.Minute); len(again) != 1 {
		t.Errorf("after the lease ran out: %+v", again)
	}

	tok, err := s.PushSubscriptionByID(ctx, follows.ID)
	if err != nil {
		t.Fatal(err)
	}
	subscribe(t, s, &Token{ID: tok.TokenID}, "https://push.example/new", PushAll, "follow")
	if next, _ := s.NextPushAt(ctx); !next.IsZero() {
		t.Errorf("a push still queued for the replaced subscription (next at %v)", next)
	}
}
