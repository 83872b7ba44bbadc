package app

import (
	"context"
	"errors"
	"time"

	"roost/store"
)

func (h *handling) update(ctx context.Context) error {
	s := h.s
	id := h.act.Object.ID
	if id == h.signer.IRI {
		// Update of the actor: take the document from its origin rather than the inline copy.
		doc, err := s.Resolve.FetchActor(ctx, id)
		if err != nil {
			return err
		}
		_, err = s.Resolve.SaveActor(ctx, doc, h.signer)
		return err
	}
	existing, err := s.st.PostByIRI(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return h.drop("an Update of a post Roost did not keep")
	}
	if err != nil {
		return err
	}
	if existing.AccountID != h.signer.ID {
		return reject("%s updated %s, which is not theirs", h.signer.IRI, id)
	}
	if !existing.DeletedAt.IsZero() {
		return h.drop("an Update of a deleted post")
	}
	o, err := h.object(ctx)
	if err != nil {
		return err
	}
	p, _ := s.postFromObject(o, h.signer, h.owner)
	p.ID = existing.ID
	edited := !p.Updated.IsZero()
	if edited && !existing.Updated.IsZero() && !p.Updated.After(existing.Updated) {
		// An edit Roost already has, or an older one arriving late (peers reuse Update ids, so
		// such a copy is no longer recognised by its id): the newer text stays, as in Mastodon.
		return h.drop("an Update no newer than the post's last edit")
	}
	if !edited {
		p.Updated = time.Now()
	}
	keepOwnVotes(existing, p, edited)
	// A poll the owner voted in may have moved its end (closed early, or extended): the watch
	// on its end moves in the same transaction.
	var ch store.PostChange
	if pl := p.Poll; pl != nil {
		ch.PollEnds = PollEnds(pl)
	}
	if err := s.st.UpdatePost(ctx, p, ch, nil); err != nil {
		return err
	}
	s.Hub.postEdited(p)
	if !ch.PollEnds.IsZero() {
		s.WakePolls()
	}
	return nil
}

func (h *handling) delete(ctx context.Context) error {
	s := h.s
	id := h.act.Object.ID
	if id == h.signer.IRI {
		return s.st.DeleteAccount(ctx, h.signer.ID)
	}
	p, err := s.st.PostByIRI(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return h.drop("a Delete of a post Roost does not have")
	}
	if err != nil {
		return err
	}
	if p.AccountID != h.signer.ID {
		return reject("%s deleted %s, which is not theirs", h.signer.IRI, id)
	}
	if !p.DeletedAt.IsZero() {
		return h.drop("a Delete of a post already deleted")
	}
	if err := s.st.DeletePost(ctx, p.ID, nil); err != nil {
		return err
	}
	s.Hub.postDeleted(p)
	return nil
}
