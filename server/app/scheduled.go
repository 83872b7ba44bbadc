package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"roost/store"
	"roost/store/scheduled"
)

// Scheduled posts, as Mastodon's scheduled statuses: the owner writes a post now for later. It
// waits in the store with its uploads reserved, and the publisher (publishScheduled, run by Run)
// publishes it when its time comes, exactly once: the scheduled row is deleted in the transaction
// that creates the post, so a crash at any moment leaves either the row or the post, never both.

// ScheduleInput is a post to publish later, with what the client API keeps of the request.
type ScheduleInput struct {
	Post        PostInput
	At          time.Time
	Idempotency string
	AppID       int64
	AppName     string
}

// Schedule keeps a post, checked as Post checks it, to be published at in.At (at least five
// minutes ahead; at most 25 a day and 300 in all, as on Mastodon).
func (s *App) Schedule(ctx context.Context, in ScheduleInput) (*scheduled.Scheduled, error) {
	_, vis, _, err := in.Post.check(time.Now())
	if err != nil {
		return nil, err
	}
	p := in.Post
	sc := &scheduled.Scheduled{ScheduledAt: in.At, Params: scheduled.ScheduledParams{
		Text: p.Text, SpoilerText: p.Summary, Visibility: vis, Sensitive: p.Sensitive,
		Language: p.Language, InReplyToID: p.InReplyTo, MediaIDs: p.MediaIDs,
		Idempotency: in.Idempotency, AppID: in.AppID, AppName: in.AppName,
	}}
	if p.Poll != nil {
		sc.Params.Poll = &scheduled.ScheduledPoll{Options: p.Poll.Options, ExpiresIn: int64(p.Poll.ExpiresIn / time.Second),
			Multiple: p.Poll.Multiple}
	}
	if err := scheduleError(s.Scheduled.CreateScheduled(ctx, sc)); err != nil {
		return nil, err
	}
	s.WakeScheduled()
	return sc, nil
}

// Reschedule moves a scheduled post to at, under the same rules as Schedule.
func (s *App) Reschedule(ctx context.Context, id int64, at time.Time) (*scheduled.Scheduled, error) {
	if err := scheduleError(s.Scheduled.RescheduleScheduled(ctx, id, at)); err != nil {
		return nil, err
	}
	s.WakeScheduled()
	return s.Scheduled.ScheduledByID(ctx, id)
}

// CancelScheduled deletes a waiting scheduled post; its uploads become unattached ones again.
func (s *App) CancelScheduled(ctx context.Context, id int64) error {
	return scheduleError(s.Scheduled.DeleteScheduled(ctx, id))
}

// scheduleError is the store's refusal of a schedule as the owner is told it.
func scheduleError(err error) error {
	switch {
	case errors.Is(err, scheduled.ErrScheduleTooSoon), errors.Is(err, scheduled.ErrScheduledDailyLimit),
		errors.Is(err, scheduled.ErrScheduledTotalLimit):
		return &Error{Kind: Invalid, Msg: err.Error(), Err: err}
	case errors.Is(err, store.ErrNotFound):
		return &Error{Kind: NotFound, Msg: "not found, or an image is not an unattached upload of yours", Err: err}
	}
	return err
}

// WakeScheduled tells the publisher that a scheduled post was added or moved.
func (s *App) WakeScheduled() {
	select {
	case s.scheduledCh <- struct{}{}:
	default:
	}
}

// publishScheduled publishes the scheduled posts whose time has come. It sleeps until the next
// one is due, or until one is added or moved.
func (s *App) publishScheduled(ctx context.Context) {
	for {
		wait := s.ScheduledRound(ctx)
		timer := time.NewTimer(min(wait, time.Hour))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-s.scheduledCh:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// ScheduledRound publishes every scheduled post that is due and returns how long to wait for the
// next one.
func (s *App) ScheduledRound(ctx context.Context) time.Duration {
	// A bounded number of batches: a post published without its row going (which CreatePost
	// rules out) must not make the publisher spin.
	for range 50 {
		due, err := s.Scheduled.DueScheduled(ctx, s.st.Now(), 20)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("scheduled posts", "err", err)
			}
			return s.cfg.Poll
		}
		for _, sc := range due {
			s.publishOne(ctx, sc)
		}
		if len(due) == 0 {
			break
		}
	}
	next, err := s.Scheduled.NextScheduledAt(ctx)
	switch {
	case err != nil:
		return s.cfg.Poll
	case next.IsZero():
		return time.Hour
	}
	return max(next.Sub(s.st.Now()), 0)
}

// publishOne publishes one scheduled post. A refusal that will not change (the post it answers
// was deleted, an image is gone) drops it, as Mastodon does; another failure tries again later.
func (s *App) publishOne(ctx context.Context, sc *scheduled.Scheduled) {
	p := sc.Params
	in := PostInput{Text: p.Text, Summary: p.SpoilerText, Sensitive: p.Sensitive, Visibility: p.Visibility,
		InReplyTo: p.InReplyToID, Language: p.Language, MediaIDs: p.MediaIDs, ScheduledID: sc.ID}
	if p.Poll != nil {
		in.Poll = &PollInput{Options: p.Poll.Options, ExpiresIn: time.Duration(p.Poll.ExpiresIn) * time.Second,
			Multiple: p.Poll.Multiple}
	}
	post, err := s.Post(ctx, in)
	if err == nil {
		s.log.Info("scheduled post published", "scheduled", sc.ID, "post", post.IRI)
		return
	}
	if kind, _ := ErrorOf(err); kind == Invalid || kind == NotFound {
		s.log.Warn("scheduled post dropped", "scheduled", sc.ID, "err", err)
		if err := s.Scheduled.DeleteScheduled(ctx, sc.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.log.Error("drop scheduled post", "scheduled", sc.ID, "err", err)
		}
		return
	}
	s.log.Warn("scheduled post not published yet", "scheduled", sc.ID, "err", err)
	if err := s.Scheduled.DeferScheduled(ctx, sc.ID, s.st.Now().Add(time.Minute)); err != nil {
		s.log.Error("defer scheduled post", "scheduled", sc.ID, "err", fmt.Errorf("defer: %w", err))
	}
}
