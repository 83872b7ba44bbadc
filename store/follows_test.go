package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"
)

func notificationTypes(tb testing.TB, s *Store, accountID int64) []string {
	tb.Helper()
	ns, err := s.Notifications(context.Background(), nil, Page{Limit: 200})
	if err != nil {
		tb.Fatalf("Notifications: %v", err)
	}
	var types []string
	for _, n := range ns {
		if n.AccountID == accountID {
			types = append(types, n.Type)
		}
	}
	slices.Sort(types)
	return types
}

func TestAddFollower(t *testing.T) {
	for _, tc := range []struct {
		name  string
		state string
		kind  string
	}{
		{"accepted", Accepted, "follow"},
		{"pending", Pending, "follow_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newTestStore(t)
			ctx := context.Background()
			owner := createOwner(t, s)
			bob := addRemote(t, s, "bob", "b.example", false)

			accept := &Outgoing{IRI: "https://roost.example/accepts/1", Type: "Accept", Body: []byte(`{}`),
				Inboxes: []string{bob.Inbox}}
			f := &Follow{IRI: "https://b.example/follows/1", FollowerID: bob.ID, FolloweeID: owner.ID, State: tc.state}
			created, err := s.AddFollower(ctx, f, accept, Notice{Type: tc.kind, AccountID: bob.ID})
			if err != nil {
				t.Fatal(err)
			}
			if !created || f.ID == 0 {
				t.Errorf("AddFollower = %v with ID %d, want a new relation", created, f.ID)
			}
			if got := notificationTypes(t, s, bob.ID); !slices.Equal(got, []string{tc.kind}) {
				t.Errorf("notifications = %q, want [%s]", got, tc.kind)
			}
			if n := count(t, s, `SELECT count(*) FROM deliveries WHERE activity_id = ?`, accept.ID); n != 1 {
				t.Errorf("Accept deliveries = %d, want 1", n)
			}

			// Mastodon resends Follow with a new id; it stays one relation and one notification.
			again := &Follow{IRI: "https://b.example/follows/2", FollowerID: bob.ID, FolloweeID: owner.ID, State: tc.state}
			created, err = s.AddFollower(ctx, again, nil, Notice{Type: "follow", AccountID: bob.ID})
			if err != nil {
				t.Fatal(err)
			}
			if created || again.ID != f.ID {
				t.Errorf("repeated Follow: created %v ID %d, want the existing %d", created, again.ID, f.ID)
			}
			if n := count(t, s, `SELECT count(*) FROM follows`); n != 1 {
				t.Errorf("follows = %d, want 1", n)
			}
			got, err := s.FollowBetween(ctx, bob.ID, owner.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.IRI != again.IRI || got.State != tc.state {
				t.Errorf("follow = %+v, want the newest IRI and state %s", got, tc.state)
			}
			if byIRI, err := s.FollowByIRI(ctx, again.FollowerID, again.IRI); err != nil || byIRI.ID != f.ID {
				t.Errorf("FollowByIRI(new IRI) = %v, %v", byIRI, err)
			}
			if got := notificationTypes(t, s, bob.ID); !slices.Equal(got, []string{tc.kind}) {
				t.Errorf("notifications after a repeated Follow = %q, want only the first, [%s]", got, tc.kind)
			}
		})
	}
}

// An accepted follower who sends Follow again while the owner now approves by hand stays accepted.
func TestAddFollowerKeepsAccepted(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)
	bob := addRemote(t, s, "bob", "b.example", false)
	if _, err := s.AddFollower(ctx, &Follow{IRI: "https://b.example/follows/1", FollowerID: bob.ID,
		FolloweeID: owner.ID, State: Accepted}, nil); err != nil {
		t.Fatal(err)
	}
	f := &Follow{IRI: "https://b.example/follows/2", FollowerID: bob.ID, FolloweeID: owner.ID, State: Pending}
	if _, err := s.AddFollower(ctx, f, nil); err != nil {
		t.Fatal(err)
	}
	if f.State != Accepted {
		t.Errorf("returned state = %s, want accepted", f.State)
	}
	if ok, err := s.IsFollowing(ctx, bob.ID, owner.ID); err != nil || !ok {
		t.Errorf("IsFollowing = %v, %v; want true", ok, err)
	}
}

