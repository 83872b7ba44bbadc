package scheduled

import (
	"context"
	"fmt"
	"testing"

	"roost/store"
	"roost/store/storetest"
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
var testEpoch = storetest.Epoch

// openStore opens the database file and closes it when the test ends.
func openStore(tb testing.TB, file string) *testDB {
	tb.Helper()
	st := storetest.Open(tb, store.Open, file)
	return &testDB{st, New(st)}
}

// newTestStore opens a fresh database in a temporary directory with a fake clock at testEpoch.
func newTestStore(tb testing.TB) (*testDB, *storetest.Clock) {
	tb.Helper()
	st, c := storetest.Fresh(tb, store.Open)
	return &testDB{st, New(st)}, c
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
	if err := s.CreatePost(context.Background(), p, store.NewPost{}, nil); err != nil {
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
