package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
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

// AddPollVote records v and, in the same transaction, writes the extra properties of the post that
// tally returns, updated with the new counts, and queues out (the poll's Update). In a single-choice poll
// an account votes once: a second vote is ErrConflict, as is a choice the account already made.
func (s *Store) AddPollVote(ctx context.Context, v PollVote, options int,
	tally func(PollTally) (*Post, *Outgoing, error)) error {
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
		p, out, err := tally(t)
		if err != nil {
			return err
		}
		extra, err := p.encodeExtra()
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE posts SET extra = ? WHERE id = ?`, extra, v.PostID); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, out)
	})
}

// SetPollExtra is SetPostExtra for a poll the owner voted in, whose end (ends) the owner is then
// told of: the vote, its activities and the watch on the end are one transaction.
func (s *Store) SetPollExtra(ctx context.Context, p *Post, ends time.Time, outs ...*Outgoing) error {
	return s.tx(ctx, func(tx *wtx) error {
		if err := setPostExtra(ctx, tx, p); err != nil {
			return err
		}
		if err := watchPollEnd(ctx, tx, p.ID, ends); err != nil {
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

func watchPollEnd(ctx context.Context, tx *wtx, id int64, ends time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO poll_ends (post_id, ends_at) VALUES (?, ?)
		ON CONFLICT (post_id) DO UPDATE SET ends_at = excluded.ends_at`, id, timeMS(ends))
	return err
}

// MovePollEnd moves the watched end of a poll, whose server changed it.
func (s *Store) MovePollEnd(ctx context.Context, id int64, ends time.Time) error {
	return s.tx(ctx, func(tx *wtx) error {
		_, err := tx.ExecContext(ctx, `UPDATE poll_ends SET ends_at = ? WHERE post_id = ?`, timeMS(ends), id)
		return err
	})
}

// NextPollEnd returns the earliest watched poll end, or the zero time when none is watched.
func (s *Store) NextPollEnd(ctx context.Context) (time.Time, error) {
	var ms int64
	err := s.r.QueryRowContext(ctx, `SELECT ends_at FROM poll_ends ORDER BY ends_at LIMIT 1`).Scan(&ms)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMilli(ms), nil
}

// DuePollEnds returns up to limit posts whose watched poll has ended by now, earliest first.
func (s *Store) DuePollEnds(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT post_id FROM poll_ends WHERE ends_at <= ? ORDER BY ends_at LIMIT ?`,
		timeMS(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// EndPoll handles the end of a watched poll, once: it stops watching it, records notices (the
// core's "poll" notification) and queues what final returns (for the owner's poll, the Update
// with its final counts; final may be nil). final runs inside the transaction, which holds the
// writer, so the counts it reads are the last: no vote commits in between. Nothing happens, and
// no error, when the poll is no longer watched.
func (s *Store) EndPoll(ctx context.Context, id int64, final func() (*Outgoing, error), notices ...Notice) error {
	return s.tx(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM poll_ends WHERE post_id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		if err := s.record(ctx, tx, notices); err != nil {
			return err
		}
		if final == nil {
			return nil
		}
		out, err := final()
		if err != nil {
			return err
		}
		return s.enqueue(ctx, tx, out)
	})
}

// PollVoters returns the accounts that voted in one of the owner's polls.
func (s *Store) PollVoters(ctx context.Context, id int64) ([]*Account, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+accountCols+` FROM accounts
		WHERE id IN (SELECT account_id FROM poll_votes WHERE post_id = ?)`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
