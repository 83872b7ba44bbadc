package access

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"roost/store"
	"roost/store/sqlite"
)

// App is a client application registered through POST /api/v1/apps.
type App struct {
	ID           int64
	ClientID     string
	SecretHash   string
	Name         string
	Website      string
	RedirectURIs []string
	Scopes       []string
	CreatedAt    time.Time
}

// CreateApp registers an app.
func (s *Store) CreateApp(ctx context.Context, a *App) error {
	a.ID = s.st.NewID()
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO oauth_apps (id, client_id, secret_hash, name, website,
			redirect_uris, scopes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, a.ID, a.ClientID, a.SecretHash,
			a.Name, a.Website, strings.Join(a.RedirectURIs, "\n"), strings.Join(a.Scopes, " "), s.nowMS())
		if sqlite.IsUnique(err) {
			return store.ErrConflict
		}
		return err
	})
}

func scanApp(row sqlite.Scanner) (*App, error) {
	var a App
	var uris, scopes string
	var created int64
	err := row.Scan(&a.ID, &a.ClientID, &a.SecretHash, &a.Name, &a.Website, &uris, &scopes, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	a.RedirectURIs = strings.Split(uris, "\n")
	a.Scopes = strings.Fields(scopes)
	a.CreatedAt = sqlite.Time(created)
	return &a, nil
}

const appCols = `id, client_id, secret_hash, name, website, redirect_uris, scopes, created_at`

// AppByClientID returns a registered app.
func (s *Store) AppByClientID(ctx context.Context, clientID string) (*App, error) {
	return scanApp(s.r.QueryRowContext(ctx, `SELECT `+appCols+` FROM oauth_apps WHERE client_id = ?`, clientID))
}

// AppByID returns a registered app.
func (s *Store) AppByID(ctx context.Context, id int64) (*App, error) {
	return scanApp(s.r.QueryRowContext(ctx, `SELECT `+appCols+` FROM oauth_apps WHERE id = ?`, id))
}

// AuthorizedApps lists the apps that hold at least one owner token, newest first.
func (s *Store) AuthorizedApps(ctx context.Context) ([]*App, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+appCols+` FROM oauth_apps WHERE id IN
		(SELECT app_id FROM oauth_tokens WHERE owner = 1) ORDER BY id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*App
	for rows.Next() {
		a, err := scanApp(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// PruneApps deletes the apps registered before that the owner never authorized (no token of
// the owner's was ever issued to them) and that hold no authorization code: registrations
// nobody signed in with, and their app-only tokens. It returns how many went.
func (s *Store) PruneApps(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.db.Write(ctx, func(tx *sqlite.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM oauth_apps WHERE created_at < ? AND authorized = 0
			AND id NOT IN (SELECT app_id FROM oauth_codes WHERE expires_at >= ?)`, sqlite.MS(before), s.nowMS())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// AuthCode is a single-use authorization code.
type AuthCode struct {
	CodeHash    string
	AppID       int64
	RedirectURI string
	Scopes      []string
	Challenge   string
	ExpiresAt   time.Time
}

// CreateAuthCode stores an authorization code.
func (s *Store) CreateAuthCode(ctx context.Context, c *AuthCode) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO oauth_codes (code_hash, app_id, redirect_uri, scopes, challenge, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`, c.CodeHash, c.AppID, c.RedirectURI, strings.Join(c.Scopes, " "), c.Challenge,
			sqlite.MS(c.ExpiresAt))
		return err
	})
}

// TakeAuthCode returns a code and deletes it in the same transaction: a code works once, even
// when two requests race for it. Expired codes are store.ErrNotFound.
func (s *Store) TakeAuthCode(ctx context.Context, codeHash string) (*AuthCode, error) {
	var c AuthCode
	err := s.db.Write(ctx, func(tx *sqlite.Tx) error {
		var scopes string
		var expires int64
		err := tx.QueryRowContext(ctx, `DELETE FROM oauth_codes WHERE code_hash = ?
			RETURNING code_hash, app_id, redirect_uri, scopes, challenge, expires_at`, codeHash).
			Scan(&c.CodeHash, &c.AppID, &c.RedirectURI, &scopes, &c.Challenge, &expires)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		c.Scopes = strings.Fields(scopes)
		c.ExpiresAt = sqlite.Time(expires)
		_, err = tx.ExecContext(ctx, `DELETE FROM oauth_codes WHERE expires_at < ?`, s.nowMS())
		return err
	})
	if err != nil {
		return nil, err
	}
	if s.st.Now().After(c.ExpiresAt) {
		return nil, store.ErrNotFound
	}
	return &c, nil
}

// Token is an access token (stored hashed).
type Token struct {
	ID          int64
	TokenHash   string
	RefreshHash string
	AppID       int64
	Scopes      []string
	Owner       bool // false for app-only (client_credentials) tokens
	CreatedAt   time.Time
	LastUsedAt  time.Time
}

// AppTokensKept is how many app-only (client_credentials) tokens an app keeps: storing another
// deletes its oldest, so that asking for tokens again and again cannot fill the disk.
const AppTokensKept = 5

// CreateToken stores a token.
func (s *Store) CreateToken(ctx context.Context, t *Token) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		if err := s.insertToken(ctx, tx, t); err != nil || t.Owner {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM oauth_tokens WHERE app_id = ? AND owner = 0 AND id NOT IN
			(SELECT id FROM oauth_tokens WHERE app_id = ? AND owner = 0 ORDER BY id DESC LIMIT ?)`,
			t.AppID, t.AppID, AppTokensKept)
		return err
	})
}

