package lists

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"roost/store"
)

// lst names this package's Store where testDB embeds it beside the store's.
type lst = Store

// testDB is a store and its lists on one database, so that a test reads as the store's did.
type testDB struct {
	*store.Store
	*lst
}

// testEpoch is where every test clock starts: far from the zero time, in UTC.
var testEpoch = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// fakeClock is a settable clock for Store.SetClock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newTestStore opens a fresh database in a temporary directory with a fake clock at testEpoch.
func newTestStore(tb testing.TB) (*testDB, *fakeClock) {
	tb.Helper()
	st, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "roost.db"))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := st.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	c := &fakeClock{now: testEpoch}
	st.SetClock(c.Now)
	return &testDB{st, New(st)}, c
}

// queryPlan returns SQLite's plan for query, one step a line.
func queryPlan(t *testing.T, s *testDB, query string, args ...any) string {
	t.Helper()
	rows, err := s.r.QueryContext(context.Background(), `EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "\n")
}

const ownerIRI = "https://roost.example/users/me"

// createOwner sets up the local account.
func createOwner(tb testing.TB, s *testDB) *store.Account {
	tb.Helper()
	o, err := s.CreateOwner(context.Background(), &store.Account{
		IRI: ownerIRI, Username: "me", Host: "roost.example", Inbox: ownerIRI + "/inbox",
		SharedInbox: "https://roost.example/inbox", Outbox: ownerIRI + "/outbox",
		FollowersURL: ownerIRI + "/followers", FollowingURL: ownerIRI + "/following",
		KeyID: ownerIRI + "#main-key", PublicKeyPEM: "PUBLIC",
	}, "PRIVATE", "INSTANCE", "HASH")
	if err != nil {
		tb.Fatalf("CreateOwner: %v", err)
	}
	return o.Account
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
