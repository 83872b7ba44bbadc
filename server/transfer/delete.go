package transfer

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"roost/server/activitypub"
	"roost/server/app"
	"roost/store"
)

// The states of the account.
const (
	live     = 0
	deleting = 1 // the Delete is being delivered
	wiped    = 2 // the data is gone
)

// ErrDeleted refuses anything to a deleted account.
var ErrDeleted = &app.Error{Kind: app.Forbidden, Msg: "this account is deleted"}

func (s *Service) loadDeletion(ctx context.Context) error {
	requested, wipedAt, err := s.deletion.Deletion(ctx)
	if err != nil {
		return err
	}
	switch {
	case !wipedAt.IsZero():
		s.deleted.Store(wiped)
	case !requested.IsZero():
		s.deleted.Store(deleting)
	}
	return nil
}

func (s *Service) live() error {
	if s.deleted.Load() != live {
		return ErrDeleted
	}
	return nil
}

// Deleting reports whether the account was deleted: its Delete may still be on its way.
func (s *Service) Deleting() bool { return s.deleted.Load() != live }

// Wiped reports whether the deleted account's data is gone.
func (s *Service) Wiped() bool { return s.deleted.Load() == wiped }

// deleteIRI is the id of the Delete of the actor.
func (s *Service) deleteIRI() string { return s.app.ActorIRI() + "#delete" }

// DeleteAccount deletes the owner's account, if password is theirs and confirm is their handle
// (@user@host or user@host, typed to show they mean it): the Delete of the actor is queued to the
// inbox of every server Roost knows (durably, with the delivery queue's retries), every session
// and app is signed out, and from now on Roost refuses all activity (410 Gone). When the
// deliveries are done, the data is wiped (Run).
func (s *Service) DeleteAccount(ctx context.Context, password, confirm string) error {
	if err := s.live(); err != nil {
		return err
	}
	handle := s.app.Owner.Account.Handle()
	if strings.TrimPrefix(strings.TrimSpace(confirm), "@") != handle {
		return &app.Error{Kind: app.Invalid, Msg: "type your address, @" + handle + ", to confirm"}
	}
	ok, err := s.app.CheckOwnerPassword(ctx, password)
	if err != nil {
		return err
	}
	if !ok {
		return &app.Error{Kind: app.Forbidden, Msg: "wrong password"}
	}
	return s.deleteAccount(ctx)
}

// DeleteAccountNow deletes the account as DeleteAccount does, for the command line, which the
// owner proves by holding the data folder.
func (s *Service) DeleteAccountNow(ctx context.Context) error {
	if err := s.live(); err != nil {
		return err
	}
	return s.deleteAccount(ctx)
}

func (s *Service) deleteAccount(ctx context.Context) error {
	inboxes, err := s.deletion.KnownInboxes(ctx)
	if err != nil {
		return err
	}
	actor := s.app.ActorIRI()
	body, err := json.Marshal(map[string]any{
		"@context":  activitypub.Namespace,
		"id":        s.deleteIRI(),
		"type":      "Delete",
		"actor":     actor,
		"object":    actor,
		"to":        []string{activitypub.Public},
		"published": app.AsTime(s.st.Now()),
	})
	if err != nil {
		return err
	}
	out := &store.Outgoing{IRI: s.deleteIRI(), Type: "Delete", Body: body, Inboxes: inboxes}
	if err := s.st.RequestDeletion(ctx, out); err != nil {
		return err
	}
	s.deleted.Store(deleting)
	s.log.Warn("account deleted: telling every known server", "inboxes", len(inboxes))
	s.app.Deliver.Wake()
	return nil
}

// finishDeletion wipes the data of a deleted account once the Delete's deliveries are done
// (delivered, or given up after the queue's retries).
func (s *Service) finishDeletion(ctx context.Context) {
	for {
		if s.deleted.Load() == live {
			// Another process (roost delete-account) may have asked.
			if err := s.loadDeletion(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("read account deletion", "err", err)
			}
		}
		if s.deleted.Load() == deleting {
			s.wipe(ctx)
		}
		t := time.NewTimer(s.opt.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (s *Service) wipe(ctx context.Context) {
	s.wipeMu.Lock()
	defer s.wipeMu.Unlock()
	names, ok, err := s.deletion.Wipe(ctx, s.deleteIRI())
	if err != nil {
		s.log.Error("wipe the deleted account", "err", err)
		return
	}
	if !ok {
		return // the Delete is still on its way
	}
	s.app.Media.Remove(names)
	s.deleted.Store(wiped)
	s.log.Warn("account wiped")
}
