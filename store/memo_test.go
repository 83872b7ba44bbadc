package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The in-memory copies the inbox path reads follow every write: a domain block and its lifting,
// and a host failing, being paused and being heard from again.
func TestMemosFollowWrites(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	createOwner(t, s)

	blocked := func(host string) bool {
		t.Helper()
		b, err := s.DomainBlocked(ctx, host)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if blocked("sub.evil.example") {
		t.Fatal("blocked before any block")
	}
	if err := s.BlockDomain(ctx, "evil.example"); err != nil {
		t.Fatal(err)
	}
	if !blocked("sub.evil.example") || !blocked("EVIL.example:443") || blocked("notevil.example") {
		t.Error("domain block not seen right after BlockDomain")
	}
	if err := s.UnblockDomain(ctx, "evil.example"); err != nil {
		t.Fatal(err)
	}
	if blocked("sub.evil.example") {
		t.Error("still blocked after UnblockDomain")
	}

	// A failing host is made due again when it is heard from; a healthy one costs no write.
	queueActivity(t, s, "https://roost.example/activities/1", inboxB1)
	ds := claim(t, s, 10, time.Minute)
	if err := s.HostHeard(ctx, "b.example"); err != nil { // loads the set while nothing fails
		t.Fatal(err)
	}
	if err := s.DeliveryFailed(ctx, ds[0], "refused", clock.Now().Add(time.Hour), true); err != nil {
		t.Fatal(err)
	}
	if h, err := s.Host(ctx, "b.example"); err != nil || h.Failures != 1 {
		t.Fatalf("host after a failure: %+v, %v", h, err)
	}
	if err := s.HostHeard(ctx, "b.example"); err != nil {
		t.Fatal(err)
	}
	if h, err := s.Host(ctx, "b.example"); err != nil || h.Failures != 0 {
		t.Errorf("host after it was heard from: %+v, %v; want no failures", h, err)
	}
	if next, err := s.NextDeliveryAt(ctx); err != nil || next.After(clock.Now()) {
		t.Errorf("the delivery put back an hour is due at %v, %v; want now", next, err)
	}
	if err := s.PauseHost(ctx, "b.example", clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.HostHeard(ctx, "b.example"); err != nil {
		t.Fatal(err)
	}
	if h, err := s.Host(ctx, "b.example"); err != nil || !h.PausedUntil.IsZero() {
		t.Errorf("host paused after it was heard from: %+v, %v", h, err)
	}
}

// Accounts found by key id are kept in memory, and every write to an account is seen at once: a
// rotated key, a deletion.
func TestAccountByKeyIDFollowsWrites(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	createOwner(t, s)
	bob := addRemote(t, s, "bob", "b.example", true)
	for range 2 { // the second comes from memory
		got, err := s.AccountByKeyID(ctx, bob.KeyID)
		if err != nil || got.ID != bob.ID {
			t.Fatalf("AccountByKeyID = %v, %v; want bob", got, err)
		}
		got.DisplayName = "changed by a caller"
	}
	if got, _ := s.AccountByKeyID(ctx, bob.KeyID); got.DisplayName == "changed by a caller" {
		t.Error("a caller's change to its copy reached the next caller")
	}

	rotated := *bob
	rotated.KeyID = bob.IRI + "#key-2"
	if _, err := s.UpsertAccount(ctx, &rotated); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AccountByKeyID(ctx, bob.KeyID); !errors.Is(err, ErrNotFound) {
		t.Errorf("old key after rotation: err = %v, want ErrNotFound", err)
	}
	if got, err := s.AccountByKeyID(ctx, rotated.KeyID); err != nil || got.ID != bob.ID {
		t.Errorf("new key after rotation = %v, %v", got, err)
	}
	if err := s.DeleteAccount(ctx, bob.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AccountByKeyID(ctx, rotated.KeyID); !errors.Is(err, ErrNotFound) {
		t.Errorf("key of a deleted account: err = %v, want ErrNotFound", err)
	}
}
