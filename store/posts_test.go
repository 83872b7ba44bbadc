package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"roost/store/storetest"
	"slices"
	"strings"
	"testing"
	"time"
)

// remotePost is a post by a, published at published, with the ID a remote post gets.
func remotePost(a *Account, iri string, published time.Time) *Post {
	return &Post{
		ID:         IDAt(published, iri),
		IRI:        iri,
		AccountID:  a.ID,
		Type:       "Note",
		Visibility: Public,
		Content:    "<p>hello from " + a.Username + "</p>",
		To:         []string{"https://www.w3.org/ns/activitystreams#Public"},
		Published:  published,
	}
}

// createOwnerPost writes one of the owner's posts (without deliveries), advancing no clock.
func createOwnerPost(tb testing.TB, s *Store, owner *Account, visibility string) *Post {
	tb.Helper()
	id := s.NewID()
	p := &Post{
		ID:         id,
		IRI:        fmt.Sprintf("%s/statuses/%d", owner.IRI, id),
		AccountID:  owner.ID,
		Type:       "Note",
		Visibility: visibility,
		Content:    "<p>post</p>",
		Source:     "post",
		Tags:       []Tag{{Type: "Hashtag", Name: "#Roost", Href: "https://roost.example/tags/roost"}},
		Published:  s.Now(),
	}
	if err := s.CreatePost(context.Background(), p, NewPost{}, nil); err != nil {
		tb.Fatalf("CreatePost: %v", err)
	}
	return p
}

func createOutgoing(p *Post, inboxes ...string) *Outgoing {
	return &Outgoing{
		IRI:     p.IRI + "/activity",
		Type:    "Create",
		PostID:  p.ID,
		Public:  p.Visibility == Public,
		Body:    []byte(`{"type":"Create","id":"` + p.IRI + `/activity"}`),
		Inboxes: inboxes,
	}
}

