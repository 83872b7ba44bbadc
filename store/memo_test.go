package store

import (
	"context"
	"errors"
	"testing"
)

// The in-memory copies the inbox path reads follow every write: a domain block and its lifting.
func TestMemosFollowWrites(t *testing.T) {
	s, _ := newTestStore(t)
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
