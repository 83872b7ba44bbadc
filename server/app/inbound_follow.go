package app

import (
	"context"
	"encoding/json"
	"errors"

	"roost/store"
	"roost/store/about"
)

func (h *handling) follow(ctx context.Context) error {
	if h.act.Object.ID != h.owner.IRI {
		return h.drop("a Follow of someone else") // or a relay's: not for us
	}
	s := h.s
	if blocked, err := s.st.Blocked(ctx, h.signer.ID); err != nil {
		return err
	} else if blocked {
		return s.st.Enqueue(ctx, s.replyTo(h.signer, "Reject", h.followObject()))
	}
	f := &store.Follow{IRI: h.act.ID, FollowerID: h.signer.ID, FolloweeID: h.owner.ID, State: store.Accepted}
	var out *store.Outgoing
	// A follower who comes with the owner's move from an old account is accepted even by a locked
	// account, and remembered as such (move_in.go).
	from := s.movedFrom(ctx, h.owner)
	if from != "" {
		if err := about.New(s.st).AddMovedFollower(ctx, h.signer.ID, from); err != nil {
			return err
		}
	}
	if h.owner.Locked && from == "" {
		f.State = store.Pending
		if existing, err := s.st.FollowBetween(ctx, h.signer.ID, h.owner.ID); err == nil && existing.State == store.Accepted {
			f.State = store.Accepted
		}
	}
	if f.State == store.Accepted {
		out = s.replyTo(h.signer, "Accept", h.followObject())
	}
	// Recorded when the relation is new: a repeated Follow is not news.
	notice := store.Notice{Type: "follow", AccountID: h.signer.ID}
	if f.State == store.Pending {
		notice.Type = "follow_request"
	}
	_, err := s.st.AddFollower(ctx, f, out, notice)
	if err == nil && out != nil {
		s.Deliver.Wake()
	}
	return err
}

// followObject is the received Follow, as embedded in our Accept or Reject.
func (h *handling) followObject() map[string]any {
	return map[string]any{"id": h.act.ID, "type": "Follow", "actor": h.signer.IRI, "object": h.owner.IRI}
}

// replyTo builds an activity of the owner's (Accept, Reject) about object, addressed to one actor.
func (s *App) replyTo(to *store.Account, typ string, object any) *store.Outgoing {
	id := s.st.NewID()
	iri := s.ActivityIRI(id)
	act, err := s.wrap(iri, typ, object, []string{to.IRI}, nil, "")
	if err != nil {
		return nil
	}
	body, _ := json.Marshal(act)
	inbox := to.Inbox
	if inbox == "" {
		inbox = to.SharedInbox
	}
	return &store.Outgoing{ID: id, IRI: iri, Type: typ, Body: body, Inboxes: []string{inbox}}
}

// ourFollow finds the owner's follow that an Accept or Reject answers: by the Follow's id, or by
// whom it was sent to (some servers make up a new id).
func (h *handling) ourFollow(ctx context.Context) (*store.Follow, error) {
	id, typ, actor, object := h.inner()
	if typ != "" && typ != "Follow" {
		return nil, nil
	}
	if actor != "" && actor != h.owner.IRI {
		return nil, reject("accept of a follow by %s", actor)
	}
	if object != "" && object != h.signer.IRI {
		return nil, reject("accept of a follow of %s by %s", object, h.signer.IRI)
	}
	f, err := h.s.st.FollowByIRI(ctx, h.owner.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		f, err = h.s.st.FollowBetween(ctx, h.owner.ID, h.signer.ID)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if f.FollowerID != h.owner.ID || f.FolloweeID != h.signer.ID {
		return nil, reject("%s answered a follow that was not sent to them", h.signer.IRI)
	}
	return f, nil
}

func (h *handling) accept(ctx context.Context) error {
	f, err := h.ourFollow(ctx)
	if err != nil || f == nil || f.State == store.Accepted {
		return err
	}
	return h.s.st.SetFollowState(ctx, f.ID, store.Accepted, nil)
}

func (h *handling) reject(ctx context.Context) error {
	f, err := h.ourFollow(ctx)
	if err != nil || f == nil {
		return err
	}
	return h.s.st.RemoveFollow(ctx, f.ID, nil)
}