func TestCreatePostWritesOutbox(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)
	bob := addRemote(t, s, "bob", "b.example", false)

	id := s.NewID()
	p := &Post{ID: id, IRI: fmt.Sprintf("%s/statuses/%d", owner.IRI, id), AccountID: owner.ID,
		Visibility: Public, Content: "<p>hi @bob</p>", Source: "hi @bob", Published: s.Now(),
		Tags: []Tag{{Type: "Mention", Name: "@bob@b.example", Href: bob.IRI}, {Type: "Hashtag", Name: "#Go"}}}
	out := createOutgoing(p, "https://b.example/inbox", "https://C.example/users/c/inbox", "https://b.example/inbox")
	if err := s.CreatePost(ctx, p, NewPost{Mentions: []int64{bob.ID}}, out); err != nil {
		t.Fatal(err)
	}

	got, err := s.PostByID(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.IRI != p.IRI || got.Content != p.Content || got.Source != p.Source || !got.DeletedAt.IsZero() {
		t.Errorf("stored post = %+v", got)
	}
	if mentioned, err := s.Mentioned(ctx, p.ID, bob.ID); err != nil || !mentioned {
		t.Errorf("Mentioned(bob) = %v, %v", mentioned, err)
	}
	if n := count(t, s, `SELECT count(*) FROM post_tags WHERE tag = 'go' AND post_id = ?`, p.ID); n != 1 {
		t.Errorf("hashtag rows = %d, want 1 (lower-cased, without #)", n)
	}
	act, err := s.ActivityByIRI(ctx, out.IRI)
	if err != nil {
		t.Fatal(err)
	}
	if act.ID == 0 || act.ID != out.ID || act.PostID != p.ID || !act.Public || string(act.Body) != string(out.Body) {
		t.Errorf("activity = %+v, want ID %d for post %d", act, out.ID, p.ID)
	}
	if n := count(t, s, `SELECT count(*) FROM activities`); n != 1 {
		t.Errorf("activities = %d, want 1", n)
	}

	rows, err := s.r.QueryContext(ctx, `SELECT id, activity_id, inbox, host FROM deliveries`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var inboxes, hosts []string
	for rows.Next() {
		var id, activity int64
		var inbox, host string
		if err := rows.Scan(&id, &activity, &inbox, &host); err != nil {
			t.Fatal(err)
		}
		if activity != out.ID {
			t.Errorf("delivery %d is for activity %d, want %d", id, activity, out.ID)
		}
		inboxes = append(inboxes, inbox)
		hosts = append(hosts, host)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(inboxes)
	slices.Sort(hosts)
	if want := []string{"https://C.example/users/c/inbox", "https://b.example/inbox"}; !slices.Equal(inboxes, want) {
		t.Errorf("delivery inboxes = %q, want %q", inboxes, want)
	}
	if want := []string{"b.example", "c.example"}; !slices.Equal(hosts, want) {
		t.Errorf("delivery hosts = %q, want lower-cased %q", hosts, want)
	}
}

// A post and every delivery it causes are written in one transaction: when the activity cannot
// be written, the post is not either.
func TestCreatePostRollsBackOnActivityConflict(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)

	first := createOwnerPost(t, s, owner, Public)
	taken := createOutgoing(first, "https://b.example/inbox")
	if err := s.Enqueue(ctx, taken); err != nil {
		t.Fatal(err)
	}

	id := s.NewID()
	p := &Post{ID: id, IRI: fmt.Sprintf("%s/statuses/%d", owner.IRI, id), AccountID: owner.ID,
		Visibility: Public, Content: "<p>second</p>", Published: s.Now(),
		Tags: []Tag{{Type: "Hashtag", Name: "#lost"}}}
	out := createOutgoing(p, "https://c.example/inbox", "https://d.example/inbox")
	out.IRI = taken.IRI // duplicate activity id
	err := s.CreatePost(ctx, p, NewPost{}, out)
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("CreatePost with a duplicate activity: err = %v, want ErrConflict", err)
	}
	if _, err := s.PostByIRI(ctx, p.IRI); !errors.Is(err, ErrNotFound) {
		t.Errorf("PostByIRI after rollback: err = %v, want ErrNotFound", err)
	}
	for _, tc := range []struct {
		name, query string
		want        int
	}{
		{"posts", `SELECT count(*) FROM posts`, 1},
		{"post_tags", `SELECT count(*) FROM post_tags WHERE tag = 'lost'`, 0},
		{"activities", `SELECT count(*) FROM activities`, 1},
		{"deliveries", `SELECT count(*) FROM deliveries`, 1},
	} {
		if n := count(t, s, tc.query); n != tc.want {
			t.Errorf("%s: %d rows, want %d", tc.name, n, tc.want)
		}
	}
	// The store stays usable after the rollback.
	out.IRI = p.IRI + "/activity"
	out.ID = 0
	if err := s.CreatePost(ctx, p, NewPost{}, out); err != nil {
		t.Errorf("CreatePost after rollback: %v", err)
	}
}

func TestCreatePostDuplicateIRI(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)
	p := createOwnerPost(t, s, owner, Public)
	dup := *p
	dup.ID = s.NewID()
	if err := s.CreatePost(ctx, &dup, NewPost{}, createOutgoing(&dup, "https://b.example/inbox")); !errors.Is(err, ErrConflict) {
		t.Fatalf("CreatePost with a taken IRI: err = %v, want ErrConflict", err)
	}
	if n := count(t, s, `SELECT count(*) FROM activities`); n != 0 {
		t.Errorf("activities = %d after a refused post, want 0", n)
	}
}

