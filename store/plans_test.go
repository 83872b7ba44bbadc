package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"roost/store/storetest"
)

// queryPlan returns SQLite's EXPLAIN QUERY PLAN for query, one detail line each.
func queryPlan(t *testing.T, s *Store, query string, args ...any) string {
	t.Helper()
	return storetest.QueryPlan(t, s.r, query, args...)
}

// The timeline queries must page without sorting whole tables: a plan with a temporary b-tree
// for ORDER BY reads every matching row and runs many times slower at a million posts.
func TestTimelineQueryPlans(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)
	// Enough rows that the planner has something to choose between, then ANALYZE as a real
	// database would have.
	bob := addRemote(t, s, "bob", "b.example", false)
	for i := range 200 {
		p := remotePost(bob, fmt.Sprintf("https://b.example/notes/%d", i), time.Now().Add(-time.Duration(i)*time.Minute))
		p.Tags = []Tag{{Type: "Hashtag", Name: "#go"}}
		if err := s.InsertRemotePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.w.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	max := int64(1<<63 - 1)
	media, _ := PostFilter{OnlyMedia: true}.where("p")
	threads, threadArgs := PostFilter{ExcludeReplies: true, Tagged: "go"}.where("p")
	remoteMedia, remoteArgs := PostFilter{OnlyMedia: true, Remote: true, OwnerID: owner.ID}.where("p")
	for _, tc := range []struct {
		name, query string
		args        []any
	}{
		{"home posts newest first", homePostsSQL("DESC"), []any{owner.ID, max, 0, 20}},
		{"home posts oldest first", homePostsSQL("ASC"), []any{owner.ID, max, 0, 20}},
		{"home boosts newest first", homeBoostsSQL("DESC"), []any{owner.ID, max, 0, 20}},
		{"tag page", tagPostsSQL, []any{"go", max, owner.ID, 20}},
		{"a page's posts by id", postsByIDSQL, []any{"[1,2,3]"}},
		{"an account's media", accountPostsSQL(true, media, false), []any{bob.ID, max, 0, 20}},
		{"an account's posts without replies, tagged", accountPostsSQL(false, threads, false),
			append(append([]any{bob.ID, max, 0}, threadArgs...), 20)},
		{"public remote media", publicPostsSQL(remoteMedia, false), append(append([]any{max, 0}, remoteArgs...), 20)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := queryPlan(t, s, tc.query, tc.args...)
			if strings.Contains(plan, "USE TEMP B-TREE FOR ORDER BY") {
				t.Errorf("plan sorts in a temporary b-tree:\n%s", plan)
			}
			for _, line := range strings.Split(plan, "\n") {
				// A full scan of posts (by table or index) makes a page cost O(posts).
				if strings.Contains(line, "SCAN p ") || strings.Contains(line, "SCAN p2") || strings.HasSuffix(line, "SCAN p") ||
					strings.Contains(line, "SCAN posts") {
					t.Errorf("plan scans posts: %q\n%s", line, plan)
				}
			}
			t.Logf("plan:\n%s", plan)
		})
	}
}

// Home's exclusive-list check (members of an exclusive list kept out) still walks posts by
// primary key when the owner has lists (the lists themselves are in store/lists).
func TestHomeQueryPlanWithLists(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)
	bob := addRemote(t, s, "bob", "b.example", false)
	f := &Follow{IRI: owner.IRI + "/follows/bob", FollowerID: owner.ID, FolloweeID: bob.ID}
	if err := s.FollowAccount(ctx, f, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SetFollowState(ctx, f.ID, Accepted, nil); err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		p := remotePost(bob, fmt.Sprintf("https://b.example/notes/%d", i), time.Now().Add(-time.Duration(i)*time.Minute))
		if err := s.InsertRemotePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		`INSERT INTO lists (id, title, replies_policy, exclusive, created_at) VALUES (1, 'bob', 'list', 0, 0)`,
		fmt.Sprintf(`INSERT INTO list_accounts (list_id, account_id, created_at) VALUES (1, %d, 0)`, bob.ID),
		`ANALYZE`,
	} {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	plan := queryPlan(t, s, homePostsSQL("DESC"), owner.ID, int64(1<<63-1), 0, 20)
	if strings.Contains(plan, "USE TEMP B-TREE FOR ORDER BY") {
		t.Errorf("plan sorts in a temporary b-tree:\n%s", plan)
	}
	for _, line := range strings.Split(plan, "\n") {
		// json_each of one follow's chosen languages (a few codes) is the one scan allowed.
		if strings.HasPrefix(line, "SCAN ") && !strings.Contains(line, "USING INTEGER PRIMARY KEY") &&
			!strings.HasPrefix(line, "SCAN lang VIRTUAL TABLE") {
			t.Errorf("plan scans: %q\n%s", line, plan)
		}
	}
}

// Looking up a post's replies must use the partial index on in_reply_to: a scan of every post
// per post card made pages take seconds at 100,000 posts.
func TestReplyLookupPlans(t *testing.T) {
	s, _ := newTestStore(t)
	for _, q := range []string{
		`SELECT id FROM posts WHERE in_reply_to = ? AND in_reply_to != '' AND deleted_at = 0 ORDER BY id LIMIT 20`,
		`SELECT count(*) FROM posts WHERE in_reply_to = ? AND in_reply_to != '' AND deleted_at = 0 AND visibility IN ('public', 'unlisted')`,
	} {
		plan := queryPlan(t, s, q, "https://example.com/1")
		if !strings.Contains(plan, "posts_reply") {
			t.Errorf("plan does not use posts_reply:\n%s\nquery: %s", plan, q)
		}
	}
}

// The profile's pinned posts come from the partial index, not a walk of every post.
func TestPinnedPostsPlan(t *testing.T) {
	s, _ := newTestStore(t)
	plan := queryPlan(t, s, `SELECT id FROM posts WHERE account_id = ? AND pinned_at > 0 AND deleted_at = 0
		ORDER BY pinned_at DESC`, 1)
	if !strings.Contains(plan, "posts_pinned") {
		t.Errorf("pinned posts do not use posts_pinned:\n%s", plan)
	}
}

// The inbox path looks a signature's key up by id, and claims pending activities, from indexes:
// a scan here costs every inbox POST time proportional to all the accounts or the backlog.
func TestInboxPathPlans(t *testing.T) {
	s, _ := newTestStore(t)
	for _, tc := range []struct {
		query, want string
		args        []any
	}{
		{`SELECT id FROM accounts WHERE key_id = ? AND key_id != ''`, "accounts_key_id", []any{"https://a.example/u#k"}},
		{`SELECT id FROM inbox WHERE done_at = 0 AND next_at <= ? ORDER BY next_at, id LIMIT ?`, "inbox_pending", []any{1, 32}},
	} {
		plan := queryPlan(t, s, tc.query, tc.args...)
		if !strings.Contains(plan, tc.want) || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("plan for %s:\n%s\nwant %s without a sort", tc.query, plan, tc.want)
		}
	}
}