func TestFollowerInboxes(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)
	followers := []struct {
		name, host string
		shared     bool
		state      string
	}{
		{"b1", "b.example", true, Accepted},
		{"b2", "b.example", true, Accepted}, // same server, same shared inbox
		{"c1", "c.example", false, Accepted},
		{"c2", "c.example", false, Accepted}, // no shared inbox: one POST each
		{"d1", "d.example", true, Pending},   // not yet a follower
	}
	for i, f := range followers {
		a := addRemote(t, s, f.name, f.host, f.shared)
		if _, err := s.AddFollower(ctx, &Follow{IRI: a.IRI + "/follows/" + string(rune('0'+i)), FollowerID: a.ID,
			FolloweeID: owner.ID, State: f.state}, nil); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.FollowerInboxes(ctx, owner.ID)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	want := []string{"https://b.example/inbox", "https://c.example/users/c1/inbox", "https://c.example/users/c2/inbox"}
	if !slices.Equal(got, want) {
		t.Errorf("FollowerInboxes = %q, want %q", got, want)
	}
	if n, _, err := s.CountFollows(ctx, owner.ID); err != nil || n != 4 {
		t.Errorf("CountFollows followers = %d, %v; want 4", n, err)
	}
	list, err := s.Followers(ctx, owner.ID, Accepted, Page{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].Account.Username != "c2" || list[0].Follow.ID <= list[1].Follow.ID {
		t.Errorf("Followers page = %+v, want 3 newest first starting with c2", list)
	}
}

// The owner's options on a follow: boosts hidden keep the account's boosts out of home; chosen
// languages keep out its posts in other known languages ("de" takes "de-AT", a post without a
// language shows); back to the defaults, all show again.
func TestFollowOptionsInHome(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)
	owner := createOwner(t, s)
	bob := addRemote(t, s, "bob", "b.example", false)
	carol := addRemote(t, s, "carol", "c.example", false)
	f := &Follow{IRI: owner.IRI + "/follows/bob", FollowerID: owner.ID, FolloweeID: bob.ID,
		FollowOptions: FollowOptions{HideReblogs: true, Notify: true, Languages: []string{"de"}}}
	if err := s.FollowAccount(ctx, f, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SetFollowState(ctx, f.ID, Accepted, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.FollowBetween(ctx, owner.ID, bob.ID)
	if err != nil || !got.HideReblogs || !got.Notify || !slices.Equal(got.Languages, []string{"de"}) {
		t.Fatalf("stored follow = %+v, %v; want boosts hidden, notify, languages [de]", got, err)
	}
	now := time.Now().Add(-time.Hour)
	posts := map[int64]string{}
	for i, lang := range []string{"en", "de-AT", "", "DE"} {
		p := remotePost(bob, fmt.Sprintf("https://b.example/notes/%d", i), now.Add(time.Duration(i)*time.Minute))
		p.Language = lang
		if err := s.InsertRemotePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		posts[p.ID] = "post in " + strconv.Quote(lang)
	}
	boosted := remotePost(carol, "https://c.example/notes/1", now)
	if err := s.InsertRemotePost(ctx, boosted, nil); err != nil {
		t.Fatal(err)
	}
	b := &Reaction{IRI: "https://b.example/boosts/1", AccountID: bob.ID, PostID: boosted.ID, Visibility: Public}
	if err := s.AddBoost(ctx, b, nil); err != nil {
		t.Fatal(err)
	}
	posts[b.ID] = "boost"
	home := func() []string {
		t.Helper()
		entries, err := s.HomeTimeline(ctx, owner.ID, Page{Limit: 40})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			out = append(out, posts[e.ID])
		}
		slices.Sort(out)
		return out
	}
	if got, want := home(), []string{`post in ""`, `post in "DE"`, `post in "de-AT"`}; !slices.Equal(got, want) {
		t.Errorf("home with boosts hidden and languages [de] = %q, want %q", got, want)
	}
	if err := s.SetFollowOptions(ctx, f.ID, FollowOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, want := home(), []string{"boost", `post in ""`, `post in "DE"`, `post in "de-AT"`, `post in "en"`}; !slices.Equal(got, want) {
		t.Errorf("home with the default options = %q, want %q", got, want)
	}
	if got, _ := s.FollowBetween(ctx, owner.ID, bob.ID); got.Languages != nil || got.HideReblogs || got.Notify {
		t.Errorf("after the defaults: %+v", got.FollowOptions)
	}
}