// A local post's ID is in its IRI and its activity already, so the store never moves it: a taken
// ID refuses the post, and nothing of it is written.
func TestCreatePostTakenIDIsRefused(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)
	first := createOwnerPost(t, s, owner, Public)

	p := &Post{ID: first.ID, IRI: owner.IRI + "/statuses/other", AccountID: owner.ID,
		Visibility: Public, Content: "<p>other</p>", Published: s.Now()}
	out := createOutgoing(p, "https://b.example/inbox")
	if err := s.CreatePost(ctx, p, NewPost{}, out); !errors.Is(err, ErrConflict) {
		t.Fatalf("CreatePost with a taken ID: err = %v, want ErrConflict", err)
	}
	if p.ID != first.ID {
		t.Errorf("CreatePost moved the post to ID %d", p.ID)
	}
	if _, err := s.ActivityByIRI(ctx, out.IRI); !errors.Is(err, ErrNotFound) {
		t.Errorf("activity of the refused post: err = %v, want ErrNotFound", err)
	}
	if n := count(t, s, `SELECT count(*) FROM posts`); n != 1 {
		t.Errorf("posts = %d, want 1", n)
	}
}

// Remote IDs (IDAt) and local IDs (NewID) live in separate halves of each millisecond, so a
// remote post published in the same millisecond as a local post is created never takes its ID.
func TestRemoteAndLocalIDsDoNotCollide(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)
	bob := addRemote(t, s, "bob", "b.example", false)
	for i := range 200 {
		theirs := remotePost(bob, fmt.Sprintf("https://b.example/notes/%d", i), s.Now())
		if theirs.ID&0x8000 == 0 {
			t.Fatalf("IDAt = %#x, want bit 15 set", theirs.ID)
		}
		if err := s.InsertRemotePost(ctx, theirs, nil); err != nil {
			t.Fatal(err)
		}
	}
	for range 200 {
		p := createOwnerPost(t, s, owner, Public)
		if p.ID&0x8000 != 0 {
			t.Fatalf("local ID %#x has bit 15 set", p.ID)
		}
	}
}

// InsertRemotePost records the notices it is given about the post it writes, in the same
// transaction: with the post's ID, also when that ID moved, and not at all when the post is refused.
func TestInsertRemotePostRecordsNotices(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)
	bob := addRemote(t, s, "bob", "b.example", false)
	mine := createOwnerPost(t, s, owner, Public)

	first := remotePost(bob, "https://b.example/notes/1", testEpoch)
	if err := s.InsertRemotePost(ctx, first, nil); err != nil {
		t.Fatal(err)
	}
	// Published in the same millisecond, with the same ID: it moves to the next free one.
	p := remotePost(bob, "https://b.example/notes/2", testEpoch)
	p.ID, p.InReplyTo = first.ID, mine.IRI
	err := s.InsertRemotePost(ctx, p, []int64{owner.ID},
		Notice{Type: "mention", AccountID: bob.ID}, Notice{Type: "quote", AccountID: bob.ID})
	if err != nil {
		t.Fatal(err)
	}
	if p.ID == first.ID || p.ReplyToID != mine.ID {
		t.Fatalf("post ID %d (first %d), ReplyToID %d (want %d)", p.ID, first.ID, p.ReplyToID, mine.ID)
	}
	ns, err := s.Notifications(ctx, nil, Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 2 || ns[0].PostID != p.ID || ns[1].PostID != p.ID || ns[0].AccountID != bob.ID {
		t.Errorf("notifications = %+v, want a mention and a quote on post %d", ns, p.ID)
	}

	again := remotePost(bob, p.IRI, testEpoch.Add(time.Second))
	if err := s.InsertRemotePost(ctx, again, nil, Notice{Type: "status", AccountID: bob.ID}); !errors.Is(err, ErrConflict) {
		t.Fatalf("second insert: %v, want ErrConflict", err)
	}
	if n := count(t, s, `SELECT count(*) FROM notifications`); n != 2 {
		t.Errorf("notifications after a refused insert = %d, want 2", n)
	}
}

