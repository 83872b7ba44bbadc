package store

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
)

// TestSecretIsMadeOnceAndKept: a secret is random bytes of the size asked, made on the first call
// and the same on every later call, also after the database is opened again; another name is
// another secret.
func TestSecretIsMadeOnceAndKept(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "roost.db")
	s, err := Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.Secret(ctx, "one", 32)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 32 || bytes.Equal(first, make([]byte, 32)) {
		t.Fatalf("secret %x: want 32 random bytes", first)
	}
	if again, err := s.Secret(ctx, "one", 32); err != nil || !bytes.Equal(again, first) {
		t.Errorf("second call: %x, %v; want %x", again, err, first)
	}
	if other, err := s.Secret(ctx, "two", 32); err != nil || bytes.Equal(other, first) {
		t.Errorf("another name: %x, %v; want another secret", other, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, file)
	if kept, err := s.Secret(ctx, "one", 32); err != nil || !bytes.Equal(kept, first) {
		t.Errorf("after reopening: %x, %v; want %x", kept, err, first)
	}
}
