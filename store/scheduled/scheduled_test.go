package scheduled

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"roost/store"
	"roost/store/sqlite"
	"roost/store/storetest"
	"roost/store/storetest/ownertest"
	"strings"
	"testing"
	"time"
)

// schedule stores a scheduled status at at and fails the test on an error.
func schedule(tb testing.TB, s *testDB, at time.Time, params ScheduledParams) *Scheduled {
	tb.Helper()
	sc := &Scheduled{ScheduledAt: at, Params: params}
	if err := s.CreateScheduled(context.Background(), sc); err != nil {
		tb.Fatalf("CreateScheduled(%v): %v", at, err)
	}
	return sc
}

// upload records an unattached upload of the owner's.
func upload(tb testing.TB, s *testDB, name string) *store.Media {
	tb.Helper()
	m := &store.Media{Name: name, MediaType: "image/png", Size: 10}
	if err := s.AddMedia(context.Background(), m); err != nil {
		tb.Fatal(err)
	}
	return m
}

// scheduledPost is the post that publishes sc, and what its creation does beside.
func scheduledPost(s *testDB, owner *store.Account, sc *Scheduled) (*store.Post, store.NewPost) {
	id := s.NewID()
	return &store.Post{ID: id, IRI: fmt.Sprintf("%s/statuses/%d", owner.IRI, id), AccountID: owner.ID, Type: "Note",
			Visibility: store.Public, Content: "<p>" + sc.Params.Text + "</p>", Source: sc.Params.Text, Published: s.Now()},
		store.NewPost{MediaIDs: sc.Params.MediaIDs, ScheduledID: sc.ID}
}

func scheduledIDs(list []*Scheduled) []int64 {
	var ids []int64
	for _, sc := range list {
		ids = append(ids, sc.ID)
	}
	return ids
}

// A scheduled status keeps every parameter of the post it will be, and lists page by ID as
// Mastodon's other lists do.
func TestScheduledStoreAndList(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	m := upload(t, s, "a.png")
	params := ScheduledParams{Text: "hello @bob@b.example", SpoilerText: "cw", Visibility: store.Unlisted, Sensitive: true,
		Language: "en", InReplyToID: "12345", MediaIDs: []int64{m.ID}, Idempotency: "key", AppID: 7, AppName: "toot"}
	first := schedule(t, s, testEpoch.Add(time.Hour), params)
	got, err := s.ScheduledByID(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Params, params) || !got.ScheduledAt.Equal(testEpoch.Add(time.Hour)) ||
		!got.DueAt.Equal(got.ScheduledAt) || !got.CreatedAt.Equal(testEpoch) {
		t.Errorf("stored %+v, want params %+v at %v", got, params, testEpoch.Add(time.Hour))
	}
	poll := ScheduledParams{Text: "which?", Poll: &ScheduledPoll{Options: []string{"a", "b"}, ExpiresIn: 3600,
		Multiple: true, HideTotals: true}}
	second := schedule(t, s, testEpoch.Add(2*time.Hour), poll)
	if got, _ := s.ScheduledByID(ctx, second.ID); got == nil || !reflect.DeepEqual(got.Params, poll) {
		t.Errorf("poll params %+v, want %+v", got, poll)
	}
	if got, _ := s.ScheduledByID(ctx, first.ID+1<<20); got != nil {
		t.Errorf("unknown ID found %+v", got)
	}

	ids := []int64{first.ID, second.ID} // oldest first
	for i := range 4 {
		clock.Add(time.Second)
		ids = append(ids, schedule(t, s, testEpoch.Add(time.Duration(10-i)*time.Hour), ScheduledParams{Text: "x"}).ID)
	}
	for _, tc := range []struct {
		name string
		pg   store.Page
		want []int64
	}{
		{"all", store.Page{}, []int64{ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]}},
		{"limit", store.Page{Limit: 2}, []int64{ids[5], ids[4]}},
		{"max_id", store.Page{MaxID: ids[4], Limit: 2}, []int64{ids[3], ids[2]}},
		{"since_id: the newest above", store.Page{SinceID: ids[1], Limit: 2}, []int64{ids[5], ids[4]}},
		{"min_id: just above", store.Page{MinID: ids[1], Limit: 2}, []int64{ids[3], ids[2]}},
		{"max_id and min_id", store.Page{MaxID: ids[4], MinID: ids[1]}, []int64{ids[3], ids[2]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list, err := s.ListScheduled(ctx, tc.pg)
			if err != nil {
				t.Fatal(err)
			}
			if got := scheduledIDs(list); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ListScheduled(%+v) = %v, want %v", tc.pg, got, tc.want)
			}
		})
	}
}

