package store

import (
	"context"
	"errors"
	"slices"
	"testing"
)

func TestLikes(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)
	bob := addRemote(t, s, "bob", "b.example", false)
	mine := createOwnerPost(t, s, owner, Public)
	theirs := remotePost(bob, "https://b.example/notes/1", testEpoch)
	if err := s.InsertRemotePost(ctx, theirs, nil); err != nil {
		t.Fatal(err)
	}

	like := &Reaction{IRI: "https://b.example/likes/1", AccountID: bob.ID, PostID: mine.ID}
	if err := s.AddLike(ctx, like, nil, Notice{Type: "favourite", AccountID: bob.ID, PostID: mine.ID}); err != nil {
		t.Fatal(err)
	}
	ns, err := s.Notifications(ctx, []string{"favourite"}, Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 1 || ns[0].AccountID != bob.ID || ns[0].PostID != mine.ID {
		t.Fatalf("favourite notifications = %+v", ns)
	}
	if c, err := s.Counts(ctx, mine); err != nil || c.Likes != 1 {
		t.Errorf("Counts = %+v, %v; want 1 like", c, err)
	}
	if got, err := s.LikeByIRI(ctx, like.IRI); err != nil || got.ID != like.ID || got.PostID != mine.ID {
		t.Errorf("LikeByIRI = %+v, %v", got, err)
	}

	second := &Reaction{IRI: "https://b.example/likes/2", AccountID: bob.ID, PostID: mine.ID}
	if err := s.AddLike(ctx, second, nil, Notice{Type: "favourite", AccountID: bob.ID, PostID: theirs.ID}); !errors.Is(err, ErrConflict) {
		t.Errorf("second like by the same account: err = %v, want ErrConflict", err)
	}
	if got := notificationTypes(t, s, bob.ID); len(got) != 1 {
		t.Errorf("a refused like left its notice: %q", got)
	}
	sameIRI := &Reaction{IRI: like.IRI, AccountID: bob.ID, PostID: theirs.ID}
	if err := s.AddLike(ctx, sameIRI, nil); !errors.Is(err, ErrConflict) {
		t.Errorf("like with a taken IRI: err = %v, want ErrConflict", err)
	}

	// The owner's own like of a remote post is queued with its activity, with no notice.
	out := &Outgoing{IRI: owner.IRI + "/likes/1", Type: "Like", Body: []byte(`{}`), Inboxes: []string{bob.Inbox}}
	ownLike := &Reaction{IRI: out.IRI, AccountID: owner.ID, PostID: theirs.ID}
	if err := s.AddLike(ctx, ownLike, out); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT count(*) FROM deliveries WHERE activity_id = ?`, out.ID); n != 1 {
		t.Errorf("Like deliveries = %d, want 1", n)
	}
	if got := notificationTypes(t, s, owner.ID); len(got) != 0 {
		t.Errorf("owner notified of own like: %q", got)
	}

	if err := s.RemoveLike(ctx, like.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LikeOf(ctx, bob.ID, mine.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("LikeOf after RemoveLike: err = %v, want ErrNotFound", err)
	}
	if got := notificationTypes(t, s, bob.ID); slices.Contains(got, "favourite") {
		t.Errorf("favourite notification left after RemoveLike: %q", got)
	}
	if err := s.RemoveLike(ctx, like.ID, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("second RemoveLike: err = %v, want ErrNotFound", err)
	}
	// After the Undo the same account may like again.
	if err := s.AddLike(ctx, &Reaction{IRI: "https://b.example/likes/3", AccountID: bob.ID, PostID: mine.ID}, nil); err != nil {
		t.Errorf("like after undo: %v", err)
	}
}

func TestBoostNotifiesReblog(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)
	bob := addRemote(t, s, "bob", "b.example", false)
	mine := createOwnerPost(t, s, owner, Public)
	boost := &Reaction{IRI: "https://b.example/announces/1", AccountID: bob.ID, PostID: mine.ID}
	if err := s.AddBoost(ctx, boost, nil, Notice{Type: "reblog", AccountID: bob.ID, PostID: mine.ID}); err != nil {
		t.Fatal(err)
	}
	if got := notificationTypes(t, s, bob.ID); !slices.Equal(got, []string{"reblog"}) {
		t.Errorf("notifications = %q, want [reblog]", got)
	}
	if got, err := s.BoostByIRI(ctx, boost.IRI); err != nil || got.Visibility != Public {
		t.Errorf("BoostByIRI = %+v, %v; want public by default", got, err)
	}
	if err := s.RemoveBoost(ctx, boost.ID, nil); err != nil {
		t.Fatal(err)
	}
	if got := notificationTypes(t, s, bob.ID); len(got) != 0 {
		t.Errorf("notifications after RemoveBoost = %q", got)
	}
}
