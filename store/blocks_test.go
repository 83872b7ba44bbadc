package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestDomainBlocked(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	for _, h := range []string{"Example.COM.", "bad.test"} {
		if err := s.BlockDomain(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		host string
		want bool
	}{
		{"example.com", true},
		{"EXAMPLE.com", true},
		{"example.com.", true},
		{"a.example.com", true},
		{"x.y.a.example.com", true},
		// The port is not part of the domain: a host with a port is judged by its name.
		{"example.com:443", true},
		{"a.example.com:8443", true},
		{"notexample.com", false},
		{"example.com.evil", false},
		{"com", false},
		{"example.org", false},
		{"bad.test", true},
		{"[::1]:443", false},
		{"", false},
	} {
		t.Run(tc.host, func(t *testing.T) {
			got, err := s.DomainBlocked(ctx, tc.host)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("DomainBlocked(%q) = %v, want %v", tc.host, got, tc.want)
			}
		})
	}
}

// Blocking a domain ends follow relations with its accounts, subdomains included.
func TestBlockDomainEndsFollows(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)
	sub := addRemote(t, s, "a", "social.example.com", false)
	other := addRemote(t, s, "n", "notexample.com", false)
	for i, a := range []*Account{sub, other} {
		if _, err := s.AddFollower(ctx, &Follow{IRI: fmt.Sprintf("https://f.example/%d", i), FollowerID: a.ID,
			FolloweeID: owner.ID, State: Accepted}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.BlockDomain(ctx, "example.com"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.IsFollowing(ctx, sub.ID, owner.ID); ok {
		t.Error("follower on a blocked subdomain still follows")
	}
	if ok, _ := s.IsFollowing(ctx, other.ID, owner.ID); !ok {
		t.Error("follower on notexample.com lost their follow")
	}
}

func TestBlockEndsFollowsBothWays(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)
	bob := addRemote(t, s, "bob", "b.example", false)
	carol := addRemote(t, s, "carol", "c.example", false)
	for _, a := range []*Account{bob, carol} {
		if _, err := s.AddFollower(ctx, &Follow{IRI: a.IRI + "/follow", FollowerID: a.ID, FolloweeID: owner.ID,
			State: Accepted}, nil); err != nil {
			t.Fatal(err)
		}
		f := &Follow{IRI: owner.IRI + "/follows/" + a.Username, FollowerID: owner.ID, FolloweeID: a.ID}
		if err := s.FollowAccount(ctx, f, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.SetFollowState(ctx, f.ID, Accepted, nil); err != nil {
			t.Fatal(err)
		}
	}

	for _, tc := range []struct {
		name    string
		who     *Account
		byOwner bool
	}{
		{"owner blocks bob", bob, true},
		{"carol blocks the owner", carol, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out *Outgoing
			if tc.byOwner {
				out = &Outgoing{IRI: owner.IRI + "/blocks/1", Type: "Block", Body: []byte(`{}`), Inboxes: []string{tc.who.Inbox}}
			}
			if err := s.Block(ctx, tc.who.ID, tc.byOwner, tc.who.IRI+"/block", out); err != nil {
				t.Fatal(err)
			}
			if _, err := s.FollowBetween(ctx, tc.who.ID, owner.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("their follow of the owner: err = %v, want ErrNotFound", err)
			}
			if _, err := s.FollowBetween(ctx, owner.ID, tc.who.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("the owner's follow of them: err = %v, want ErrNotFound", err)
			}
			blocked, err := s.Blocked(ctx, tc.who.ID)
			if err != nil {
				t.Fatal(err)
			}
			if blocked != tc.byOwner {
				t.Errorf("Blocked = %v, want %v", blocked, tc.byOwner)
			}
		})
	}
	if followers, following, err := s.CountFollows(ctx, owner.ID); err != nil || followers != 0 || following != 0 {
		t.Errorf("CountFollows after blocks = %d, %d, %v", followers, following, err)
	}
	if err := s.Unblock(ctx, bob.ID, true, nil); err != nil {
		t.Fatal(err)
	}
	if blocked, _ := s.Blocked(ctx, bob.ID); blocked {
		t.Error("still blocked after Unblock")
	}
}
