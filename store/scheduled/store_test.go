package scheduled

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"roost/store"
)

// sched names this package's Store where testDB embeds it beside the store's.
type sched = Store

// testDB is a store and its scheduled statuses on one database, so that a test reads as the
// store's did.
type testDB struct {
	*store.Store
	*sched
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

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// openStore opens the database file and closes it when the test ends.
func openStore(tb testing.TB, file string) *testDB {
	tb.Helper()
	st, err := store.Open(context.Background(), file)
	if err != nil {
		tb.Fatalf("Open(%s): %v", file, err)
	}
	tb.Cleanup(func() {
		if err := st.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return &testDB{st, New(st)}
}

// newTestStore opens a fresh database in a temporary directory with a fake clock at testEpoch.
func newTestStore(tb testing.TB) (*testDB, *fakeClock) {
	tb.Helper()
	s := openStore(tb, filepath.Join(tb.TempDir(), "roost.db"))
	c := &fakeClock{now: testEpoch}
	s.SetClock(c.Now)
	return s, c
}

// rawDB opens the file with database/sql and the "sqlite" driver, bypassing the store.
func rawDB(tb testing.TB, file string, readOnly bool) *sql.DB {
	tb.Helper()
	dsn := "file:" + file
	if readOnly {
		dsn += "?mode=ro"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		tb.Fatalf("open raw %s: %v", file, err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// count runs a count(*) query through the read pool.
func count(tb testing.TB, s *testDB, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := s.r.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return n
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

// createOwnerPost stores a post of the owner's.
func createOwnerPost(tb testing.TB, s *testDB, owner *store.Account, visibility string) *store.Post {
	tb.Helper()
	id := s.NewID()
	p := &store.Post{
		ID:         id,
		IRI:        fmt.Sprintf("%s/statuses/%d", owner.IRI, id),
		AccountID:  owner.ID,
		Type:       "Note",
		Visibility: visibility,
		Content:    "<p>post</p>",
		Source:     "post",
		Tags:       []store.Tag{{Type: "Hashtag", Name: "#Roost", Href: "https://roost.example/tags/roost"}},
		Published:  s.Now(),
	}
	if err := s.CreatePost(context.Background(), p, nil, nil); err != nil {
		tb.Fatalf("CreatePost: %v", err)
	}
	return p
}

// createOutgoing is the Create activity of p, to inboxes.
func createOutgoing(p *store.Post, inboxes ...string) *store.Outgoing {
	return &store.Outgoing{
		IRI:     p.IRI + "/activity",
		Type:    "Create",
		PostID:  p.ID,
		Public:  p.Visibility == store.Public,
		Body:    []byte(`{"type":"Create","id":"` + p.IRI + `/activity"}`),
		Inboxes: inboxes,
	}
}
