package queue

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"roost/store/storetest"
	"sync"
	"testing"
	"time"
)

func addInbox(tb testing.TB, s *testDB, iri string) bool {
	tb.Helper()
	added, err := s.AddInbox(context.Background(), iri, "https://b.example/users/bob", []byte(`{"id":"`+iri+`"}`))
	if err != nil {
		tb.Fatalf("AddInbox(%s): %v", iri, err)
	}
	return added
}

func claimInbox(tb testing.TB, s *testDB, limit int) []string {
	tb.Helper()
	items, _, err := s.ClaimInbox(context.Background(), limit, time.Minute)
	if err != nil {
		tb.Fatalf("ClaimInbox: %v", err)
	}
	var iris []string
	for i, it := range items {
		if i > 0 && it.ID <= items[i-1].ID {
			tb.Errorf("ClaimInbox not oldest first: %d after %d", it.ID, items[i-1].ID)
		}
		iris = append(iris, it.ActivityIRI)
	}
	return iris
}

func TestInbox(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	const a, b, c = "https://b.example/activities/a", "https://b.example/activities/b", "https://b.example/activities/c"
	for _, iri := range []string{a, b, c} {
		clock.Add(time.Millisecond)
		if !addInbox(t, s, iri) {
			t.Fatalf("AddInbox(%s) reported a duplicate", iri)
		}
	}
	// A copy that arrives before the first is processed is stored; claiming drops it (below).
	clock.Add(time.Millisecond)
	if !addInbox(t, s, a) {
		t.Error("AddInbox of a copy of a waiting activity reported it processed")
	}
	if n, err := s.InboxPending(ctx); err != nil || n != 4 {
		t.Errorf("InboxPending = %d, %v; want 4", n, err)
	}

	items, _, err := s.ClaimInbox(ctx, 2, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].ActivityIRI != a || items[1].ActivityIRI != b {
		t.Fatalf("first claim = %+v, want a and b", items)
	}
	first := items[0]
	if first.Attempts != 1 || first.ActorIRI != "https://b.example/users/bob" ||
		string(first.Body) != `{"id":"`+a+`"}` || !first.ReceivedAt.Equal(testEpoch.Add(time.Millisecond)) {
		t.Errorf("claimed item = %+v", first)
	}
	if got := claimInbox(t, s, 10); len(got) != 1 || got[0] != c {
		t.Errorf("second claim = %q, want only c (the copy of a is a duplicate)", got)
	}
	if n := storetest.Count(t, s.r, `SELECT count(*) FROM inbox WHERE activity_iri = ? AND done_at > 0 AND error = 'duplicate'`, a); n != 1 {
		t.Errorf("%d copies of a marked done as duplicates, want 1", n)
	}
	if got := claimInbox(t, s, 10); len(got) != 0 {
		t.Errorf("claim with everything leased = %q", got)
	}

	if err := s.InboxDone(ctx, first.ID, ""); err != nil {
		t.Fatal(err)
	}
	if n := storetest.Count(t, s.r, `SELECT length(body) FROM inbox WHERE id = ?`, first.ID); n != 0 {
		t.Errorf("body of a processed activity has %d bytes, want 0", n)
	}
	if addInbox(t, s, a) {
		t.Error("AddInbox of a processed activity reported new")
	}
	if n, _ := s.InboxPending(ctx); n != 2 {
		t.Errorf("InboxPending after one done = %d, want 2", n)
	}

	// A crash while processing b and c: their leases run out and they come back, a does not.
	clock.Add(time.Minute)
	items, _, err = s.ClaimInbox(ctx, 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].ActivityIRI != b || items[1].ActivityIRI != c || items[0].Attempts != 2 {
		t.Errorf("claim after leases ran out = %+v, want b and c on their second attempt", items)
	}

	t.Run("retry", func(t *testing.T) {
		at := clock.Now().Add(10 * time.Minute)
		if err := s.InboxRetry(ctx, items[0].ID, at, "actor fetch failed"); err != nil {
			t.Fatal(err)
		}
		if err := s.InboxDone(ctx, items[1].ID, "gave up"); err != nil {
			t.Fatal(err)
		}
		clock.Set(at.Add(-time.Millisecond))
		if got := claimInbox(t, s, 10); len(got) != 0 {
			t.Errorf("claim before the retry time = %q", got)
		}
		clock.Set(at)
		if got := claimInbox(t, s, 10); len(got) != 1 || got[0] != b {
			t.Errorf("claim at the retry time = %q, want b", got)
		}
	})

	t.Run("prune", func(t *testing.T) {
		clock.Add(time.Hour)
		if err := s.PruneInbox(ctx, clock.Now()); err != nil {
			t.Fatal(err)
		}
		// Processed a and c are forgotten; b is still pending.
		if n := storetest.Count(t, s.r, `SELECT count(*) FROM inbox`); n != 1 {
			t.Errorf("inbox rows after prune = %d, want 1", n)
		}
		if !addInbox(t, s, a) {
			t.Error("AddInbox of a pruned activity reported a duplicate")
		}
	})
}