func (s *Store) insertToken(ctx context.Context, tx *sqlite.Tx, t *Token) error {
	t.ID = s.st.NewID()
	var refresh any
	if t.RefreshHash != "" {
		refresh = t.RefreshHash
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO oauth_tokens (id, token_hash, refresh_hash, app_id, scopes, owner, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, t.ID, t.TokenHash, refresh, t.AppID, strings.Join(t.Scopes, " "), t.Owner, s.nowMS())
	if err != nil || !t.Owner {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE oauth_apps SET authorized = 1 WHERE id = ? AND authorized = 0`, t.AppID)
	return err
}

const tokenCols = `id, token_hash, ifnull(refresh_hash, ''), app_id, scopes, owner, created_at, last_used_at`

func scanToken(row sqlite.Scanner) (*Token, error) {
	var t Token
	var scopes string
	var created, used int64
	err := row.Scan(&t.ID, &t.TokenHash, &t.RefreshHash, &t.AppID, &scopes, &t.Owner, &created, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	t.Scopes = strings.Fields(scopes)
	t.CreatedAt, t.LastUsedAt = sqlite.Time(created), sqlite.Time(used)
	return &t, nil
}

// TokenByHash returns the token with the given hash.
func (s *Store) TokenByHash(ctx context.Context, hash string) (*Token, error) {
	return scanToken(s.r.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM oauth_tokens WHERE token_hash = ?`, hash))
}

// TokenByRefreshHash returns the token a refresh token belongs to.
func (s *Store) TokenByRefreshHash(ctx context.Context, hash string) (*Token, error) {
	return scanToken(s.r.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM oauth_tokens WHERE refresh_hash = ?`, hash))
}

// TouchToken records that a token was used (at most once a minute, to keep reads cheap).
func (s *Store) TouchToken(ctx context.Context, id int64) error {
	now := s.nowMS()
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE oauth_tokens SET last_used_at = ? WHERE id = ? AND last_used_at < ?`,
			now, id, now-60_000)
		return err
	})
}

// RotateToken replaces the token old with t in one transaction (a refresh): it reports
// store.ErrNotFound, storing nothing, when old is gone already, so of two refreshes racing with the
// same refresh token only one gets a new token. The old token's push subscription moves to t.
func (s *Store) RotateToken(ctx context.Context, old int64, t *Token) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		if err := s.insertToken(ctx, tx, t); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE push_subscriptions SET token_id = ? WHERE token_id = ?`, t.ID, old); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM oauth_tokens WHERE id = ?`, old)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return store.ErrNotFound // the transaction, and t's insertion, roll back
		}
		return nil
	})
}

// RevokeToken deletes a token.
func (s *Store) RevokeToken(ctx context.Context, id int64) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM oauth_tokens WHERE id = ?`, id)
		return err
	})
}

// RevokeApp deletes every token of an app and its authorization codes not yet exchanged (the
// owner took its access away: a code issued before must not bring it back).
func (s *Store) RevokeApp(ctx context.Context, appID int64) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM oauth_codes WHERE app_id = ?`, appID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM oauth_tokens WHERE app_id = ?`, appID)
		return err
	})
}
