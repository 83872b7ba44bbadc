package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Owner is the one local account with its secrets.
type Owner struct {
	Account        *Account
	PrivateKeyPEM  string // the owner's RSA key (PKCS#8 PEM)
	InstanceKeyPEM string // the instance actor's RSA key, used to sign fetches
	PasswordHash   string
}

// Owner returns the local account and its keys, or ErrNotFound before the first run set it up.
func (s *Store) Owner(ctx context.Context) (*Owner, error) {
	var o Owner
	var accountID int64
	err := s.r.QueryRowContext(ctx, `SELECT account_id, private_key_pem, instance_key_pem, password_hash
		FROM owner WHERE id = 1`).Scan(&accountID, &o.PrivateKeyPEM, &o.InstanceKeyPEM, &o.PasswordHash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read owner: %w", err)
	}
	if o.Account, err = s.AccountByID(ctx, accountID); err != nil {
		return nil, fmt.Errorf("read owner account: %w", err)
	}
	return &o, nil
}

// CreateOwner writes the local account and its keys. It fails with ErrConflict when an owner exists.
func (s *Store) CreateOwner(ctx context.Context, a *Account, privateKeyPEM, instanceKeyPEM, passwordHash string) (*Owner, error) {
	now := s.nowMS()
	a.ID = s.NewID()
	err := s.tx(ctx, func(tx *wtx) error {
		tx.AfterCommit(s.keyAccounts.reset)
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM owner`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrConflict
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (id, iri, local, type, username, host, display_name,
			summary, url, inbox, shared_inbox, outbox, followers_url, following_url, key_id, public_key_pem,
			fields, also_known_as, locked, discoverable, indexable, published, fetched_at, created_at)
			VALUES (?, ?, 1, 'Person', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.IRI, a.Username, a.Host, a.DisplayName, a.Summary, a.URL, a.Inbox, a.SharedInbox, a.Outbox,
			a.FollowersURL, a.FollowingURL, a.KeyID, a.PublicKeyPEM, jsonText(a.Fields), jsonText(a.AlsoKnownAs),
			a.Locked, a.Discoverable, a.Indexable, now, now, now)
		if err != nil {
			return fmt.Errorf("insert owner account: %w", err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO owner (id, account_id, private_key_pem, instance_key_pem, password_hash)
			VALUES (1, ?, ?, ?, ?)`, a.ID, privateKeyPEM, instanceKeyPEM, passwordHash)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Owner(ctx)
}

// UpdateOwnerURLs rewrites the owner's IRIs, for when the configured domain changes.
func (s *Store) UpdateOwnerURLs(ctx context.Context, a *Account) error {
	return s.tx(ctx, func(tx *wtx) error {
		tx.AfterCommit(s.keyAccounts.reset)
		_, err := tx.ExecContext(ctx, `UPDATE accounts SET iri = ?, username = ?, host = ?, url = ?, inbox = ?,
			shared_inbox = ?, outbox = ?, followers_url = ?, following_url = ?, key_id = ? WHERE id = ? AND local = 1`,
			a.IRI, a.Username, a.Host, a.URL, a.Inbox, a.SharedInbox, a.Outbox, a.FollowersURL, a.FollowingURL,
			a.KeyID, a.ID)
		return err
	})
}

// ProfileSource is the owner's bio and profile fields as the owner typed them (the account holds
// the HTML made from them). Recorded is false for a profile last saved before sources were kept.
type ProfileSource struct {
	Bio      string // Markdown
	Fields   []Field
	Recorded bool
}

// OwnerProfileSource returns the bio and fields as the owner typed them.
func (s *Store) OwnerProfileSource(ctx context.Context) (ProfileSource, error) {
	var src ProfileSource
	var fields string
	err := s.r.QueryRowContext(ctx, `SELECT bio, fields FROM profile_source WHERE id = 1`).Scan(&src.Bio, &fields)
	if errors.Is(err, sql.ErrNoRows) {
		return src, nil
	}
	if err != nil {
		return src, fmt.Errorf("read profile source: %w", err)
	}
	if err := json.Unmarshal([]byte(fields), &src.Fields); err != nil {
		return src, fmt.Errorf("read profile fields source: %w", err)
	}
	src.Recorded = true
	return src, nil
}

// UpdateOwnerProfile saves the owner's editable profile: display name, bio, fields (their HTML in
// a, as typed in src), images and account flags. The activity (an Update of the actor) and its
// deliveries are written in the same transaction.
func (s *Store) UpdateOwnerProfile(ctx context.Context, a *Account, src ProfileSource, out *Outgoing) error {
	return s.tx(ctx, func(tx *wtx) error {
		tx.AfterCommit(s.keyAccounts.reset)
		_, err := tx.ExecContext(ctx, `UPDATE accounts SET display_name = ?, summary = ?, fields = ?, avatar_url = ?,
			header_url = ?, also_known_as = ?, locked = ?, discoverable = ?, indexable = ?, bot = ?, hide_network = ?,
			noindex = ?, noai = ? WHERE id = ? AND local = 1`,
			a.DisplayName, a.Summary, jsonText(a.Fields), a.AvatarURL, a.HeaderURL, jsonText(a.AlsoKnownAs),
			a.Locked, a.Discoverable, a.Indexable, a.Bot, a.HideNetwork, a.NoIndex, a.NoAI, a.ID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO profile_source (id, bio, fields) VALUES (1, ?, ?)
			ON CONFLICT (id) DO UPDATE SET bio = excluded.bio, fields = excluded.fields`,
			src.Bio, jsonText(src.Fields)); err != nil {
			return fmt.Errorf("save profile source: %w", err)
		}
		return s.enqueue(ctx, tx, out)
	})
}

// SetOwnerMovedTo records the account the owner moved to ("" for none), with the activities
// that tell followers (an Update of the actor, and a Move) in the same transaction.
func (s *Store) SetOwnerMovedTo(ctx context.Context, id int64, target string, outs ...*Outgoing) error {
	return s.tx(ctx, func(tx *wtx) error {
		tx.AfterCommit(s.keyAccounts.reset)
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET moved_to = ? WHERE id = ? AND local = 1`, target, id); err != nil {
			return err
		}
		for _, out := range outs {
			if err := s.enqueue(ctx, tx, out); err != nil {
				return err
			}
		}
		return nil
	})
}

// ChangePassword replaces the owner's password hash and, in the same transaction, signs out
// every session except keep (may be empty) and revokes every OAuth token and authorization
// code: nothing the old password let in stays in.
func (s *Store) ChangePassword(ctx context.Context, hash, keep string) error {
	return s.tx(ctx, func(tx *wtx) error {
		tx.AfterCommit(s.keyAccounts.reset)
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`UPDATE owner SET password_hash = ? WHERE id = 1`, []any{hash}},
			{`DELETE FROM sessions WHERE id != ?`, []any{keep}},
			{`DELETE FROM oauth_tokens`, nil},
			{`DELETE FROM oauth_codes`, nil},
		} {
			if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetPasswordHash replaces the owner's password hash.
func (s *Store) SetPasswordHash(ctx context.Context, hash string) error {
	return s.tx(ctx, func(tx *wtx) error {
		tx.AfterCommit(s.keyAccounts.reset)
		_, err := tx.ExecContext(ctx, `UPDATE owner SET password_hash = ? WHERE id = 1`, hash)
		return err
	})
}

// Secret returns the secret called name, making it of size random bytes the first time it is
// asked for. It stays the same for the life of the database (and its backups).
func (s *Store) Secret(ctx context.Context, name string, size int) ([]byte, error) {
	fresh := make([]byte, size)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("make secret %s: %w", name, err)
	}
	var value []byte
	err := s.tx(ctx, func(tx *wtx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
			name, fresh); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&value)
	})
	if err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	return value, nil
}