func BenchmarkAddInbox(b *testing.B) {
	s := openStore(b, filepath.Join(b.TempDir(), "roost.db"))
	ctx := context.Background()
	body := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","type":"Create","actor":"https://b.example/users/bob","object":{"type":"Note","content":"<p>hello</p>"}}`)
	i := 0
	for b.Loop() {
		i++
		if _, err := s.AddInbox(ctx, fmt.Sprintf("https://b.example/activities/%d", i), "https://b.example/users/bob", body); err != nil {
			b.Fatal(err)
		}
	}
}

// Concurrent writers share the one writer connection and readers run beside them: nothing fails
// with SQLITE_BUSY and every write lands.
func TestConcurrentWritesAndReads(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	const workers, each = 8, 20
	errs := make(chan error, workers*each*2)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				if _, err := s.AddInbox(ctx, fmt.Sprintf("https://b.example/activities/%d-%d", w, i), "https://b.example/users/bob", []byte(`{}`)); err != nil {
					errs <- err
				}
				if _, err := s.InboxPending(ctx); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n, err := s.InboxPending(ctx); err != nil || n != workers*each {
		t.Errorf("InboxPending = %d, %v; want %d", n, err, workers*each)
	}
}

// Migration 0009 moves the inbox to a table without the unique index and remembers what was
// processed, so copies of those are still refused and what was waiting is still processed.
func TestInboxSeenMigration(t *testing.T) {
	file := filepath.Join(t.TempDir(), "roost.db")
	migrationFiles := os.DirFS("..") // store/migrations
	db := storetest.RawDB(t, file, false)
	for v := 1; v <= 8; v++ {
		names, _ := fs.Glob(migrationFiles, fmt.Sprintf("migrations/%04d_*.sql", v))
		body, err := fs.ReadFile(migrationFiles, names[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", names[0], err)
		}
	}
	for _, q := range []string{
		`INSERT INTO inbox (activity_iri, actor_iri, body, received_at, attempts, done_at) VALUES
			('https://b.example/done', 'https://b.example/u', x'', 1, 1, 5),
			('https://b.example/waiting', 'https://b.example/u', x'7b7d', 2, 0, 0)`,
		`PRAGMA user_version = 8`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s := openStore(t, file)
	if addInbox(t, s, "https://b.example/done") {
		t.Error("a copy of an activity processed before the migration was stored")
	}
	if got := claimInbox(t, s, 10); len(got) != 1 || got[0] != "https://b.example/waiting" {
		t.Errorf("claim after the migration = %q, want the waiting activity", got)
	}
	if n := storetest.Count(t, s.r, `SELECT count(*) FROM inbox`); n != 2 {
		t.Errorf("%d inbox rows after the migration, want 2", n)
	}
}

// Peers reuse activity ids for different activities (a second edit under the first edit's Update
// id, a like after an Undo under the first like's id): an activity is a copy only when its body is
// the same too.
func TestInboxReusedIDs(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	const id, actor = "https://gts.example/users/carol/statuses/1/activity#Update", "https://gts.example/users/carol"
	first, second := []byte(`{"id":"`+id+`","content":"first edit"}`), []byte(`{"id":"`+id+`","content":"second edit"}`)
	add := func(body []byte) bool {
		t.Helper()
		clock.Add(time.Millisecond)
		added, err := s.AddInbox(ctx, id, actor, body)
		if err != nil {
			t.Fatal(err)
		}
		return added
	}
	claim := func() (kept, dropped []InboxItem) {
		t.Helper()
		kept, dropped, err := s.ClaimInbox(ctx, 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range kept {
			if err := s.InboxDone(ctx, it.ID, ""); err != nil {
				t.Fatal(err)
			}
		}
		return kept, dropped
	}
	if !add(first) {
		t.Fatal("the first edit was refused")
	}
	if kept, _ := claim(); len(kept) != 1 || string(kept[0].Body) != string(first) {
		t.Fatalf("claimed %+v, want the first edit", kept)
	}
	if add(first) {
		t.Error("a copy of the processed first edit (same id, same bytes) was stored")
	}
	if !add(second) {
		t.Fatal("the second edit under the same id was refused as a copy of the first")
	}
	// Two copies of the second edit waiting at once: one is processed, the other dropped.
	if !add(second) {
		t.Fatal("a copy of a waiting activity was refused")
	}
	kept, dropped := claim()
	if len(kept) != 1 || string(kept[0].Body) != string(second) {
		t.Errorf("claimed %+v, want the second edit once", kept)
	}
	if len(dropped) != 1 || dropped[0].ActivityIRI != id {
		t.Errorf("dropped %+v, want the copy of the second edit", dropped)
	}
	if add(second) {
		t.Error("a copy of the processed second edit was stored")
	}
}
