package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"roost/store/sqlite"
)

// Account is an actor: the owner (Local) or a remote one.
type Account struct {
	ID           int64
	IRI          string
	Local        bool
	Type         string
	Username     string
	Host         string
	DisplayName  string
	Summary      string // sanitized HTML
	URL          string
	Inbox        string
	SharedInbox  string
	Outbox       string
	FollowersURL string
	FollowingURL string
	KeyID        string
	PublicKeyPEM string
	AvatarURL    string
	HeaderURL    string
	Fields       []Field
	AlsoKnownAs  []string
	MovedTo      string
	Locked       bool
	Discoverable bool
	Indexable    bool
	Bot          bool
	HideNetwork  bool // the owner's choice to hide follower and following counts and lists
	// NoIndex and NoAI are the owner's opt-outs of search engines and of AI crawlers.
	NoIndex, NoAI bool
	Published     time.Time
	FetchedAt     time.Time
	CreatedAt     time.Time
}

// Field is one profile field (name and HTML value).
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Handle returns user@host.
func (a *Account) Handle() string { return a.Username + "@" + a.Host }

// DeliveryInbox returns the shared inbox when the actor has one, else its own inbox.
func (a *Account) DeliveryInbox() string {
	if a.SharedInbox != "" {
		return a.SharedInbox
	}
	return a.Inbox
}

const accountCols = `id, iri, local, type, username, host, display_name, summary, url, inbox, shared_inbox,
	outbox, followers_url, following_url, key_id, public_key_pem, avatar_url, header_url, fields,
	also_known_as, moved_to, locked, discoverable, indexable, bot, published, fetched_at, created_at,
	hide_network, noindex, noai`

type scanner = sqlite.Scanner

func scanAccount(row scanner) (*Account, error) {
	var a Account
	var fields, aka string
	var published, fetched, created int64
	err := row.Scan(&a.ID, &a.IRI, &a.Local, &a.Type, &a.Username, &a.Host, &a.DisplayName, &a.Summary,
		&a.URL, &a.Inbox, &a.SharedInbox, &a.Outbox, &a.FollowersURL, &a.FollowingURL, &a.KeyID,
		&a.PublicKeyPEM, &a.AvatarURL, &a.HeaderURL, &fields, &aka, &a.MovedTo, &a.Locked,
		&a.Discoverable, &a.Indexable, &a.Bot, &published, &fetched, &created, &a.HideNetwork, &a.NoIndex, &a.NoAI)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	_ = json.Unmarshal([]byte(fields), &a.Fields)
	_ = json.Unmarshal([]byte(aka), &a.AlsoKnownAs)
	a.Published = msTime(published)
	a.FetchedAt = msTime(fetched)
	a.CreatedAt = msTime(created)
	return &a, nil
}

func msTime(ms int64) time.Time { return sqlite.Time(ms) }

func timeMS(t time.Time) int64 { return sqlite.MS(t) }

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return "[]"
	}
	return string(b)
}

// AccountByID returns the account with id.
func (s *Store) AccountByID(ctx context.Context, id int64) (*Account, error) {
	return scanAccount(s.r.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = ?`, id))
}

// AccountByIRI returns the account whose actor IRI is iri.
func (s *Store) AccountByIRI(ctx context.Context, iri string) (*Account, error) {
	return scanAccount(s.r.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts WHERE iri = ?`, iri))
}

// AccountByKeyID returns the account whose public key has the given key id.
func (s *Store) AccountByKeyID(ctx context.Context, keyID string) (*Account, error) {
	a, gen := s.keyAccounts.get(keyID)
	if a == nil {
		var err error
		a, err = scanAccount(s.r.QueryRowContext(ctx, `SELECT `+accountCols+` FROM accounts
			WHERE key_id = ? AND key_id != ''`, keyID))
		if err != nil {
			return nil, err
		}
		s.keyAccounts.put(keyID, a, gen)
	}
	c := *a // the caller may change its copy
	return &c, nil
}