func TestInsertRemotePostDuplicate(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	createOwner(t, s)
	bob := addRemote(t, s, "bob", "b.example", false)
	for _, tc := range []struct {
		name string
		id   func(p *Post) int64
	}{
		{"same ID", func(p *Post) int64 { return p.ID }},
		{"other ID", func(p *Post) int64 { return p.ID + 1000 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			iri := "https://b.example/notes/" + strings.ReplaceAll(tc.name, " ", "-")
			p := remotePost(bob, iri, testEpoch)
			if err := s.InsertRemotePost(ctx, p, nil); err != nil {
				t.Fatal(err)
			}
			again := remotePost(bob, iri, testEpoch)
			again.ID = tc.id(p)
			again.Content = "<p>changed</p>"
			if err := s.InsertRemotePost(ctx, again, nil); !errors.Is(err, ErrConflict) {
				t.Errorf("second InsertRemotePost: err = %v, want ErrConflict", err)
			}
			if n := count(t, s, `SELECT count(*) FROM posts WHERE iri = ?`, iri); n != 1 {
				t.Errorf("%d rows for %s, want 1", n, iri)
			}
			stored, err := s.PostByIRI(ctx, iri)
			if err != nil {
				t.Fatal(err)
			}
			if stored.ID != p.ID || stored.Content != p.Content {
				t.Errorf("duplicate changed the post: %+v", stored)
			}
		})
	}
}

// Remote posts get their ID from their published time; two published in the same millisecond
// both insert, and both sort at that millisecond.
func TestInsertRemotePostSameMillisecond(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	createOwner(t, s)
	bob := addRemote(t, s, "bob", "b.example", false)
	carol := addRemote(t, s, "carol", "c.example", false)
	at := testEpoch.Add(7 * time.Millisecond)

	a := remotePost(bob, "https://b.example/notes/a", at)
	b := remotePost(carol, "https://c.example/notes/b", at)
	c := remotePost(carol, "https://c.example/notes/c", at)
	c.ID = a.ID // force a collision like a hash clash would
	// The last remote ID of the millisecond, taken twice: the second must stay in this
	// millisecond's remote half, not wrap into the next millisecond's local IDs.
	d := remotePost(bob, "https://b.example/notes/d", at)
	d.ID = at.UnixMilli()<<16 | 0xffff
	e := remotePost(carol, "https://c.example/notes/e", at)
	e.ID = d.ID
	for _, p := range []*Post{a, b, c, d, e} {
		if err := s.InsertRemotePost(ctx, p, nil); err != nil {
			t.Fatalf("InsertRemotePost(%s): %v", p.IRI, err)
		}
	}
	ids := map[int64]string{}
	for _, p := range []*Post{a, b, c, d, e} {
		stored, err := s.PostByIRI(ctx, p.IRI)
		if err != nil {
			t.Fatal(err)
		}
		if stored.ID != p.ID {
			t.Errorf("%s: stored ID %d, Post.ID %d", p.IRI, stored.ID, p.ID)
		}
		if other, ok := ids[stored.ID]; ok {
			t.Errorf("%s and %s share ID %d", p.IRI, other, stored.ID)
		}
		ids[stored.ID] = p.IRI
		if got := IDTime(stored.ID); !got.Equal(at) {
			t.Errorf("%s: IDTime = %v, want %v", p.IRI, got, at)
		}
		if stored.ID&0x8000 == 0 {
			t.Errorf("%s: remote ID %#x is in the local half", p.IRI, stored.ID)
		}
	}
}

