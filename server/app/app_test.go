package app

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"roost/server/app/apptest"
	"roost/store"
)

// newTestApp is a core on a fresh store in t.TempDir(), owned by "me" at http://roost.test. Its
// background workers do not run: what it would deliver stays queued in the store.
func newTestApp(t *testing.T) *App {
	t.Helper()
	ctx := context.Background()
	st := apptest.Store(t, OwnerAccount("http://roost.test", "roost.test", "me"), "")
	core, err := New(ctx, Config{Domain: "roost.test", HandleDomain: "roost.test", Scheme: "http", Poll: time.Second},
		st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return core
}

// remoteAccount stores a remote account name@host.
func remoteAccount(t *testing.T, s *App, name, host string) *store.Account {
	t.Helper()
	iri := "https://" + host + "/users/" + name
	a, err := s.st.UpsertAccount(context.Background(), &store.Account{IRI: iri, Type: "Person", Username: name,
		Host: host, Inbox: iri + "/inbox", KeyID: iri + "#main-key", PublicKeyPEM: "PUBLIC " + name})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// remotePost stores a post by a with the given visibility.
func remotePost(t *testing.T, s *App, a *store.Account, iri, visibility string) *store.Post {
	t.Helper()
	published := s.st.Now().Add(-time.Minute)
	p := &store.Post{ID: store.IDAt(published, iri), IRI: iri, AccountID: a.ID, Type: "Note",
		Visibility: visibility, Content: "<p>hello</p>", Published: published}
	if err := s.st.InsertRemotePost(context.Background(), p, nil); err != nil {
		t.Fatal(err)
	}
	return p
}
