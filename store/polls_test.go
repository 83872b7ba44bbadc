package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// A database made before poll ends were watched gets the open polls the owner made or voted in
// from its posts when the migration runs: not the ended ones, not the ones the owner ignored.
func TestPollEndsBackfill(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "roost.db")
	s := openStore(t, file)
	owner := createOwner(t, s)
	bob := addRemote(t, s, "bob", "b.example", true)
	soon, later := time.Now().Add(time.Hour).Truncate(time.Second), time.Now().Add(2*time.Hour).Truncate(time.Second)
	poll := func(end time.Time, ownVotes ...int) *Poll {
		return &Poll{Options: []string{"a", "b"}, EndTime: end.UTC().Format(time.RFC3339), OwnVotes: ownVotes}
	}
	own := createOwnerPost(t, s, owner, Public)
	for i, pl := range []*Poll{poll(later, 1), poll(soon), poll(time.Now().Add(-time.Hour), 0)} {
		p := remotePost(bob, bob.IRI+"/posts/"+string(rune('1'+i)), s.Now())
		if err := s.InsertRemotePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		p.Poll = pl
		if err := s.SetPostExtra(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	own.Poll = poll(soon)
	if err := s.SetPostExtra(ctx, own); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	db := rawDB(t, file, false)
	for _, q := range []string{`ALTER TABLE oauth_apps DROP COLUMN authorized`, `ALTER TABLE follows DROP COLUMN show_reblogs`, `ALTER TABLE follows DROP COLUMN notify`, `ALTER TABLE follows DROP COLUMN languages`, `ALTER TABLE accounts DROP COLUMN noindex`, `ALTER TABLE accounts DROP COLUMN noai`, `DROP TABLE poll_ends`, `PRAGMA user_version = 10`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s = openStore(t, file)
	if next, err := s.NextPollEnd(ctx); err != nil || !next.Equal(soon) {
		t.Errorf("next poll end = %v, %v; want %v", next, err, soon)
	}
	due, err := s.DuePollEnds(ctx, later, 10)
	if err != nil || len(due) != 2 || due[0] != own.ID {
		t.Errorf("due by the later end: %v, %v; want the owner's poll (%d) and the one voted in", due, err, own.ID)
	}
}
