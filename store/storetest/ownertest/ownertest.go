// Package ownertest makes the owner's account in a store for the tests of the store's
// sub-packages (lists, scheduled, queue). Only test files import it. It lives apart from
// storetest because it imports the store, which the store's own tests cannot import back.
package ownertest

import (
	"context"
	"testing"

	"roost/store"
)

// IRI is the owner's actor.
const IRI = "https://roost.example/users/me"

// Create sets up the local account "me" at roost.example, with placeholder keys and password hash.
func Create(tb testing.TB, st *store.Store) *store.Account {
	tb.Helper()
	o, err := st.CreateOwner(context.Background(), &store.Account{
		IRI: IRI, Username: "me", Host: "roost.example", Inbox: IRI + "/inbox",
		SharedInbox: "https://roost.example/inbox", Outbox: IRI + "/outbox",
		FollowersURL: IRI + "/followers", FollowingURL: IRI + "/following",
		KeyID: IRI + "#main-key", PublicKeyPEM: "PUBLIC",
	}, "PRIVATE", "INSTANCE", "HASH")
	if err != nil {
		tb.Fatalf("CreateOwner: %v", err)
	}
	return o.Account
}
