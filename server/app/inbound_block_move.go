package app

import (
	"context"
	"errors"
	"slices"

	"roost/store"
)

func (h *handling) block(ctx context.Context) error {
	if h.act.Object.ID != h.owner.IRI {
		return nil
	}
	return h.s.st.Block(ctx, h.signer.ID, false, h.act.ID, nil)
}

// move records that the signer moved to a new account. The target must name the signer in its
// alsoKnownAs (as stored, or fetched from its origin); when the owner followed the mover, Roost follows the
// target instead, as Mastodon does.
func (h *handling) move(ctx context.Context) error {
	s := h.s
	if h.act.Object.ID != h.signer.IRI {
		return reject("%s moved someone else", h.signer.IRI)
	}
	target := h.act.Target.ID
	if target == "" || target == h.signer.IRI {
		return reject("move without a target")
	}
	// As Mastodon's Move handler: a stored target that lists the mover already is taken as it
	// is; otherwise the target is fetched from its origin, which must list the mover.
	newAcct, err := s.st.AccountByIRI(ctx, target)
	if err != nil || !slices.Contains(newAcct.AlsoKnownAs, h.signer.IRI) {
		doc, err := s.Resolve.FetchActor(ctx, target)
		if err != nil {
			return err
		}
		if !slices.Contains([]string(doc.AlsoKnownAs), h.signer.IRI) {
			return reject("move target %s does not list %s in alsoKnownAs", target, h.signer.IRI)
		}
		if newAcct, err = s.Resolve.SaveActor(ctx, doc, nil); err != nil {
			return err
		}
	}
	// Mastodon's "move" notification: from the account that moved; the API finds the target.
	var notices []store.Notice
	following, err := s.st.IsFollowing(ctx, h.owner.ID, h.signer.ID)
	if err != nil {
		return err
	} else if following {
		notices = []store.Notice{{Type: "move", AccountID: h.signer.ID}}
	}
	if err := s.st.SetMoved(ctx, h.signer.ID, target, notices...); err != nil {
		return err
	}
	if following {
		// The new account is followed with the old one's options, as Mastodon's MoveWorker does.
		var o FollowOptions
		if f, err := s.st.FollowBetween(ctx, h.owner.ID, h.signer.ID); err == nil {
			reblogs := !f.HideReblogs
			o = FollowOptions{Reblogs: &reblogs, Notify: &f.Notify, Languages: &f.Languages}
		}
		if err := s.followAccount(ctx, newAcct, o); err != nil && !errors.Is(err, ErrAlreadyFollowing) {
			return err
		}
		_ = s.unfollowAccount(ctx, h.signer)
	}
	return nil
}
