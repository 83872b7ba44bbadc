package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

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
		tx.afterCommit(s.keyAccounts.reset)
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
