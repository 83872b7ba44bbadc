package access

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"

	"roost/store"
)

// pushToken stores an app and an owner token of it, returning the token.
func pushToken(t *testing.T, s *Store, name string) *Token {
	t.Helper()
	ctx := context.Background()
	app := &App{ClientID: "client-" + name, SecretHash: "s", Name: name, RedirectURIs: []string{"urn:ietf:wg:oauth:2.0:oob"}, Scopes: []string{"push"}}
	if err := s.CreateApp(ctx, app); err != nil {
		t.Fatal(err)
	}
	tok := &Token{TokenHash: "hash-" + name, RefreshHash: "refresh-" + name, AppID: app.ID, Scopes: []string{"push"}, Owner: true}
	if err := s.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	return tok
}

func subscribe(t *testing.T, s *Store, tok *Token, endpoint string, policy string, alerts ...string) *PushSubscription {
	t.Helper()
	p := &PushSubscription{TokenID: tok.ID, Endpoint: endpoint, P256dh: "BPkey", Auth: "auth", Alerts: alerts, Policy: policy, Standard: true}
	if err := s.PutPushSubscription(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPushSubscriptionIsOnePerTokenAndGoesWithIt: creating a subscription again replaces the
// token's one; alerts and policy update; revoking the token removes its subscription, refreshing
// it keeps the subscription on the new token; a token that does not exist gets none.
func TestPushSubscriptionIsOnePerTokenAndGoesWithIt(t *testing.T) {
	ctx := context.Background()
	s := newTestAuth(t)
	tok := pushToken(t, s, "ivory")
	subscribe(t, s, tok, "https://push.example/1", "", "mention")
	second := subscribe(t, s, tok, "https://push.example/2", PushFollowed, "mention", "follow")
	got, err := s.PushSubscriptionByToken(ctx, tok.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != second.ID || got.Endpoint != "https://push.example/2" || got.Policy != PushFollowed ||
		!slices.Equal(got.Alerts, []string{"mention", "follow"}) || !got.Standard || got.P256dh != "BPkey" || got.Auth != "auth" {
		t.Errorf("after a second create: %+v", got)
	}

	updated, err := s.UpdatePushAlerts(ctx, tok.ID, []string{"favourite"}, PushNone)
	if err != nil || updated.Policy != PushNone || !slices.Equal(updated.Alerts, []string{"favourite"}) || updated.Endpoint != got.Endpoint {
		t.Errorf("UpdatePushAlerts = %+v, %v", updated, err)
	}

	fresh := &Token{TokenHash: "hash-refreshed", AppID: tok.AppID, Scopes: tok.Scopes, Owner: true}
	if err := s.RotateToken(ctx, tok.ID, fresh); err != nil {
		t.Fatal(err)
	}
	if p, err := s.PushSubscriptionByToken(ctx, fresh.ID); err != nil || p.Endpoint != "https://push.example/2" {
		t.Errorf("after a refresh: %+v, %v; want the subscription on the new token", p, err)
	}

	if err := s.RevokeToken(ctx, fresh.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PushSubscriptionByToken(ctx, fresh.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after revoking the token: %v, want store.ErrNotFound", err)
	}
	if _, err := s.UpdatePushAlerts(ctx, fresh.ID, nil, ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("updating a removed subscription: %v, want store.ErrNotFound", err)
	}
	if err := s.PutPushSubscription(ctx, &PushSubscription{TokenID: fresh.ID, Endpoint: "https://push.example/3"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("subscribing with a revoked token: %v, want store.ErrNotFound", err)
	}
}

// TestPushKeyIsStoredOnce: the first key offered is kept; later ones are ignored.
func TestPushKeyIsStoredOnce(t *testing.T) {
	ctx := context.Background()
	s := newTestAuth(t)
	first, err := s.PushKey(ctx, []byte("first key"))
	if err != nil || !bytes.Equal(first, []byte("first key")) {
		t.Fatalf("PushKey = %q, %v", first, err)
	}
	if again, err := s.PushKey(ctx, []byte("second key")); err != nil || !bytes.Equal(again, first) {
		t.Errorf("second PushKey = %q, %v; want the first", again, err)
	}
}