// ErrFederated means the owner's ids cannot change any more: other servers know them.
var ErrFederated = errors.New("other servers know this account's ids")

// federated says why other servers may know the owner's ids, or "" when nothing has left or
// reached this server yet: no follow either way, no delivery attempted or queued, nothing
// received in the inbox.
func federated(ctx context.Context, tx *wtx) (string, error) {
	for _, c := range []struct{ query, why string }{
		{`SELECT EXISTS (SELECT 1 FROM follows)`, "it has followers or follows accounts"},
		{`SELECT EXISTS (SELECT 1 FROM hosts)`, "activities were delivered to other servers"},
		{`SELECT EXISTS (SELECT 1 FROM deliveries)`, "activities are queued for other servers"},
		{`SELECT EXISTS (SELECT 1 FROM inbox) OR EXISTS (SELECT 1 FROM inbox_seen)`, "other servers sent it activities"},
	} {
		var yes bool
		if err := tx.QueryRowContext(ctx, c.query).Scan(&yes); err != nil {
			return "", err
		}
		if yes {
			return c.why, nil
		}
	}
	return "", nil
}

// ChangeOwnerBase moves the owner's ids from the base URL from (scheme://host[:port]) to to:
// the account's IRIs, and every id and link under from in the owner's posts, their edits and
// activities, and the owner's likes, boosts and blocks. a holds the account's new IRIs and handle
// host. It fails with ErrFederated, changing nothing, once another server may know the old ids.
func (s *Store) ChangeOwnerBase(ctx context.Context, from, to string, a *Account) error {
	return s.tx(ctx, func(tx *wtx) error {
		tx.AfterCommit(s.keyAccounts.reset)
		why, err := federated(ctx, tx)
		if err != nil {
			return err
		}
		if why != "" {
			return fmt.Errorf("%w: %s", ErrFederated, why)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET iri = ?, username = ?, host = ?, url = ?, inbox = ?,
			shared_inbox = ?, outbox = ?, followers_url = ?, following_url = ?, key_id = ? WHERE id = ? AND local = 1`,
			a.IRI, a.Username, a.Host, a.URL, a.Inbox, a.SharedInbox, a.Outbox, a.FollowersURL, a.FollowingURL,
			a.KeyID, a.ID); err != nil {
			return fmt.Errorf("owner account: %w", err)
		}
		// ?1 and ?2 are the two bases with a slash, so http://localhost:8080 does not match
		// http://localhost:80801.
		owner := `account_id = (SELECT id FROM accounts WHERE local = 1)`
		for _, u := range []struct{ table, cols, where string }{
			{"accounts", "summary fields", "local = 1"},
			{"posts", "iri url in_reply_to content recipients tags attachments extra", owner},
			{"post_edits", "content", "post_id IN (SELECT id FROM posts WHERE " + owner + ")"},
			{"activities", "iri", "true"},
			{"likes", "iri", owner},
			{"boosts", "iri", owner},
			{"blocks", "iri", "by_owner = 1"},
		} {
			for _, col := range strings.Fields(u.cols) {
				q := fmt.Sprintf(`UPDATE %s SET %s = replace(%[2]s, ?1, ?2) WHERE %s AND instr(%[2]s, ?1) > 0`,
					u.table, col, u.where)
				if _, err := tx.ExecContext(ctx, q, from+"/", to+"/"); err != nil {
					return fmt.Errorf("%s.%s: %w", u.table, col, err)
				}
			}
		}
		// An activity's body is a BLOB column of a STRICT table: replace() returns text.
		_, err = tx.ExecContext(ctx, `UPDATE activities SET body = CAST(replace(CAST(body AS TEXT), ?1, ?2) AS BLOB)
			WHERE instr(CAST(body AS TEXT), ?1) > 0`, from+"/", to+"/")
		return err
	})
}
