package app

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"roost/store"
)

// TestScheduledPostPublishedOnceAtItsTime: a scheduled post is not published before its time,
// is published once when it comes (its scheduled row gone with it), and a publisher round after
// that publishes nothing more. Too early a time is refused, and a scheduled reply whose parent
// was deleted meanwhile is dropped rather than retried for ever.
func TestScheduledPostPublishedOnceAtItsTime(t *testing.T) {
	ctx := context.Background()
	s := newTestApp(t)
	var offset atomic.Int64
	s.st.SetClock(func() time.Time { return time.Now().Add(time.Duration(offset.Load())) })
	owner := s.Owner.Account.ID
	posts := func() int {
		t.Helper()
		n, err := s.st.CountPosts(ctx, owner, false)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	if _, err := s.Schedule(ctx, ScheduleInput{Post: PostInput{Text: "too soon"}, At: s.st.Now().Add(time.Minute)}); err == nil {
		t.Fatal("a post scheduled a minute ahead was accepted; Mastodon wants five")
	} else if kind, _ := ErrorOf(err); kind != Invalid {
		t.Errorf("too soon: %v, want an Invalid error", err)
	}

	sc, err := s.Schedule(ctx, ScheduleInput{Post: PostInput{Text: "later, with #tags", Visibility: "unlisted"},
		At: s.st.Now().Add(10 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if wait := s.ScheduledRound(ctx); wait < 9*time.Minute || wait > 10*time.Minute {
		t.Errorf("publisher waits %v, want about 10 minutes", wait)
	}
	if n := posts(); n != 0 {
		t.Fatalf("%d posts before the scheduled time, want 0", n)
	}

	offset.Store(int64(11 * time.Minute))
	s.ScheduledRound(ctx)
	if n := posts(); n != 1 {
		t.Fatalf("%d posts after the scheduled time, want 1", n)
	}
	list, err := s.st.AccountPosts(ctx, owner, false, store.Page{Limit: 5})
	if err != nil || len(list) != 1 {
		t.Fatalf("posts: %v, %v", list, err)
	}
	if p := list[0]; p.Source != "later, with #tags" || p.Visibility != store.Unlisted {
		t.Errorf("published %q as %s, want the scheduled text, unlisted", p.Source, p.Visibility)
	}
	if _, err := s.Scheduled.ScheduledByID(ctx, sc.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the scheduled row after publishing: %v, want it gone", err)
	}
	s.ScheduledRound(ctx)
	if n := posts(); n != 1 {
		t.Errorf("%d posts after another round, want still 1", n)
	}

	parent, err := s.Post(ctx, PostInput{Text: "a parent"})
	if err != nil {
		t.Fatal(err)
	}
	reply, err := s.Schedule(ctx, ScheduleInput{Post: PostInput{Text: "a reply", InReplyTo: parent.IRI},
		At: s.st.Now().Add(10 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeletePost(ctx, parent.IRI); err != nil {
		t.Fatal(err)
	}
	offset.Add(int64(11 * time.Minute))
	before := posts()
	s.ScheduledRound(ctx)
	if n := posts(); n != before {
		t.Errorf("a reply to a deleted post was published (%d posts, want %d)", n, before)
	}
	if _, err := s.Scheduled.ScheduledByID(ctx, reply.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the reply to a deleted post: %v, want it dropped", err)
	}
}
