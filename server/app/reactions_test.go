package app

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"roost/server/activitypub"
	"roost/store"
)

// TestReactions: the owner's likes and boosts, given and withdrawn, through the one reaction path:
// a like goes to the author alone, a boost to everyone and the owner's followers; each is
// refused when its state already holds, and a boost of a post not everyone may see is refused.
func TestReactions(t *testing.T) {
	ctx := context.Background()
	s := newTestApp(t)
	bob := remoteAccount(t, s, "bob", "b.example")
	p := remotePost(t, s, bob, "https://b.example/notes/1", store.Public)
	private := remotePost(t, s, bob, "https://b.example/notes/2", store.Private)

	activity := func(t *testing.T, of func(context.Context, int64, int64) (*store.Reaction, error)) (*store.Activity, map[string]any) {
		t.Helper()
		r, err := of(ctx, s.Owner.Account.ID, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.st.ActivityByIRI(ctx, r.IRI)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(a.Body, &doc); err != nil {
			t.Fatal(err)
		}
		return a, doc
	}
	addressed := func(doc map[string]any, field, iri string) bool {
		l, _ := doc[field].([]any)
		return slices.Contains(l, any(iri))
	}

	if _, err := s.Like(ctx, p.IRI); err != nil {
		t.Fatal(err)
	}
	a, doc := activity(t, s.st.LikeOf)
	if a.Type != "Like" || a.Public || !addressed(doc, "to", bob.IRI) || addressed(doc, "to", activitypub.Public) {
		t.Errorf("like: %s public=%v to %v", a.Type, a.Public, doc["to"])
	}
	if _, err := s.Like(ctx, p.IRI); !errors.Is(err, ErrAlreadyLiked) {
		t.Errorf("second like: %v, want ErrAlreadyLiked", err)
	}
	if _, err := s.Unlike(ctx, p.IRI); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Unlike(ctx, p.IRI); !errors.Is(err, ErrNotLiked) {
		t.Errorf("second unlike: %v, want ErrNotLiked", err)
	}

	if _, err := s.Boost(ctx, p.IRI); err != nil {
		t.Fatal(err)
	}
	a, doc = activity(t, s.st.BoostOf)
	if a.Type != "Announce" || !a.Public || a.PostID != p.ID || !addressed(doc, "to", activitypub.Public) ||
		!addressed(doc, "cc", s.Owner.Account.FollowersURL) || !addressed(doc, "cc", bob.IRI) {
		t.Errorf("boost: %s public=%v post %d to %v cc %v", a.Type, a.Public, a.PostID, doc["to"], doc["cc"])
	}
	if _, err := s.Boost(ctx, p.IRI); !errors.Is(err, ErrAlreadyBoosted) {
		t.Errorf("second boost: %v, want ErrAlreadyBoosted", err)
	}
	if _, err := s.Unboost(ctx, p.IRI); err != nil {
		t.Fatal(err)
	}
	if _, err := s.st.BoostOf(ctx, s.Owner.Account.ID, p.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("boost after unboost: %v, want ErrNotFound", err)
	}

	_, err := s.Boost(ctx, private.IRI)
	if kind, msg := ErrorOf(err); kind != Invalid || msg == "" {
		t.Errorf("boost of a followers-only post: %v (kind %v), want Invalid with a message", err, kind)
	}
}