// AccountByHandle returns the account user@host.
func (s *Store) AccountByHandle(ctx context.Context, username, host string) (*Account, error) {
	return scanAccount(s.r.QueryRowContext(ctx,
		`SELECT `+accountCols+` FROM accounts WHERE username = ? COLLATE NOCASE AND host = ? COLLATE NOCASE
		 ORDER BY local DESC, fetched_at DESC LIMIT 1`, username, host))
}

// UpsertAccount inserts or refreshes a remote account, keyed by IRI, and returns it with its ID.
// It never touches the local account.
func (s *Store) UpsertAccount(ctx context.Context, a *Account) (*Account, error) {
	if a.Local {
		return nil, fmt.Errorf("upsert account %s: refusing to write the local account", a.IRI)
	}
	now := s.nowMS()
	if a.FetchedAt.IsZero() {
		a.FetchedAt = s.now()
	}
	id := s.NewID()
	var out *Account
	err := s.tx(ctx, func(tx *wtx) error {
		tx.AfterCommit(s.keyAccounts.reset)
		row := tx.QueryRowContext(ctx, `INSERT INTO accounts (id, iri, local, type, username, host, display_name,
			summary, url, inbox, shared_inbox, outbox, followers_url, following_url, key_id, public_key_pem,
			avatar_url, header_url, fields, also_known_as, moved_to, locked, discoverable, indexable, bot,
			published, fetched_at, created_at)
			VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (iri) DO UPDATE SET type = excluded.type, username = excluded.username,
				host = excluded.host, display_name = excluded.display_name, summary = excluded.summary,
				url = excluded.url, inbox = excluded.inbox, shared_inbox = excluded.shared_inbox,
				outbox = excluded.outbox, followers_url = excluded.followers_url,
				following_url = excluded.following_url, key_id = excluded.key_id,
				public_key_pem = excluded.public_key_pem, avatar_url = excluded.avatar_url,
				header_url = excluded.header_url, fields = excluded.fields,
				also_known_as = excluded.also_known_as, moved_to = excluded.moved_to,
				locked = excluded.locked, discoverable = excluded.discoverable,
				indexable = excluded.indexable, bot = excluded.bot, published = excluded.published,
				fetched_at = excluded.fetched_at
			WHERE accounts.local = 0
			RETURNING `+accountCols,
			id, a.IRI, a.Type, a.Username, a.Host, a.DisplayName, a.Summary, a.URL, a.Inbox, a.SharedInbox,
			a.Outbox, a.FollowersURL, a.FollowingURL, a.KeyID, a.PublicKeyPEM, a.AvatarURL, a.HeaderURL,
			jsonText(a.Fields), jsonText(a.AlsoKnownAs), a.MovedTo, a.Locked, a.Discoverable, a.Indexable,
			a.Bot, timeMS(a.Published), timeMS(a.FetchedAt), now)
		var err error
		out, err = scanAccount(row)
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("upsert account %s: %w: it is the local account", a.IRI, ErrConflict)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteAccount removes a remote account and, through foreign keys, everything that hangs off it:
// its posts, follow relations both ways, likes, boosts, mentions and notifications.
func (s *Store) DeleteAccount(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx *wtx) error {
		tx.AfterCommit(s.keyAccounts.reset)
		res, err := tx.ExecContext(ctx, `DELETE FROM accounts WHERE id = ? AND local = 0`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// SetMoved records that an account moved to target, with notices (the core's "move"
// notification, when the owner follows it).
func (s *Store) SetMoved(ctx context.Context, id int64, target string, notices ...Notice) error {
	return s.tx(ctx, func(tx *wtx) error {
		tx.AfterCommit(s.keyAccounts.reset)
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET moved_to = ? WHERE id = ? AND local = 0`, target, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO moves (account_id, target, created_at) VALUES (?, ?, ?)
			ON CONFLICT (account_id) DO UPDATE SET target = excluded.target, created_at = excluded.created_at`,
			id, target, s.nowMS()); err != nil {
			return err
		}
		return s.record(ctx, tx, notices)
	})
}
