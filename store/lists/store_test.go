package lists

import (
	"context"
	"testing"
	"time"

	"roost/store"
	"roost/store/storetest"
	"roost/store/storetest/ownertest"
)

// lst names this package's Store where testDB embeds it beside the store's.
type lst = Store

// testDB is a store and its lists on one database, so that a test reads as the store's did.
type testDB struct {
	*store.Store
	*lst
}

// newTestStore opens a fresh database in a temporary directory with a fake clock at storetest.Epoch.
func newTestStore(tb testing.TB) (*testDB, *storetest.Clock) {
	tb.Helper()
	st, c := storetest.Fresh(tb, store.Open)
	return &testDB{st, New(st)}, c
}

// createOwner sets up the local account.
func createOwner(tb testing.TB, s *testDB) *store.Account {
	tb.Helper()
	return ownertest.Create(tb, s.Store)
}

// addRemote stores a remote Person name@host.
func addRemote(tb testing.TB, s *testDB, name, host string) *store.Account {
	tb.Helper()
	iri := "https://" + host + "/users/" + name
	out, err := s.UpsertAccount(context.Background(), &store.Account{
		IRI: iri, Type: "Person", Username: name, Host: host, Inbox: iri + "/inbox",
		KeyID: iri + "#main-key", PublicKeyPEM: "PUBLIC " + name,
	})
	if err != nil {
		tb.Fatalf("UpsertAccount(%s): %v", iri, err)
	}
	return out
}

// remotePost is a public Note by a, not yet stored.
func remotePost(a *store.Account, iri string, published time.Time) *store.Post {
	return &store.Post{
		ID:         store.IDAt(published, iri),
		IRI:        iri,
		AccountID:  a.ID,
		Type:       "Note",
		Visibility: store.Public,
		Content:    "<p>hello from " + a.Username + "</p>",
		To:         []string{"https://www.w3.org/ns/activitystreams#Public"},
		Published:  published,
	}
}
