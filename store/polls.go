package store

import (
	"context"
	"encoding/json"
)

// PollVote is one account's vote in one of the owner's polls: the options it chose, by index.
type PollVote struct {
	PostID    int64
	AccountID int64
	Choices   []int
	IRI       string // the voter's Note (the first one, when several carried the choices)
	Multiple  bool   // the poll takes several choices, from several Notes
}

// PollTally is a poll's counts: votes per option and distinct voters.
type PollTally struct {
	Votes  []int
	Voters int
}

// AddPollVote records v and, in the same transaction, writes the post's extra properties that
// tally returns from the new counts and queues out (the poll's Update). In a single-choice poll
// an account votes once: a second vote is ErrConflict, as is a choice the account already made.
func (s *Store) AddPollVote(ctx context.Context, v PollVote, options int,
	tally func(PollTally) (json.RawMessage, *Outgoing, error)) error {
	return s.tx(ctx, func(tx *wtx) error {
		if !v.Multiple {
			var n int
			err := tx.QueryRowContext(ctx, `SELECT count(*) FROM poll_votes WHERE post_id = ? AND account_id = ?`,
				v.PostID, v.AccountID).Scan(&n)
			if err != nil {
				return err
			}
			if n > 0 || len(v.Choices) != 1 {
				return ErrConflict
			}
		}
		now := s.nowMS()
		for _, c := range v.Choices {
			_, err := tx.ExecContext(ctx, `INSERT INTO poll_votes (post_id, account_id, choice, iri, created_at)
				VALUES (?, ?, ?, ?, ?)`, v.PostID, v.AccountID, c, v.IRI, now)
			if isUnique(err) {
				return ErrConflict
			}
			if err != nil {
				return err
			}
		}
		t := PollTally{Votes: make([]int, options)}
		rows, err := tx.QueryContext(ctx, `SELECT choice, count(*) FROM poll_votes WHERE post_id = ? GROUP BY choice`, v.PostID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c, n int
			if err := rows.Scan(&c, &n); err != nil {
				rows.Close()
				return err
			}
			if c >= 0 && c < options {
				t.Votes[c] = n
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(DISTINCT account_id) FROM poll_votes WHERE post_id = ?`,
			v.PostID).Scan(&t.Voters); err != nil {
			return err
		}
		extra, out, err := tally(t)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE posts SET extra = ? WHERE id = ?`, string(extra), v.PostID); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, out)
	})
}
