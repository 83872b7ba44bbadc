package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"roost/server/activitypub"
	"roost/server/remote"
	"roost/server/resolve"
	"roost/store"
	"roost/store/queue"
)

// ErrRejected marks an activity Roost will never act on (an ownership check failed, it refers to
// something that does not exist, ...): it is not retried.
var ErrRejected = errors.New("rejected")

// permanent reports whether processing failed for a reason that retrying will not fix.
func permanent(err error) bool {
	var se *remote.StatusError
	if errors.As(err, &se) {
		return se.Code < 500 && se.Code != 429 && se.Code != 408
	}
	for _, target := range []error{ErrRejected, resolve.ErrLocal, resolve.ErrBlocked, activitypub.ErrMalformed,
		activitypub.ErrTooDeep, activitypub.ErrTooLarge, remote.ErrNotFound, remote.ErrGone,
		remote.ErrIDMismatch, remote.ErrContentType, remote.ErrForbiddenAddress, remote.ErrForbiddenURL,
		remote.ErrTooLarge, remote.ErrTooManyRedirects, store.ErrNotFound} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// processInbox processes stored incoming activities until ctx ends. It is woken by postInbox and
// also polls, so activities left by a crash are picked up.
func (s *App) processInbox(ctx context.Context) {
	// What processing writes need not wait for the disk: the activity itself was committed
	// with a wait before its 202, and a power cut that loses some processing also loses the
	// "done" marks written after it, so that work is simply done again.
	ctx = store.LazySync(ctx)
	log := s.log.With("sub", "inbox")
	var pruned time.Time
	for {
		if time.Since(pruned) > time.Hour {
			// Processed activities are kept a week, to recognise duplicates, then forgotten.
			if err := s.Queue.PruneInbox(ctx, time.Now().Add(-7*24*time.Hour)); err != nil && ctx.Err() == nil {
				log.Warn("prune inbox", slog.Any("err", err))
			}
			if err := s.pruneApps(ctx); err != nil && ctx.Err() == nil {
				log.Warn("prune apps", slog.Any("err", err))
			}
			pruned = time.Now()
		}
		// Answering POSTs comes first: senders wait on them, and retry or give up when they are
		// slow, while what they sent is safe in the store and can wait. So while some are being
		// answered, processing takes small batches, whose claim and done transactions hold the
		// writer only briefly, and pauses between them: at most 32 activities per 100 ms, a
		// fifth of a core at about 0.4 ms each. The backlog of a flood is worked off in batches
		// of 128 without pauses once the flood ends.
		batch, busy := 128, s.Posting.Load() > 0
		if busy {
			batch = 32
		}
		items, dropped, err := s.Queue.ClaimInbox(ctx, batch, 5*time.Minute)
		if err != nil && ctx.Err() == nil {
			log.Error("claim inbox", slog.Any("err", err))
		}
		for _, it := range dropped {
			log.Debug("activity dropped", slog.String("activity", it.ActivityIRI),
				slog.String("reason", "a copy of an activity being processed (the same id and body)"))
		}
		var done []queue.InboxResult
		for _, it := range items {
			if r, ok := s.processItem(ctx, log, it); ok {
				done = append(done, r)
			}
		}
		// One transaction marks the batch processed: a crash before it only means the batch is
		// processed again, which handling by activity and object id makes harmless.
		if err := s.Queue.InboxDoneMany(context.WithoutCancel(ctx), done); err != nil {
			log.Error("record inbox results", slog.Any("err", err))
		}
		if len(items)+len(dropped) > 0 { // look again: there may be more
			if busy {
				select {
				case <-ctx.Done():
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
			continue
		}
		t := time.NewTimer(s.cfg.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.inboxCh:
		case <-t.C:
		}
		t.Stop()
	}
}

// processItem handles one activity. It returns the result to record as done, or false when the
// activity is to be retried later (already rescheduled) or processing was cut short by shutdown.
func (s *App) processItem(ctx context.Context, log *slog.Logger, it queue.InboxItem) (queue.InboxResult, bool) {
	log = log.With(slog.String("activity", it.ActivityIRI))
	err := s.handleActivity(ctx, log, it)
	switch {
	case err == nil:
		log.Debug("processed")
		return queue.InboxResult{ID: it.ID}, true
	case ctx.Err() != nil:
		return queue.InboxResult{}, false // shutting down: processed again after the restart
	case permanent(err) || it.Attempts >= 6:
		log.Info("activity not processed", slog.Any("err", err))
		return queue.InboxResult{ID: it.ID, Error: err.Error()}, true
	}
	wait := time.Duration(it.Attempts*it.Attempts) * time.Minute
	log.Info("activity processing will be retried", slog.Any("err", err), slog.Duration("in", wait))
	if err := s.Queue.InboxRetry(context.WithoutCancel(ctx), it.ID, time.Now().Add(wait), err.Error()); err != nil {
		log.Error("record inbox retry", slog.Any("err", err))
	}
	return queue.InboxResult{}, false
}

func (s *App) handleActivity(ctx context.Context, log *slog.Logger, it queue.InboxItem) error {
	act, err := activitypub.DecodeActivity(it.Body)
	if err != nil {
		return err
	}
	signer, err := s.st.AccountByIRI(ctx, it.ActorIRI)
	if err != nil {
		return err
	}
	if handled, err := s.Relays.Handle(ctx, act, signer); handled {
		return err // a relay's answer, or what it passed on (possibly another's activity)
	}
	if act.Actor.ID != signer.IRI {
		return reject("actor %s is not the signer %s", act.Actor.ID, signer.IRI)
	}
	owner, err := s.st.AccountByID(ctx, s.Owner.Account.ID)
	if err != nil {
		return err
	}
	h := &handling{s: s, act: act, signer: signer, owner: owner, raw: it.Body, log: log}
	switch act.Type {
	case "Follow":
		return h.follow(ctx)
	case "Undo":
		return h.undo(ctx)
	case "Accept":
		return h.accept(ctx)
	case "Reject":
		return h.reject(ctx)
	case "Create":
		return h.create(ctx)
	case "Update":
		return h.update(ctx)
	case "Delete":
		return h.delete(ctx)
	case "Like", "EmojiReact":
		return h.like(ctx)
	case "Announce":
		return h.announce(ctx)
	case "Block":
		return h.block(ctx)
	case "Move":
		return h.move(ctx)
	}
	return h.drop("an activity type Roost does not act on")
}

// handling is one incoming activity being processed.
type handling struct {
	s      *App
	act    *activitypub.Activity
	signer *store.Account
	owner  *store.Account
	raw    []byte
	log    *slog.Logger // with the activity's id
}

// drop logs at debug level why the activity is processed without any effect, and reports
// success: there is nothing to retry.
func (h *handling) drop(reason string) error {
	h.log.Debug("activity dropped", slog.String("reason", reason))
	return nil
}

// inner returns the id and, when embedded, the type and actor of the activity's object.
func (h *handling) inner() (id, typ, actor, object string) {
	id = h.act.Object.ID
	if h.act.Object.IsEmbedded() {
		if in, err := h.act.Object.Activity(); err == nil {
			return in.ID, in.Type, in.Actor.ID, in.Object.ID
		}
	}
	return id, "", "", ""
}

// reject is an ErrRejected error saying why.
func reject(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrRejected, fmt.Sprintf(format, args...))
}

// HostBlocked reports whether the owner blocked the domain of iri.
func (s *App) HostBlocked(ctx context.Context, iri string) (bool, error) {
	u, err := url.Parse(iri)
	if err != nil {
		return false, nil
	}
	return s.st.DomainBlocked(ctx, u.Hostname())
}

// WakeInbox tells inbox processing that an activity was stored.
func (s *App) WakeInbox() {
	select {
	case s.inboxCh <- struct{}{}:
	default:
	}
}
