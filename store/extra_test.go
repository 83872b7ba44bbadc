package store

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestPostExtraReadsAndWritesTheStoredFormat protects databases written before the poll and the
// quote were typed: a row's extra column is decoded into Poll and Quote when it is read (counts
// padded for polls stored without them), a property Roost does not know is kept, and writing the
// post back stores the same JSON.
func TestPostExtraReadsAndWritesTheStoredFormat(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "roost.db")
	s := openStore(t, file)
	createOwner(t, s)
	bob := addRemote(t, s, "bob", "b.example", true)
	p := remotePost(bob, bob.IRI+"/posts/1", time.Now())
	if err := s.InsertRemotePost(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	const stored = `{"other":{"x":[1,2]},"poll":{"options":["tea","coffee"],"multiple":true,"end_time":"2026-01-02T03:04:05Z","own_votes":[1]},"quote":"https://c.example/notes/9"}`
	db := rawDB(t, file, false)
	if _, err := db.ExecContext(ctx, `UPDATE posts SET extra = ? WHERE id = ?`, stored, p.ID); err != nil {
		t.Fatal(err)
	}
	got, err := s.PostByID(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Poll == nil || !slices.Equal(got.Poll.Options, []string{"tea", "coffee"}) || !got.Poll.Multiple ||
		!slices.Equal(got.Poll.Votes, []int{0, 0}) || !slices.Equal(got.Poll.OwnVotes, []int{1}) ||
		got.Poll.EndTime != "2026-01-02T03:04:05Z" {
		t.Fatalf("poll = %+v", got.Poll)
	}
	if got.Quote != "https://c.example/notes/9" {
		t.Fatalf("quote = %q", got.Quote)
	}
	got.Poll.Votes = nil // as stored: a poll without counts
	if err := s.SetPostExtra(ctx, got); err != nil {
		t.Fatal(err)
	}
	var extra string
	if err := db.QueryRowContext(ctx, `SELECT extra FROM posts WHERE id = ?`, p.ID).Scan(&extra); err != nil {
		t.Fatal(err)
	}
	if extra != stored {
		t.Errorf("extra written back\n%s\nwant\n%s", extra, stored)
	}
	got.Poll, got.Quote = nil, ""
	got.extra = nil
	if err := s.SetPostExtra(ctx, got); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, `SELECT extra FROM posts WHERE id = ?`, p.ID).Scan(&extra); err != nil {
		t.Fatal(err)
	}
	if extra != "{}" {
		t.Errorf("extra of a post without poll or quote = %s, want {}", extra)
	}
}