func TestDeletePostTombstones(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)
	bob := addRemote(t, s, "bob", "b.example", false)
	p := createOwnerPost(t, s, owner, Public)
	keep := createOwnerPost(t, s, owner, Public)
	like := &Reaction{IRI: "https://b.example/likes/1", AccountID: bob.ID, PostID: p.ID}
	if err := s.AddLike(ctx, like, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.AddBoost(ctx, &Reaction{IRI: "https://b.example/boosts/1", AccountID: bob.ID, PostID: p.ID}, nil); err != nil {
		t.Fatal(err)
	}

	clock.Add(time.Minute)
	del := &Outgoing{IRI: p.IRI + "/delete", Type: "Delete", PostID: p.ID, Public: true, Body: []byte(`{}`),
		Inboxes: []string{"https://b.example/users/bob/inbox"}}
	if err := s.DeletePost(ctx, p.ID, del); err != nil {
		t.Fatal(err)
	}
	got, err := s.PostByID(ctx, p.ID)
	if err != nil {
		t.Fatalf("PostByID of a tombstone: %v", err)
	}
	if !got.DeletedAt.Equal(clock.Now()) {
		t.Errorf("DeletedAt = %v, want %v", got.DeletedAt, clock.Now())
	}
	if got.Content != "" || got.Source != "" || len(got.Tags) != 0 || got.IRI != p.IRI {
		t.Errorf("tombstone keeps content: %+v", got)
	}
	if _, err := s.LikeOf(ctx, bob.ID, p.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("LikeOf after delete: err = %v, want ErrNotFound", err)
	}
	if _, err := s.BoostOf(ctx, bob.ID, p.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("BoostOf after delete: err = %v, want ErrNotFound", err)
	}
	if n := count(t, s, `SELECT count(*) FROM notifications WHERE post_id = ?`, p.ID); n != 0 {
		t.Errorf("notifications of the deleted post = %d, want 0", n)
	}
	if n := count(t, s, `SELECT count(*) FROM post_tags WHERE post_id = ?`, p.ID); n != 0 {
		t.Errorf("post_tags of the deleted post = %d, want 0", n)
	}
	posts, err := s.AccountPosts(ctx, owner.ID, false, Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 1 || posts[0].ID != keep.ID {
		t.Errorf("AccountPosts after delete = %v, want only %d", postIDs(posts), keep.ID)
	}
	if n, err := s.CountPosts(ctx, owner.ID, false); err != nil || n != 1 {
		t.Errorf("CountPosts after delete = %d, %v; want 1", n, err)
	}
	if _, err := s.ActivityByIRI(ctx, del.IRI); err != nil {
		t.Errorf("Delete activity: %v", err)
	}
	if n := count(t, s, `SELECT count(*) FROM deliveries WHERE activity_id = ?`, del.ID); n != 1 {
		t.Errorf("Delete deliveries = %d, want 1", n)
	}

	// The IRI stays taken: the post is never stored again.
	again := *p
	again.ID = s.NewID()
	if err := s.CreatePost(ctx, &again, NewPost{}, nil); !errors.Is(err, ErrConflict) {
		t.Errorf("re-creating a deleted post: err = %v, want ErrConflict", err)
	}
	if err := s.DeletePost(ctx, p.ID, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("second DeletePost: err = %v, want ErrNotFound", err)
	}
	if err := s.UpdatePost(ctx, got, PostChange{}, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("UpdatePost of a tombstone: err = %v, want ErrNotFound", err)
	}
}

func postIDs(ps []*Post) []int64 {
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return ids
}

func TestAccountPostsPaging(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)
	bob := addRemote(t, s, "bob", "b.example", false)

	vis := []string{Public, Unlisted, Private, Direct, Public, Public}
	var ids []int64 // oldest first
	for _, v := range vis {
		clock.Add(time.Second)
		ids = append(ids, createOwnerPost(t, s, owner, v).ID)
	}
	deleted := ids[5]
	if err := s.DeletePost(ctx, deleted, nil); err != nil {
		t.Fatal(err)
	}
	ids = ids[:5]
	// Someone else's post in between must never show.
	clock.Set(testEpoch.Add(2500 * time.Millisecond))
	if err := s.InsertRemotePost(ctx, remotePost(bob, "https://b.example/notes/1", s.Now()), nil); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name       string
		publicOnly bool
		page       Page
		want       []int64
	}{
		{"all", false, Page{}, []int64{ids[4], ids[3], ids[2], ids[1], ids[0]}},
		{"public only", true, Page{}, []int64{ids[4], ids[1], ids[0]}},
		{"limit", false, Page{Limit: 2}, []int64{ids[4], ids[3]}},
		{"max id", false, Page{MaxID: ids[3]}, []int64{ids[2], ids[1], ids[0]}},
		{"max id limit", false, Page{MaxID: ids[3], Limit: 2}, []int64{ids[2], ids[1]}},
		{"min id: the oldest newer ones, newest first", false, Page{MinID: ids[1], Limit: 2}, []int64{ids[3], ids[2]}},
		{"min id all", false, Page{MinID: ids[1]}, []int64{ids[4], ids[3], ids[2]}},
		{"between", false, Page{MaxID: ids[4], MinID: ids[0]}, []int64{ids[3], ids[2], ids[1]}},
		{"between public only", true, Page{MaxID: ids[4], MinID: ids[0]}, []int64{ids[1]}},
		{"max id at oldest", false, Page{MaxID: ids[0]}, nil},
		{"min id at newest", false, Page{MinID: ids[4]}, nil},
		{"zero limit is the default", false, Page{Limit: 0}, []int64{ids[4], ids[3], ids[2], ids[1], ids[0]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			posts, err := s.AccountPosts(ctx, owner.ID, tc.publicOnly, tc.page)
			if err != nil {
				t.Fatal(err)
			}
			if got := postIDs(posts); !slices.Equal(got, tc.want) {
				t.Errorf("AccountPosts = %v, want %v", got, tc.want)
			}
		})
	}

	for _, tc := range []struct {
		publicOnly bool
		want       int
	}{{false, 5}, {true, 3}} {
		if n, err := s.CountPosts(ctx, owner.ID, tc.publicOnly); err != nil || n != tc.want {
			t.Errorf("CountPosts(publicOnly=%v) = %d, %v; want %d", tc.publicOnly, n, err, tc.want)
		}
	}
}

