package app

import (
	"context"
	"errors"
	"time"

	"roost/store"
)

// endPolls tells the owner when a poll ends, as Mastodon does: their own polls and those they
// voted in (a "poll" notification). At the end of the owner's poll, its audience and voters get an
// Update with the final counts, and closed. It sleeps until the next end, or until a poll to
// watch is added.
func (s *App) endPolls(ctx context.Context) {
	for {
		timer := time.NewTimer(s.PollRound(ctx))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-s.pollCh:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// PollRound handles the polls whose end has come and returns how long to wait for the next one.
func (s *App) PollRound(ctx context.Context) time.Duration {
	for {
		next, err := s.st.NextPollEnd(ctx)
		if err == nil && !next.IsZero() && !next.After(time.Now()) {
			err = s.endDuePolls(ctx)
			if err == nil {
				continue
			}
		}
		switch {
		case err != nil:
			if ctx.Err() == nil {
				s.log.Error("poll ends", "err", err)
			}
			return s.cfg.Poll // and try again, without spinning on a failing store
		case next.IsZero():
			return time.Hour // and look again: the clock may have been changed
		}
		return min(time.Until(next), time.Hour)
	}
}

// WakePolls tells endPolls that a poll end to watch was added.
func (s *App) WakePolls() {
	select {
	case s.pollCh <- struct{}{}:
	default:
	}
}

// endDuePolls handles the polls whose end has come.
func (s *App) endDuePolls(ctx context.Context) error {
	now := time.Now()
	ids, err := s.st.DuePollEnds(ctx, now, 100)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.endPoll(ctx, id, now); err != nil {
			if ctx.Err() != nil {
				return err
			}
			// Retried in a minute; the others go on meanwhile.
			s.log.Error("poll end", "post", id, "err", err)
			if err := s.st.MovePollEnd(ctx, id, now.Add(time.Minute)); err != nil {
				return err
			}
		}
	}
	if len(ids) > 0 {
		s.Deliver.Wake()
	}
	return nil
}

func (s *App) endPoll(ctx context.Context, id int64, now time.Time) error {
	p, err := s.st.PostByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return s.st.EndPoll(ctx, id, nil) // gone: only stop watching
	}
	if err != nil {
		return err
	}
	pl := p.Poll
	if pl == nil || !p.DeletedAt.IsZero() {
		return s.st.EndPoll(ctx, id, nil)
	}
	if end := PollEnds(pl); end.After(now) {
		// Its server moved the end (a remote poll's Update).
		return s.st.MovePollEnd(ctx, id, end)
	}
	// The owner hears of every poll they watch ending: their own and those they voted in.
	notices, err := s.unmuted(ctx, store.Notice{Type: "poll", AccountID: p.AccountID, PostID: id})
	if err != nil {
		return err
	}
	if p.AccountID != s.Owner.Account.ID {
		return s.st.EndPoll(ctx, id, nil, notices...)
	}
	// Its Question says closed now that its end has passed; the counts are read inside EndPoll's
	// transaction, after any vote that committed before it.
	return s.st.EndPoll(ctx, id, func() (*store.Outgoing, error) {
		p, err := s.st.PostByID(ctx, id)
		if err != nil {
			return nil, err
		}
		inboxes, err := s.audienceInboxes(ctx, p)
		if err != nil {
			return nil, err
		}
		voters, err := s.st.PollVoters(ctx, id)
		if err != nil {
			return nil, err
		}
		for _, a := range voters {
			if !a.Local {
				inboxes = append(inboxes, a.DeliveryInbox())
			}
		}
		return s.postUpdate(p, inboxes)
	}, notices...)
}
