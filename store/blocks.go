package store

import (
	"context"
	"roost/store/sqlite"
	"strings"
)

// BlockedAccounts lists the accounts the owner blocks, most recent first, paged by the block's
// time in milliseconds.
func (s *Store) BlockedAccounts(ctx context.Context, pg Page) ([]AccountItem, error) {
	maxID, minID, limit, asc := pg.Bounds()
	return s.accountItems(ctx, asc, `SELECT b.created_at, `+prefixed("a.", accountCols)+` FROM blocks b
		JOIN accounts a ON a.id = b.account_id
		WHERE b.by_owner = 1 AND b.created_at < ? AND b.created_at > ?
		ORDER BY b.created_at `+order(asc)+`, b.account_id `+order(asc)+` LIMIT ?`, maxID, minID, limit)
}

// MutedAccounts lists the accounts the owner mutes, most recent first, paged by the mute's time
// in milliseconds.
func (s *Store) MutedAccounts(ctx context.Context, pg Page) ([]AccountItem, error) {
	maxID, minID, limit, asc := pg.Bounds()
	return s.accountItems(ctx, asc, `SELECT m.created_at, `+prefixed("a.", accountCols)+` FROM mutes m
		JOIN accounts a ON a.id = m.account_id
		WHERE m.created_at < ? AND m.created_at > ?
		ORDER BY m.created_at `+order(asc)+`, m.account_id `+order(asc)+` LIMIT ?`, maxID, minID, limit)
}

// Mute hides an account's posts from the owner's timelines without telling them.
func (s *Store) Mute(ctx context.Context, accountID int64, on bool) error {
	return s.tx(ctx, func(tx *wtx) error {
		if !on {
			_, err := tx.ExecContext(ctx, `DELETE FROM mutes WHERE account_id = ?`, accountID)
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO mutes (account_id, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING`,
			accountID, s.nowMS())
		return err
	})
}

// Muted reports whether the owner muted the account.
func (s *Store) Muted(ctx context.Context, accountID int64) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM mutes WHERE account_id = ?`, accountID).Scan(&n)
	return n > 0, err
}

// DomainBlocked reports whether host or any domain above it is blocked: blocking example.com
// blocks a.example.com but not notexample.com.
func (s *Store) DomainBlocked(ctx context.Context, host string) (bool, error) {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if i := strings.LastIndexByte(host, ':'); i > 0 && !strings.Contains(host[i:], "]") {
		host = host[:i]
	}
	candidates := []string{host}
	for h := host; ; {
		i := strings.IndexByte(h, '.')
		if i < 0 {
			break
		}
		h = h[i+1:]
		candidates = append(candidates, h)
	}
	blocks, err := s.domainBlocks.Get(ctx, func(ctx context.Context) (map[string]bool, error) {
		return sqlite.LoadSet[string](ctx, s.r, `SELECT host FROM domain_blocks`)
	})
	if err != nil {
		return false, err
	}
	for _, h := range candidates {
		if blocks[h] {
			return true, nil
		}
	}
	return false, nil
}

// BlockDomain blocks a domain and its subdomains, and ends follow relations with accounts there.
func (s *Store) BlockDomain(ctx context.Context, host string) error {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	return s.tx(ctx, func(tx *wtx) error {
		tx.AfterCommit(s.domainBlocks.Reset)
		if _, err := tx.ExecContext(ctx, `INSERT INTO domain_blocks (host, created_at) VALUES (?, ?)
			ON CONFLICT DO NOTHING`, host, s.nowMS()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM follows WHERE follower_id IN
			(SELECT id FROM accounts WHERE local = 0 AND (host = ? OR host LIKE ?))
			OR followee_id IN (SELECT id FROM accounts WHERE local = 0 AND (host = ? OR host LIKE ?))`,
			host, "%."+host, host, "%."+host)
		return err
	})
}

// DomainBlocks lists the blocked domains, alphabetically.
func (s *Store) DomainBlocks(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT host FROM domain_blocks ORDER BY host`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// UnblockDomain lifts a domain block.
func (s *Store) UnblockDomain(ctx context.Context, host string) error {
	return s.tx(ctx, func(tx *wtx) error {
		tx.AfterCommit(s.domainBlocks.Reset)
		_, err := tx.ExecContext(ctx, `DELETE FROM domain_blocks WHERE host = ?`, strings.TrimSuffix(strings.ToLower(host), "."))
		return err
	})
}

// Block records a block. byOwner: the owner blocks the account (out is the Block activity);
// otherwise the account blocked the owner. Either way the follow relations between them end.
func (s *Store) Block(ctx context.Context, accountID int64, byOwner bool, iri string, out *Outgoing) error {
	return s.tx(ctx, func(tx *wtx) error {
		tx.AfterCommit(s.blocked.Reset)
		ownerID, err := ownerAccountID(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO blocks (account_id, by_owner, iri, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT DO UPDATE SET iri = excluded.iri`, accountID, byOwner, iri, s.nowMS()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM follows WHERE (follower_id = ? AND followee_id = ?)
			OR (follower_id = ? AND followee_id = ?)`, accountID, ownerID, ownerID, accountID); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, out)
	})
}

// Blocked reports whether the owner blocks the account.
func (s *Store) Blocked(ctx context.Context, accountID int64) (bool, error) {
	blocked, err := s.blocked.Get(ctx, func(ctx context.Context) (map[int64]bool, error) {
		return sqlite.LoadSet[int64](ctx, s.r, `SELECT account_id FROM blocks WHERE by_owner = 1`)
	})
	return blocked[accountID], err
}

// Unblock removes a block (byOwner as in Block) and queues out with it.
func (s *Store) Unblock(ctx context.Context, accountID int64, byOwner bool, out *Outgoing) error {
	return s.tx(ctx, func(tx *wtx) error {
		tx.AfterCommit(s.blocked.Reset)
		if _, err := tx.ExecContext(ctx, `DELETE FROM blocks WHERE account_id = ? AND by_owner = ?`,
			accountID, byOwner); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, out)
	})
}
