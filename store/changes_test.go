package store

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// TestOnCommitReportsAddedRows: the store tells its OnCommit function of each post, boost and
// notification a transaction added, once it committed, and of nothing a failed one tried.
func TestOnCommitReportsAddedRows(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)
	bob := addRemote(t, s, "bob", "b.example", false)
	var got []Change
	s.OnCommit(func(c Change) { got = append(got, c) })

	mine := createOwnerPost(t, s, owner, Public)
	theirs := remotePost(bob, "https://b.example/notes/1", testEpoch)
	if err := s.InsertRemotePost(ctx, theirs, nil); err != nil {
		t.Fatal(err)
	}
	boost := &Reaction{IRI: "https://b.example/boosts/1", AccountID: bob.ID, PostID: mine.ID}
	if err := s.AddBoost(ctx, boost, nil, Notice{Type: "reblog", AccountID: bob.ID, PostID: mine.ID}); err != nil {
		t.Fatal(err)
	}
	ns, err := s.Notifications(ctx, []string{"reblog"}, Page{})
	if err != nil || len(ns) != 1 {
		t.Fatalf("reblog notifications = %+v, %v", ns, err)
	}
	want := []Change{{PostAdded, mine.ID}, {PostAdded, theirs.ID}, {BoostAdded, boost.ID}, {NotificationAdded, ns[0].ID}}
	if !slices.Equal(got, want) {
		t.Errorf("changes = %+v, want %+v", got, want)
	}

	got = nil
	again := &Reaction{IRI: "https://b.example/boosts/2", AccountID: bob.ID, PostID: mine.ID}
	if err := s.AddBoost(ctx, again, nil, Notice{Type: "reblog", AccountID: bob.ID, PostID: theirs.ID}); !errors.Is(err, ErrConflict) {
		t.Fatalf("second boost: %v, want ErrConflict", err)
	}
	if len(got) != 0 {
		t.Errorf("a transaction that failed reported %+v", got)
	}
}