// Mastodon's rules: a time more than 5 minutes ahead, 25 on one UTC day, 300 in all; a
// reschedule obeys them too, without counting the status itself.
func TestScheduledRules(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	create := func(at time.Time) error {
		return s.CreateScheduled(ctx, &Scheduled{ScheduledAt: at, Params: ScheduledParams{Text: "x"}})
	}
	for _, tc := range []struct {
		at   time.Time
		want error
	}{
		{testEpoch.Add(-time.Hour), ErrScheduleTooSoon},
		{testEpoch.Add(ScheduleMinOffset), ErrScheduleTooSoon},
		{testEpoch.Add(ScheduleMinOffset + time.Millisecond), nil},
	} {
		if err := create(tc.at); !errors.Is(err, tc.want) {
			t.Errorf("scheduled at now%+v: err = %v, want %v", tc.at.Sub(testEpoch), err, tc.want)
		}
	}

	// The next day (UTC) takes 25, then refuses; the day after is another day.
	day := testEpoch.Truncate(24 * time.Hour).Add(24 * time.Hour)
	var last *Scheduled
	for i := range ScheduledDailyLimit {
		last = schedule(t, s, day.Add(time.Duration(i)*time.Minute), ScheduledParams{Text: "x"})
	}
	if err := create(day.Add(24*time.Hour - time.Millisecond)); !errors.Is(err, ErrScheduledDailyLimit) {
		t.Errorf("26th on one day: err = %v, want ErrScheduledDailyLimit", err)
	}
	if err := create(day.Add(24 * time.Hour)); err != nil {
		t.Errorf("first on the following day: %v", err)
	}
	// Within its full day a status moves; onto the full day another cannot.
	if err := s.RescheduleScheduled(ctx, last.ID, day.Add(23*time.Hour)); err != nil {
		t.Errorf("reschedule within a full day: %v", err)
	}
	if err := s.RescheduleScheduled(ctx, last.ID, testEpoch.Add(time.Minute)); !errors.Is(err, ErrScheduleTooSoon) {
		t.Errorf("reschedule to a minute ahead: err = %v, want ErrScheduleTooSoon", err)
	}
	other := schedule(t, s, day.Add(72*time.Hour), ScheduledParams{Text: "x"})
	if err := s.RescheduleScheduled(ctx, other.ID, day.Add(time.Hour)); !errors.Is(err, ErrScheduledDailyLimit) {
		t.Errorf("reschedule onto a full day: err = %v, want ErrScheduledDailyLimit", err)
	}
	if err := s.RescheduleScheduled(ctx, other.ID+1<<20, day.Add(200*time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("reschedule an unknown one: err = %v, want store.ErrNotFound", err)
	}
	got, _ := s.ScheduledByID(ctx, last.ID)
	if want := day.Add(23 * time.Hour); !got.ScheduledAt.Equal(want) || !got.DueAt.Equal(want) {
		t.Errorf("rescheduled to %v (due %v), want %v", got.ScheduledAt, got.DueAt, want)
	}

	// Fill up to 300 in all, a few a day, then one more is refused even on an empty day.
	n := storetest.Count(t, s.r, `SELECT count(*) FROM scheduled_statuses`)
	err := s.DB().Write(ctx, func(tx *sqlite.Tx) error {
		for i := n; i < ScheduledTotalLimit; i++ {
			at := day.Add(time.Duration(10+i) * 24 * time.Hour).UnixMilli()
			if _, err := tx.ExecContext(ctx, `INSERT INTO scheduled_statuses (id, scheduled_at, due_at, params, created_at)
				VALUES (?, ?, ?, '{"text":"x"}', 0)`, s.NewID(), at, at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := create(day.Add(2 * 24 * time.Hour)); !errors.Is(err, ErrScheduledTotalLimit) {
		t.Errorf("301st: err = %v, want ErrScheduledTotalLimit", err)
	}
	if err := s.RescheduleScheduled(ctx, other.ID, day.Add(5*24*time.Hour)); err != nil {
		t.Errorf("reschedule at the total limit: %v", err)
	}
}

// A repeated request with the same idempotency key gets the status scheduled first.
func TestScheduledIdempotency(t *testing.T) {
	s, clock := newTestStore(t)
	first := schedule(t, s, testEpoch.Add(time.Hour), ScheduledParams{Text: "once", Idempotency: "k1"})
	clock.Add(time.Second)
	again := schedule(t, s, testEpoch.Add(2*time.Hour), ScheduledParams{Text: "once", Idempotency: "k1"})
	if again.ID != first.ID || !again.ScheduledAt.Equal(first.ScheduledAt) {
		t.Errorf("repeated key scheduled %d at %v, want %d at %v", again.ID, again.ScheduledAt, first.ID, first.ScheduledAt)
	}
	other := schedule(t, s, testEpoch.Add(time.Hour), ScheduledParams{Text: "once", Idempotency: "k2"})
	if other.ID == first.ID {
		t.Error("another key got the first status")
	}
	if n := storetest.Count(t, s.r, `SELECT count(*) FROM scheduled_statuses`); n != 2 {
		t.Errorf("%d scheduled statuses, want 2", n)
	}
}

// A scheduled status reserves its uploads: no post and no other scheduled status takes them, and
// a clean-up of unattached uploads cannot delete them; cancelling it frees them.
func TestScheduledReservesMedia(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	owner := ownertest.Create(t, s.Store)
	a, b := upload(t, s, "a.png"), upload(t, s, "b.png")
	sc := schedule(t, s, testEpoch.Add(time.Hour), ScheduledParams{Text: "pics", MediaIDs: []int64{b.ID, a.ID}})

	if m, _ := s.MediaByID(ctx, a.ID); m.ScheduledID != sc.ID || m.PostID != 0 {
		t.Errorf("reserved upload: scheduled %d, post %d; want scheduled %d, no post", m.ScheduledID, m.PostID, sc.ID)
	}
	media, err := s.ScheduledMedia(ctx, []int64{sc.ID})
	if err != nil {
		t.Fatal(err)
	}
	if got := media[sc.ID]; len(got) != 2 || got[0].ID != b.ID || got[1].ID != a.ID {
		t.Errorf("ScheduledMedia = %v, want b then a", got)
	}

	p := createOwnerPost(t, s, owner, store.Public)
	p2, np2 := scheduledPost(s, owner, sc)
	np2.ScheduledID = 0
	if err := s.CreatePost(ctx, p2, np2, nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a post with a reserved upload: err = %v, want store.ErrNotFound", err)
	}
	err = s.CreateScheduled(ctx, &Scheduled{ScheduledAt: testEpoch.Add(time.Hour), Params: ScheduledParams{MediaIDs: []int64{a.ID}}})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another scheduled status with a reserved upload: err = %v, want store.ErrNotFound", err)
	}
	if err := s.DB().Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM media WHERE post_id IS NULL`)
		return err
	}); err == nil {
		t.Error("deleting the unattached uploads deleted reserved ones")
	}
	if err := s.DB().Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE media SET post_id = ? WHERE id = ?`, p.ID, a.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	err = s.CreateScheduled(ctx, &Scheduled{ScheduledAt: testEpoch.Add(time.Hour), Params: ScheduledParams{MediaIDs: []int64{a.ID}}})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("scheduling an attached upload: err = %v, want store.ErrNotFound", err)
	}

	if err := s.DeleteScheduled(ctx, sc.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteScheduled(ctx, sc.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second cancel: err = %v, want store.ErrNotFound", err)
	}
	if m, _ := s.MediaByID(ctx, b.ID); m.ScheduledID != 0 {
		t.Errorf("cancelled status still reserves b: %d", m.ScheduledID)
	}
	p3, _ := scheduledPost(s, owner, sc)
	if err := s.CreatePost(ctx, p3, store.NewPost{MediaIDs: []int64{b.ID}}, nil); err != nil {
		t.Errorf("a post with the freed upload: %v", err)
	}
}

// Publishing deletes the scheduled status in the post's transaction: a failed post leaves it
// waiting with its uploads reserved, a published one is gone, and publishing it again creates
// nothing.
func TestPublishScheduledOnce(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	owner := ownertest.Create(t, s.Store)
	m := upload(t, s, "a.png")
	sc := schedule(t, s, testEpoch.Add(time.Hour), ScheduledParams{Text: "later", MediaIDs: []int64{m.ID}})
	taken := createOwnerPost(t, s, owner, store.Public)
	clock.Add(time.Hour)

	// The post's insert fails (its IRI is taken): nothing changes.
	failing, np := scheduledPost(s, owner, sc)
	failing.IRI = taken.IRI
	if err := s.CreatePost(ctx, failing, np, createOutgoing(failing, "https://b.example/inbox")); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("CreatePost with a taken IRI: err = %v, want store.ErrConflict", err)
	}
	if due, err := s.DueScheduled(ctx, s.Now(), 10); err != nil || len(due) != 1 || due[0].ID != sc.ID {
		t.Fatalf("due after a failed publication: %v, %v; want the scheduled status", scheduledIDs(due), err)
	}
	if got, _ := s.MediaByID(ctx, m.ID); got.ScheduledID != sc.ID || got.PostID != 0 {
		t.Errorf("after a failed publication the upload is reserved for %d, attached to %d", got.ScheduledID, got.PostID)
	}

	p, np := scheduledPost(s, owner, sc)
	if err := s.CreatePost(ctx, p, np, createOutgoing(p, "https://b.example/inbox")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ScheduledByID(ctx, sc.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("scheduled status after publication: err = %v, want store.ErrNotFound", err)
	}
	if got, _ := s.MediaByID(ctx, m.ID); got.PostID != p.ID || got.ScheduledID != 0 {
		t.Errorf("upload attached to %d, reserved for %d; want attached to %d", got.PostID, got.ScheduledID, p.ID)
	}

	// A second publisher (or one that crashed after the commit and runs again) creates nothing.
	again, np := scheduledPost(s, owner, sc)
	np.MediaIDs = nil
	if err := s.CreatePost(ctx, again, np, createOutgoing(again, "https://b.example/inbox")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("publishing twice: err = %v, want store.ErrNotFound", err)
	}
	if n := storetest.Count(t, s.r, `SELECT count(*) FROM posts`); n != 2 {
		t.Errorf("%d posts, want 2 (the taken one and the published one)", n)
	}
	if n := storetest.Count(t, s.r, `SELECT count(*) FROM activities`); n != 1 {
		t.Errorf("%d activities, want 1", n)
	}
}

// The publisher's view: what is due, when the next one is, and a failed attempt deferred
// without changing the time the owner sees. Scheduled statuses survive a restart.
func TestScheduledDue(t *testing.T) {
	file := filepath.Join(t.TempDir(), "roost.db")
	s := openStore(t, file)
	clock := storetest.NewClock(testEpoch)
	s.SetClock(clock.Now)
	ctx := context.Background()
	if next, err := s.NextScheduledAt(ctx); err != nil || !next.IsZero() {
		t.Errorf("NextScheduledAt with none = %v, %v; want zero", next, err)
	}
	late := schedule(t, s, testEpoch.Add(2*time.Hour), ScheduledParams{Text: "late"})
	early := schedule(t, s, testEpoch.Add(time.Hour), ScheduledParams{Text: "early"})
	if next, _ := s.NextScheduledAt(ctx); !next.Equal(early.ScheduledAt) {
		t.Errorf("NextScheduledAt = %v, want %v", next, early.ScheduledAt)
	}
	if due, _ := s.DueScheduled(ctx, testEpoch.Add(time.Hour-time.Millisecond), 10); len(due) != 0 {
		t.Errorf("due before its time: %v", scheduledIDs(due))
	}
	due, _ := s.DueScheduled(ctx, testEpoch.Add(3*time.Hour), 10)
	if got := scheduledIDs(due); !reflect.DeepEqual(got, []int64{early.ID, late.ID}) {
		t.Errorf("due = %v, want early then late %v", got, []int64{early.ID, late.ID})
	}
	if due, _ := s.DueScheduled(ctx, testEpoch.Add(3*time.Hour), 1); len(due) != 1 {
		t.Errorf("limit 1 gave %d", len(due))
	}

	retry := testEpoch.Add(90 * time.Minute)
	if err := s.DeferScheduled(ctx, early.ID, retry); err != nil {
		t.Fatal(err)
	}
	if err := s.DeferScheduled(ctx, early.ID+1<<20, retry); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("defer an unknown one: err = %v, want store.ErrNotFound", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openStore(t, file)
	got, err := s.ScheduledByID(ctx, early.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.ScheduledAt.Equal(early.ScheduledAt) || !got.DueAt.Equal(retry) {
		t.Errorf("deferred: at %v due %v; want at %v due %v", got.ScheduledAt, got.DueAt, early.ScheduledAt, retry)
	}
	if next, _ := s.NextScheduledAt(ctx); !next.Equal(retry) {
		t.Errorf("NextScheduledAt after defer = %v, want %v", next, retry)
	}
	if due, _ := s.DueScheduled(ctx, testEpoch.Add(time.Hour), 10); len(due) != 0 {
		t.Errorf("deferred one due at its old time: %v", scheduledIDs(due))
	}
}

// The migration runs again over its own tables, as the backfill tests that rewind the schema do.
func TestScheduledMigrationRerun(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "roost.db")
	s := openStore(t, file)
	s.SetClock(storetest.NewClock(testEpoch).Now)
	sc := schedule(t, s, testEpoch.Add(time.Hour), ScheduledParams{Text: "kept"})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db := storetest.RawDB(t, file, false)
	// Later migrations' added columns go too: ADD COLUMN cannot run twice.
	for _, q := range []string{`ALTER TABLE follows DROP COLUMN show_reblogs`, `ALTER TABLE follows DROP COLUMN notify`, `ALTER TABLE follows DROP COLUMN languages`, `ALTER TABLE accounts DROP COLUMN noindex`, `ALTER TABLE accounts DROP COLUMN noai`, `PRAGMA user_version = 16`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	s = openStore(t, file)
	if got, err := s.ScheduledByID(ctx, sc.ID); err != nil || got.Params.Text != "kept" {
		t.Errorf("after the migration ran again: %+v, %v", got, err)
	}
}

// The publisher's queries read the due index in order instead of sorting every waiting status.
func TestScheduledDueQueryPlan(t *testing.T) {
	s, _ := newTestStore(t)
	for i := range 20 {
		schedule(t, s, testEpoch.Add(time.Duration(i+1)*time.Hour), ScheduledParams{Text: "x"})
	}
	for _, q := range []string{
		`SELECT ` + scheduledCols + ` FROM scheduled_statuses WHERE due_at <= 1 ORDER BY due_at, id LIMIT 10`,
		`SELECT due_at FROM scheduled_statuses ORDER BY due_at LIMIT 1`,
	} {
		plan := storetest.QueryPlan(t, s.r, q)
		if !strings.Contains(plan, "scheduled_statuses_due") || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%s:\n%s", q, plan)
		}
	}
}
