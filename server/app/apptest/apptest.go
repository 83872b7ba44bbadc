// Package apptest opens the owner's store for tests of the core and of its surfaces: a fresh store
// in t.TempDir() with the owner made there with new keys. Only test files import it. It does not
// import the core, so that the core's own tests can use it too; each caller builds its core on the
// store with app.New.
package apptest

import (
	"context"
	"path/filepath"
	"testing"

	"roost/server/signature"
	"roost/store"
)

// Store opens a fresh store in t.TempDir(), closed when the test ends, and makes owner (for
// example app.OwnerAccount("http://roost.test", "roost.test", "me")) its owner with a new
// actor key (its public half set on owner), a new instance key and passwordHash ("" for none).
func Store(t testing.TB, owner *store.Account, passwordHash string) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "roost.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var pems [2]string
	for i := range pems {
		k, err := signature.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		if pems[i], err = signature.EncodePrivateKeyPEM(k); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if owner.PublicKeyPEM, err = signature.EncodePublicKeyPEM(&k.PublicKey); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := st.CreateOwner(ctx, owner, pems[0], pems[1], passwordHash); err != nil {
		t.Fatal(err)
	}
	return st
}