// The profile timeline must walk the posts_account index backwards, not sort the account's posts.
func TestAccountPostsQueryPlan(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)
	for range 50 {
		createOwnerPost(t, s, owner, Public)
	}
	var path string
	if err := s.r.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&path); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path, true)

	base := `SELECT ` + postCols + ` FROM posts WHERE account_id = ? AND id < ? AND id > ? AND deleted_at = 0`
	for _, tc := range []struct {
		name  string
		query string
	}{
		{"newest first", base + ` ORDER BY id DESC LIMIT ?`},
		{"newest first public only", base + ` AND visibility IN ('public', 'unlisted') ORDER BY id DESC LIMIT ?`},
		{"min id", base + ` ORDER BY id ASC LIMIT ?`},
		{"count", `SELECT count(*) FROM posts WHERE account_id = ? AND deleted_at = 0`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []any{owner.ID, int64(1<<63 - 1), 0, 20}[:strings.Count(tc.query, "?")]
			joined := storetest.QueryPlan(t, db, tc.query, args...)
			if !strings.Contains(joined, "posts_account") {
				t.Errorf("plan does not use posts_account:\n%s", joined)
			}
			if strings.Contains(joined, "USE TEMP B-TREE") {
				t.Errorf("plan sorts in a temporary b-tree:\n%s", joined)
			}
		})
	}
}

func BenchmarkCreatePost(b *testing.B) {
	s := openStore(b, filepath.Join(b.TempDir(), "roost.db"))
	ctx := context.Background()
	owner := createOwner(b, s)
	inboxes := []string{"https://a.example/inbox", "https://b.example/inbox", "https://c.example/users/c/inbox"}
	for b.Loop() {
		id := s.NewID()
		p := &Post{ID: id, IRI: fmt.Sprintf("%s/statuses/%d", owner.IRI, id), AccountID: owner.ID,
			Visibility: Public, Content: "<p>benchmark</p>", Source: "benchmark", Published: s.Now()}
		if err := s.CreatePost(ctx, p, NewPost{}, createOutgoing(p, inboxes...)); err != nil {
			b.Fatal(err)
		}
	}
}
