package access

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"roost/store"
	"roost/store/sqlite"
)

// Push alert types, as Mastodon names them in a push subscription's alerts.
var PushAlerts = []string{"mention", "status", "reblog", "follow", "follow_request", "favourite",
	"poll", "update", "admin.sign_up", "admin.report"}

// Push policies: whose notifications are pushed.
const (
	PushAll      = "all"
	PushFollowed = "followed" // from accounts the owner follows
	PushFollower = "follower" // from the owner's followers
	PushNone     = "none"
)

// PushSubscription is a Web Push subscription an app made with one access token.
type PushSubscription struct {
	ID       int64
	TokenID  int64 // the oauth_tokens row: revoking the token removes the subscription
	Endpoint string
	P256dh   string   // the user agent's public key, base64url
	Auth     string   // its authentication secret, base64url
	Alerts   []string // the notification types pushed, from PushAlerts
	Policy   string   // PushAll, PushFollowed, PushFollower or PushNone
	Standard bool     // RFC 8291 aes128gcm (true) or the legacy aesgcm draft
	// AccessToken is the token the subscription was made with, which Mastodon's push payload
	// repeats so that an app signed in to several accounts knows whose notification it is.
	AccessToken string
	CreatedAt   time.Time
}

const pushCols = `id, token_id, endpoint, p256dh, auth, alerts, policy, standard, created_at`

// pushSelect reads pushCols and the subscription's access token.
const pushSelect = `SELECT ` + pushCols + `,
	ifnull((SELECT access_token FROM push_tokens t WHERE t.subscription_id = push_subscriptions.id), '')
	FROM push_subscriptions`

func scanPush(row sqlite.Scanner) (*PushSubscription, error) {
	var p PushSubscription
	var alerts string
	var created int64
	err := row.Scan(&p.ID, &p.TokenID, &p.Endpoint, &p.P256dh, &p.Auth, &alerts, &p.Policy, &p.Standard, &created, &p.AccessToken)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(alerts), &p.Alerts); err != nil {
		return nil, fmt.Errorf("push subscription %d alerts: %w", p.ID, err)
	}
	p.CreatedAt = sqlite.Time(created)
	return &p, nil
}

func alertsJSON(alerts []string) (string, error) {
	if alerts == nil {
		alerts = []string{}
	}
	b, err := json.Marshal(alerts)
	return string(b), err
}

// PutPushSubscription stores p as the subscription of its token, replacing the one the token had
// and the pushes still queued for it (Mastodon: creating a subscription replaces the current one).
// It fills in p's ID and CreatedAt; an empty Policy is PushAll. A token that does not exist is
// store.ErrNotFound.
func (s *Store) PutPushSubscription(ctx context.Context, p *PushSubscription) error {
	if p.Policy == "" {
		p.Policy = PushAll
	}
	alerts, err := alertsJSON(p.Alerts)
	if err != nil {
		return err
	}
	p.ID, p.CreatedAt = s.st.NewID(), sqlite.Time(s.nowMS())
	err = s.db.Write(ctx, func(tx *sqlite.Tx) error {
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM oauth_tokens WHERE id = ?)`, p.TokenID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return store.ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM push_subscriptions WHERE token_id = ?`, p.TokenID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO push_subscriptions (`+pushCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.ID, p.TokenID, p.Endpoint, p.P256dh, p.Auth, alerts, p.Policy, p.Standard, p.CreatedAt.UnixMilli()); err != nil {
			return err
		}
		if p.AccessToken == "" {
			return nil
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO push_tokens (subscription_id, access_token) VALUES (?, ?)`, p.ID, p.AccessToken)
		return err
	})
	if err != nil {
		return fmt.Errorf("put push subscription: %w", err)
	}
	return nil
}

// PushSubscriptionByToken returns the subscription of an access token, or store.ErrNotFound.
func (s *Store) PushSubscriptionByToken(ctx context.Context, tokenID int64) (*PushSubscription, error) {
	return scanPush(s.r.QueryRowContext(ctx, pushSelect+` WHERE token_id = ?`, tokenID))
}

// PushSubscriptionByID returns a subscription by its ID, or store.ErrNotFound.
func (s *Store) PushSubscriptionByID(ctx context.Context, id int64) (*PushSubscription, error) {
	return scanPush(s.r.QueryRowContext(ctx, pushSelect+` WHERE id = ?`, id))
}

// UpdatePushAlerts replaces the alerts and policy of a token's subscription (PUT
// /api/v1/push/subscription) and returns it; store.ErrNotFound when the token has none.
func (s *Store) UpdatePushAlerts(ctx context.Context, tokenID int64, alerts []string, policy string) (*PushSubscription, error) {
	if policy == "" {
		policy = PushAll
	}
	js, err := alertsJSON(alerts)
	if err != nil {
		return nil, err
	}
	err = s.db.Write(ctx, func(tx *sqlite.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE push_subscriptions SET alerts = ?, policy = ? WHERE token_id = ?`, js, policy, tokenID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update push alerts: %w", err)
	}
	return scanPush(s.r.QueryRowContext(ctx, pushSelect+` WHERE token_id = ?`, tokenID))
}

// DeletePushSubscription removes a token's subscription; none is not an error (Mastodon answers
// DELETE with {} either way).
func (s *Store) DeletePushSubscription(ctx context.Context, tokenID int64) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM push_subscriptions WHERE token_id = ?`, tokenID)
		return err
	})
}

// DeletePushSubscriptionByEndpoint removes the subscriptions of an endpoint the push service
// called gone (404 or 410: the app was uninstalled or the subscription expired).
func (s *Store) DeletePushSubscriptionByEndpoint(ctx context.Context, endpoint string) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM push_subscriptions WHERE endpoint = ?`, endpoint)
		return err
	})
}

// pushKeySecret is the name under secrets of the VAPID private key.
const pushKeySecret = "vapid_key"

// PushKey returns the stored VAPID private key, storing fresh as that key first if there is none:
// the key is made once, at first start, and kept for the life of the database (apps subscribed
// with its public half).
func (s *Store) PushKey(ctx context.Context, fresh []byte) ([]byte, error) {
	var key []byte
	err := s.db.Write(ctx, func(tx *sqlite.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
			pushKeySecret, fresh); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, pushKeySecret).Scan(&key)
	})
	if err != nil {
		return nil, fmt.Errorf("push key: %w", err)
	}
	return key, nil
}
