package access

import (
	"context"
	"time"

	"roost/store"
	"roost/store/sqlite"
)

// Passkey is one of the owner's WebAuthn credentials. Credential is the verifier's record of it
// (JSON), kept as it gives it.
type Passkey struct {
	ID         string // the credential id, base64url
	Name       string
	Credential []byte
	CreatedAt  time.Time
	UsedAt     time.Time // zero before the first use
}

// AddPasskey stores a new passkey; store.ErrConflict when its id is stored already.
func (s *Store) AddPasskey(ctx context.Context, p *Passkey) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO passkeys (id, name, credential, created_at) VALUES (?, ?, ?, ?)`,
			p.ID, sqlite.Truncate(p.Name, 100), string(p.Credential), s.nowMS())
		if sqlite.IsUnique(err) {
			return store.ErrConflict
		}
		return err
	})
}

// Passkeys lists the owner's passkeys, oldest first.
func (s *Store) Passkeys(ctx context.Context) ([]Passkey, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, name, credential, created_at, ifnull(used_at, 0) FROM passkeys ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Passkey
	for rows.Next() {
		var p Passkey
		var cred string
		var created, used int64
		if err := rows.Scan(&p.ID, &p.Name, &cred, &created, &used); err != nil {
			return nil, err
		}
		p.Credential, p.CreatedAt = []byte(cred), sqlite.Time(created)
		if used != 0 {
			p.UsedAt = sqlite.Time(used)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// UsedPasskey records a sign-in with the passkey id and its credential's new state (its sign
// count).
func (s *Store) UsedPasskey(ctx context.Context, id string, credential []byte) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE passkeys SET credential = ?, used_at = ? WHERE id = ?`,
			string(credential), s.nowMS(), id)
		return err
	})
}

// RemovePasskey deletes the passkey id; store.ErrNotFound when there is none.
func (s *Store) RemovePasskey(ctx context.Context, id string) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM passkeys WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
}
