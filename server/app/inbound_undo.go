package app

import (
	"context"
	"errors"

	"roost/store"
)

func (h *handling) undo(ctx context.Context) error {
	s := h.s
	id, typ, actor, object := h.inner()
	if actor != "" && actor != h.signer.IRI {
		return reject("undo of an activity by %s", actor)
	}
	if typ == "" || typ == "Follow" {
		f, err := s.st.FollowByIRI(ctx, h.signer.ID, id)
		if errors.Is(err, store.ErrNotFound) && (typ == "Follow" || object == h.owner.IRI) {
			// Misskey undoes a Follow under another id: match by who and whom.
			f, err = s.st.FollowBetween(ctx, h.signer.ID, h.owner.ID)
		}
		if err == nil {
			if f.FollowerID != h.signer.ID {
				return reject("undo of a follow by someone else")
			}
			return s.st.RemoveFollow(ctx, f.ID, nil)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	for _, k := range []reactionKind{s.likes(), s.boosts()} {
		if typ != "" && !k.undoes(typ) {
			continue
		}
		if done, err := h.undoReaction(ctx, k, id, object); done || err != nil {
			return err
		}
	}
	if typ == "Block" {
		return s.st.Unblock(ctx, h.signer.ID, false, nil)
	}
	return h.drop("an Undo of nothing the sender had done (or undone already)")
}

// undoReaction withdraws the signer's reaction of kind k that an Undo of id (of object) names.
// done is false when the signer has no such reaction.
func (h *handling) undoReaction(ctx context.Context, k reactionKind, id, object string) (done bool, err error) {
	r, err := k.byIRI(ctx, id)
	if errors.Is(err, store.ErrNotFound) && object != "" {
		if p, perr := h.s.st.PostByIRI(ctx, object); perr == nil {
			r, err = k.of(ctx, h.signer.ID, p.ID)
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	if r.AccountID != h.signer.ID {
		return true, reject("undo of a %s by someone else", k.name)
	}
	return true, k.remove(ctx, r.ID, nil)
}
