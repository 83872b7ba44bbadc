package lists

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"roost/store"
	"roost/store/storetest"
)

// follow makes the owner follow a, accepted.
func followAccepted(t *testing.T, s *testDB, owner, a *store.Account) {
	t.Helper()
	ctx := context.Background()
	f := &store.Follow{IRI: owner.IRI + "/follows/" + a.Username, FollowerID: owner.ID, FolloweeID: a.ID}
	if err := s.FollowAccount(ctx, f, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SetFollowState(ctx, f.ID, store.Accepted, nil); err != nil {
		t.Fatal(err)
	}
}

func entryPosts(es []store.Entry) []int64 {
	var out []int64
	for _, e := range es {
		out = append(out, e.PostID)
	}
	return out
}

func TestListMembersMustBeFollowed(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)
	bob := addRemote(t, s, "bob", "b.example")
	carol := addRemote(t, s, "carol", "c.example")
	followAccepted(t, s, owner, bob)
	l := &List{Title: "friends", RepliesPolicy: RepliesList}
	if err := s.CreateList(ctx, l); err != nil {
		t.Fatal(err)
	}
	if err := s.AddListAccounts(ctx, l.ID, owner.ID, []int64{bob.ID, carol.ID}); !errors.Is(err, ErrNotFollowed) {
		t.Fatalf("adding a non-followed account = %v, want ErrNotFollowed", err)
	}
	if items, _ := s.ListAccounts(ctx, l.ID, store.Page{}); len(items) != 0 {
		t.Fatalf("a refused add left %d members", len(items))
	}
	if err := s.AddListAccounts(ctx, l.ID, owner.ID, []int64{bob.ID}); err != nil {
		t.Fatal(err)
	}
	items, err := s.ListAccounts(ctx, l.ID, store.Page{})
	if err != nil || len(items) != 1 || items[0].Account.ID != bob.ID {
		t.Fatalf("members = %v, %v; want bob", items, err)
	}
	if ls, _ := s.ListsWithAccount(ctx, bob.ID); len(ls) != 1 || ls[0].ID != l.ID {
		t.Fatalf("lists with bob = %v", ls)
	}
	if err := s.DeleteList(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ListByID(ctx, l.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted list = %v", err)
	}
	if ls, _ := s.ListsWithAccount(ctx, bob.ID); len(ls) != 0 {
		t.Fatalf("a deleted list keeps members: %v", ls)
	}
}

func TestListTimelineRepliesPolicy(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)
	bob := addRemote(t, s, "bob", "b.example")
	carol := addRemote(t, s, "carol", "c.example")
	dave := addRemote(t, s, "dave", "d.example")
	followAccepted(t, s, owner, bob)
	followAccepted(t, s, owner, carol)
	l := &List{Title: "bob", RepliesPolicy: RepliesList}
	if err := s.CreateList(ctx, l); err != nil {
		t.Fatal(err)
	}
	if err := s.AddListAccounts(ctx, l.ID, owner.ID, []int64{bob.ID}); err != nil {
		t.Fatal(err)
	}
	n := 0
	post := func(a *store.Account, parent *store.Post) *store.Post {
		n++
		clock.Add(time.Second)
		p := remotePost(a, fmt.Sprintf("https://%s/notes/%d", a.Host, n), clock.Now())
		if parent != nil {
			p.InReplyTo = parent.IRI
		}
		if err := s.InsertRemotePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bobTop := post(bob, nil)
	carolTop := post(carol, nil)
	daveTop := post(dave, nil)
	toSelf := post(bob, bobTop)
	toCarol := post(bob, carolTop) // carol is followed, not a member
	toDave := post(bob, daveTop)   // dave is neither
	for _, tc := range []struct {
		policy string
		want   []int64
	}{
		{RepliesNone, []int64{toSelf.ID, bobTop.ID}},
		{RepliesList, []int64{toSelf.ID, bobTop.ID}},
		{RepliesFollowed, []int64{toCarol.ID, toSelf.ID, bobTop.ID}},
	} {
		l.RepliesPolicy = tc.policy
		got, err := s.ListTimeline(ctx, l, owner.ID, store.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(entryPosts(got), tc.want) {
			t.Errorf("%s: list timeline = %v, want %v (dave's reply %d never)", tc.policy, entryPosts(got), tc.want, toDave.ID)
		}
	}
	// A reply to a member shows with the list policy once its parent's author is a member.
	if err := s.AddListAccounts(ctx, l.ID, owner.ID, []int64{carol.ID}); err != nil {
		t.Fatal(err)
	}
	l.RepliesPolicy = RepliesList
	got, _ := s.ListTimeline(ctx, l, owner.ID, store.Page{})
	if want := []int64{toCarol.ID, toSelf.ID, carolTop.ID, bobTop.ID}; !slices.Equal(entryPosts(got), want) {
		t.Errorf("list policy with carol a member = %v, want %v", entryPosts(got), want)
	}
	// Paging: the newest first, one at a time.
	page, _ := s.ListTimeline(ctx, l, owner.ID, store.Page{Limit: 1, MaxID: toSelf.ID})
	if !slices.Equal(entryPosts(page), []int64{carolTop.ID}) {
		t.Errorf("page below %d = %v, want carol's post", toSelf.ID, entryPosts(page))
	}
}

func TestExclusiveListKeepsMembersOutOfHome(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)
	bob := addRemote(t, s, "bob", "b.example")
	followAccepted(t, s, owner, bob)
	clock.Add(time.Second)
	p := remotePost(bob, "https://b.example/notes/1", clock.Now())
	if err := s.InsertRemotePost(ctx, p, nil); err != nil {
		t.Fatal(err)
	}
	l := &List{Title: "bob", RepliesPolicy: RepliesList, Exclusive: true}
	if err := s.CreateList(ctx, l); err != nil {
		t.Fatal(err)
	}
	if err := s.AddListAccounts(ctx, l.ID, owner.ID, []int64{bob.ID}); err != nil {
		t.Fatal(err)
	}
	if home, _ := s.HomeTimeline(ctx, owner.ID, store.Page{}); len(home) != 0 {
		t.Errorf("home shows a member of an exclusive list: %v", entryPosts(home))
	}
	l.Exclusive = false
	if err := s.UpdateList(ctx, l); err != nil {
		t.Fatal(err)
	}
	if home, _ := s.HomeTimeline(ctx, owner.ID, store.Page{}); !slices.Equal(entryPosts(home), []int64{p.ID}) {
		t.Errorf("home without exclusive = %v, want bob's post", entryPosts(home))
	}
}

// A list's timeline walks posts and boosts by primary key, as home does, never sorting them.
func TestListTimelineQueryPlans(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)
	bob := addRemote(t, s, "bob", "b.example")
	followAccepted(t, s, owner, bob)
	for i := range 200 {
		p := remotePost(bob, fmt.Sprintf("https://b.example/notes/%d", i), time.Now().Add(-time.Duration(i)*time.Minute))
		if err := s.InsertRemotePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
	}
	l := &List{Title: "bob", RepliesPolicy: RepliesList}
	if err := s.CreateList(ctx, l); err != nil {
		t.Fatal(err)
	}
	if err := s.AddListAccounts(ctx, l.ID, owner.ID, []int64{bob.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Writer().ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	max := int64(1<<63 - 1)
	queries := map[string]struct {
		query string
		args  []any
	}{
		"boosts newest first": {listBoostsSQL("DESC"), []any{l.ID, max, 0, 20, owner.ID}},
	}
	for _, policy := range []string{RepliesFollowed, RepliesList, RepliesNone} {
		for _, ord := range []string{"DESC", "ASC"} {
			queries[policy+" "+ord] = struct {
				query string
				args  []any
			}{listPostsSQL(policy, ord), []any{l.ID, max, 0, 20, owner.ID}}
		}
	}
	for name, q := range queries {
		t.Run(name, func(t *testing.T) {
			plan := storetest.QueryPlan(t, s.r, q.query, q.args...)
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
		})
	}
}

// Unfollowing a member takes it out of every list, as Mastodon does.
func TestUnfollowLeavesLists(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)
	bob := addRemote(t, s, "bob", "b.example")
	followAccepted(t, s, owner, bob)
	l := &List{Title: "bob", RepliesPolicy: RepliesList}
	if err := s.CreateList(ctx, l); err != nil {
		t.Fatal(err)
	}
	if err := s.AddListAccounts(ctx, l.ID, owner.ID, []int64{bob.ID}); err != nil {
		t.Fatal(err)
	}
	f, err := s.FollowBetween(ctx, owner.ID, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveFollow(ctx, f.ID, nil); err != nil {
		t.Fatal(err)
	}
	if items, _ := s.ListAccounts(ctx, l.ID, store.Page{}); len(items) != 0 {
		t.Errorf("an unfollowed account stays in the list: %d members", len(items))
	}
}

// A list's timeline takes the owner's options on their follow of a member, as home does (and
// Mastodon's list feeds): boosts hidden stay out, and posts in languages not chosen.
func TestListTimelineFollowOptions(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)
	bob := addRemote(t, s, "bob", "b.example")
	followAccepted(t, s, owner, bob)
	l := &List{Title: "bob", RepliesPolicy: RepliesList}
	if err := s.CreateList(ctx, l); err != nil {
		t.Fatal(err)
	}
	if err := s.AddListAccounts(ctx, l.ID, owner.ID, []int64{bob.ID}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Add(-time.Hour)
	en := remotePost(bob, "https://b.example/notes/en", now)
	en.Language = "en"
	de := remotePost(bob, "https://b.example/notes/de", now.Add(time.Minute))
	de.Language = "de"
	for _, p := range []*store.Post{en, de} {
		if err := s.InsertRemotePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
	}
	b := &store.Reaction{IRI: "https://b.example/boosts/1", AccountID: bob.ID, PostID: en.ID, Visibility: store.Public}
	if err := s.AddBoost(ctx, b, nil); err != nil {
		t.Fatal(err)
	}
	entries := func() []int64 {
		t.Helper()
		es, err := s.ListTimeline(ctx, l, owner.ID, store.Page{Limit: 20})
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, e := range es {
			out = append(out, e.ID)
		}
		slices.Sort(out)
		return out
	}
	if got, want := entries(), sortedIDs(b.ID, de.ID, en.ID); !slices.Equal(got, want) {
		t.Fatalf("list with the default options = %v, want %v (the boost and both posts)", got, want)
	}
	f, err := s.FollowBetween(ctx, owner.ID, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetFollowOptions(ctx, f.ID, store.FollowOptions{HideReblogs: true, Languages: []string{"de"}}); err != nil {
		t.Fatal(err)
	}
	if got, want := entries(), []int64{de.ID}; !slices.Equal(got, want) {
		t.Errorf("list with boosts hidden and languages [de] = %v, want %v", got, want)
	}
}

func sortedIDs(ids ...int64) []int64 {
	slices.Sort(ids)
	return ids
}
