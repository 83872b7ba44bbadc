package relays

import (
	"context"
	"fmt"
	"testing"
	"time"

	"roost/store"
	"roost/store/sqlite"
	"roost/store/storetest"
	"roost/store/storetest/ownertest"
)

// A relay that floods leaves at most Keep of its posts: Prune deletes the oldest of the rest
// (rows and all, with what hangs on them), and keeps any the owner bookmarked.
func TestPruneFlood(t *testing.T) {
	ctx := context.Background()
	st, _ := storetest.Fresh(t, store.Open)
	owner := ownertest.Create(t, st)
	rs := New(st)
	author, err := st.UpsertAccount(ctx, &store.Account{IRI: "https://far.test/users/a", Type: "Person", Username: "a",
		Host: "far.test", Inbox: "https://far.test/users/a/inbox"})
	if err != nil {
		t.Fatal(err)
	}
	const flood, keep = 10_000, 5_000
	start := time.Now()
	err = st.DB().Write(ctx, func(tx *sqlite.Tx) error {
		for i := range flood {
			id := int64(i+1) << 16
			if _, err := tx.ExecContext(ctx, `INSERT INTO posts (id, iri, account_id, visibility, content, published, created_at)
				VALUES (?, ?, ?, 'public', '<p>relayed</p>', ?, ?)`, id, fmt.Sprintf("https://far.test/notes/%d", i),
				author.ID, i, i); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO relay_posts (post_id, relay_id) VALUES (?, 1)`, id); err != nil {
				return err
			}
		}
		// The oldest post, bookmarked by the owner, stays.
		_, err := tx.ExecContext(ctx, `INSERT INTO bookmarks (post_id, created_at) VALUES (?, 0)`, int64(1)<<16)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("stored %d relay posts in %s", flood, time.Since(start).Round(time.Millisecond))
	start = time.Now()
	n, err := rs.Prune(ctx, owner.ID, keep)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pruned %d of %d relay posts to keep %d in %s", n, flood, keep, time.Since(start).Round(time.Millisecond))
	if n != flood-keep-1 {
		t.Errorf("pruned %d, want %d", n, flood-keep-1)
	}
	if left, _ := rs.Posts(ctx); left != keep+1 {
		t.Errorf("%d relay posts left, want %d", left, keep+1)
	}
	if _, err := st.PostByIRI(ctx, "https://far.test/notes/0"); err != nil {
		t.Errorf("the bookmarked post went: %v", err)
	}
	if _, err := st.PostByIRI(ctx, "https://far.test/notes/1"); err == nil {
		t.Error("the oldest post not bookmarked stayed")
	}
	start = time.Now()
	if n, err := rs.Prune(ctx, owner.ID, keep); n != 0 || err != nil {
		t.Errorf("a second prune deleted %d, %v", n, err)
	}
	t.Logf("a prune with nothing to delete (the check made every 50 saves) took %s", time.Since(start).Round(time.Millisecond))
}
