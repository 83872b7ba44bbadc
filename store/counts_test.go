package store

import (
	"context"
	"path/filepath"
	"testing"
)

// checkCounts compares every account's counters with a count of the rows they stand for.
func checkCounts(t *testing.T, s *Store, step string) {
	t.Helper()
	rows, err := s.r.Query(`SELECT id FROM accounts`)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	ctx := context.Background()
	for _, id := range ids {
		posts, err := s.CountPosts(ctx, id, false)
		if err != nil {
			t.Fatal(err)
		}
		public, err := s.CountPosts(ctx, id, true)
		if err != nil {
			t.Fatal(err)
		}
		followers, following, err := s.CountFollows(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want := [4]int{
			count(t, s, `SELECT count(*) FROM posts WHERE account_id = ? AND deleted_at = 0`, id),
			count(t, s, `SELECT count(*) FROM posts WHERE account_id = ? AND deleted_at = 0
				AND visibility IN ('public', 'unlisted')`, id),
			count(t, s, `SELECT count(*) FROM follows WHERE followee_id = ? AND state = 'accepted'`, id),
			count(t, s, `SELECT count(*) FROM follows WHERE follower_id = ? AND state = 'accepted'`, id),
		}
		if got := [4]int{posts, public, followers, following}; got != want {
			t.Errorf("%s: account %d counts (posts, public, followers, following) = %v, counted %v",
				step, id, got, want)
		}
	}
	if n := count(t, s, `SELECT count(*) FROM account_counts WHERE account_id NOT IN (SELECT id FROM accounts)`); n != 0 {
		t.Errorf("%s: %d counter rows outlive their accounts", step, n)
	}
}

// The per-account counters kept by triggers agree with the rows through every change that can move
// them: posting in each visibility, deleting, editing, following, accepting, unfollowing, and
// deleting an account along with its posts and follows.
func TestAccountCountsFollowRows(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)
	bob := addRemote(t, s, "bob", "b.example", true)
	carol := addRemote(t, s, "carol", "c.example", false)
	checkCounts(t, s, "start")

	var mine []*Post
	for _, vis := range []string{Public, Unlisted, Private, Direct, Public} {
		mine = append(mine, createOwnerPost(t, s, owner, vis))
		clock.Add(1)
	}
	for i, a := range []*Account{bob, bob, carol} {
		p := remotePost(a, a.IRI+"/posts/"+string(rune('a'+i)), clock.Now())
		if err := s.InsertRemotePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		clock.Add(1)
	}
	checkCounts(t, s, "after posting")
	if n, _ := s.CountPosts(ctx, owner.ID, true); n != 3 {
		t.Errorf("owner's public and unlisted posts = %d, want 3", n)
	}

	if err := s.DeletePost(ctx, mine[0].ID, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.DeletePost(ctx, mine[3].ID, nil); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, s, "after deleting")

	edited := *mine[1]
	edited.Visibility = Private
	edited.Content = "<p>edited</p>"
	if err := s.UpdatePost(ctx, &edited, PostChange{}, nil); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, s, "after an edit")

	follow := func(iri string, from, to *Account, state string) *Follow {
		f := &Follow{IRI: iri, FollowerID: from.ID, FolloweeID: to.ID, State: state}
		if err := s.FollowAccount(ctx, f, nil); err != nil {
			t.Fatal(err)
		}
		return f
	}
	f1 := follow("https://roost.example/follows/1", owner, bob, Pending)
	checkCounts(t, s, "after a pending follow")
	if err := s.SetFollowState(ctx, f1.ID, Accepted, nil); err != nil {
		t.Fatal(err)
	}
	follow("https://roost.example/follows/2", owner, carol, Accepted)
	if _, err := s.AddFollower(ctx, &Follow{IRI: "https://b.example/follows/9", FollowerID: bob.ID,
		FolloweeID: owner.ID, State: Accepted}, nil); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, s, "after accepting")
	if f, _, _ := s.CountFollows(ctx, owner.ID); f != 1 {
		t.Errorf("owner's followers = %d, want 1", f)
	}

	if err := s.RemoveFollow(ctx, f1.ID, nil); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, s, "after unfollowing")

	if err := s.DeleteAccount(ctx, bob.ID); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, s, "after deleting an account")
}

// A database made before the counters gets them filled in from its rows when the migration runs.
func TestAccountCountsBackfill(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "roost.db")
	s, err := Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	owner := createOwner(t, s)
	bob := addRemote(t, s, "bob", "b.example", true)
	for _, vis := range []string{Public, Unlisted, Direct} {
		createOwnerPost(t, s, owner, vis)
	}
	if err := s.InsertRemotePost(ctx, remotePost(bob, bob.IRI+"/posts/1", s.Now()), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddFollower(ctx, &Follow{IRI: "https://b.example/follows/1", FollowerID: bob.ID,
		FolloweeID: owner.ID, State: Accepted}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Back to the schema before migration 0008 (0009 to 0014 run again too).
	db := rawDB(t, file, false)
	for _, q := range []string{`ALTER TABLE oauth_apps DROP COLUMN authorized`, `ALTER TABLE follows DROP COLUMN show_reblogs`, `ALTER TABLE follows DROP COLUMN notify`, `ALTER TABLE follows DROP COLUMN languages`, `ALTER TABLE accounts DROP COLUMN noindex`, `ALTER TABLE accounts DROP COLUMN noai`, `DROP TABLE poll_ends`, `DROP TABLE poll_votes`, `DROP TABLE inbox_seen`, `DROP TABLE account_counts`, `DROP TRIGGER account_counts_account_deleted`,
		`DROP TRIGGER account_counts_post_inserted`, `DROP TRIGGER account_counts_post_deleted`,
		`DROP TRIGGER account_counts_post_updated`, `DROP TRIGGER account_counts_follow_inserted`,
		`DROP TRIGGER account_counts_follow_deleted`, `DROP TRIGGER account_counts_follow_updated`,
		`PRAGMA user_version = 7`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s = openStore(t, file)
	checkCounts(t, s, "after the migration")
	if n, _ := s.CountPosts(ctx, owner.ID, true); n != 2 {
		t.Errorf("owner's public and unlisted posts = %d, want 2", n)
	}
	if f, _, _ := s.CountFollows(ctx, owner.ID); f != 1 {
		t.Errorf("owner's followers = %d, want 1", f)
	}
}
