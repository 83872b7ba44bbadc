package access

import (
	"context"
	"time"

	"roost/store/sqlite"
)

// Passkey is one of the owner's WebAuthn credentials; Data is its JSON, which only the web
// surface reads.
type Passkey struct {
	ID      string // base64url credential id
	Data    string
	Created time.Time
	Used    time.Time
}

// AddPasskey stores a new passkey.
func (s *Store) AddPasskey(ctx context.Context, id, data string) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO passkeys (id, data, created_at) VALUES (?, ?, ?)`, id, data, s.nowMS())
		return err
	})
}

// Passkeys lists the owner's passkeys, oldest first.
func (s *Store) Passkeys(ctx context.Context) ([]Passkey, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, data, created_at, used_at FROM passkeys ORDER BY created_at`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Passkey
	for rows.Next() {
		var p Passkey
		var created, used int64
		if err := rows.Scan(&p.ID, &p.Data, &created, &used); err != nil {
			return nil, err
		}
		p.Created = sqlite.Time(created)
		if used != 0 {
			p.Used = sqlite.Time(used)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// UsePasskey records a sign-in with a passkey and its new state (the sign count).
func (s *Store) UsePasskey(ctx context.Context, id, data string) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE passkeys SET data = ?, used_at = ? WHERE id = ?`, data, s.nowMS(), id)
		return err
	})
}

// DeletePasskey removes a passkey.
func (s *Store) DeletePasskey(ctx context.Context, id string) error {
	return s.db.Write(ctx, func(tx *sqlite.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM passkeys WHERE id = ?`, id)
		return err
	})
}
