package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"

	"roost/server/activitypub"
	"roost/server/app"
	"roost/store"
)

// ownPost loads one of the owner's live posts from the {id} path value.
func (s *Server) ownPost(r *http.Request) (*store.Post, error) {
	if r.PathValue("name") != s.app.Owner.Account.Username {
		return nil, store.ErrNotFound
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, store.ErrNotFound
	}
	p, err := s.st.PostByID(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if p.AccountID != s.app.Owner.Account.ID {
		return nil, store.ErrNotFound
	}
	return p, nil
}

// canSee reports whether the request may see p, by the rule of visibility.go. Who sent it (a
// session, a signature to verify) is looked at only when the post is not for everyone.
func (s *Server) canSee(r *http.Request, p *store.Post) bool {
	return s.app.MaySee(r.Context(), app.Viewer{}, p) || s.app.MaySee(r.Context(), s.app.RequestViewer(r), p)
}

// showPost answers /users/{name}/statuses/{id}: the Note for ActivityPub clients, the page for
// people. A deleted post answers 410 with a Tombstone.
func (s *Server) showPost(w http.ResponseWriter, r *http.Request) {
	p, err := s.ownPost(r)
	if err != nil {
		s.notFoundOr(w, r, err)
		return
	}
	if !activitypub.WantsJSON(r.Header.Get("Accept")) {
		http.Redirect(w, r, p.URL, http.StatusFound)
		return
	}
	if !p.DeletedAt.IsZero() {
		writeAS(w, r, http.StatusGone, map[string]any{"@context": activitypub.Context(), "id": p.IRI,
			"type": "Tombstone", "formerType": p.Type, "deleted": app.AsTime(p.DeletedAt)})
		return
	}
	if !s.canSee(r, p) {
		s.notFound(w, r)
		return
	}
	n := s.app.NoteDoc(p)
	n.Context = activitypub.Context()
	writeAS(w, r, http.StatusOK, n)
}

// showCreate answers /users/{name}/statuses/{id}/activity with the post's Create.
func (s *Server) showCreate(w http.ResponseWriter, r *http.Request) {
	p, err := s.ownPost(r)
	if err != nil {
		s.notFoundOr(w, r, err)
		return
	}
	if !p.DeletedAt.IsZero() || !s.canSee(r, p) {
		s.notFound(w, r)
		return
	}
	doc, err := s.app.CreateDoc(p)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	writeAS(w, r, http.StatusOK, doc)
}

// showActivity answers /users/{name}/activities/{id}: the owner's Follow, Like, Announce,
// Accept and similar activities, so peers can dereference their ids. An Update or Announce of a
// post is shown to whoever may see the post (visibility.go); any other activity only to whom it
// is addressed, since a Follow, Like or Accept tells who the owner follows, who follows them and
// what they liked (Mastodon shows none of these). Blocks and Moves are not shown.
func (s *Server) showActivity(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("name") != s.app.Owner.Account.Username {
		s.notFound(w, r)
		return
	}
	a, err := s.st.ActivityByIRI(r.Context(), s.app.ActorIRI()+"/activities/"+r.PathValue("id"))
	if err != nil {
		s.notFoundOr(w, r, err)
		return
	}
	var shown bool
	switch a.Type {
	case "Create", "Update", "Announce":
		if a.PostID != 0 {
			p, err := s.st.PostByID(r.Context(), a.PostID)
			shown = err == nil && s.canSee(r, p)
			break
		}
		shown = s.addressedTo(r, a) // a vote in a poll, the Update of the owner's profile
	case "Follow", "Like", "Accept", "Reject", "Delete", "Undo":
		shown = s.addressedTo(r, a)
	}
	if !shown {
		s.notFound(w, r)
		return
	}
	var doc json.RawMessage = a.Body
	writeAS(w, r, http.StatusOK, doc)
}

// addressedTo reports whether the request comes from someone activity a is addressed to: anyone
// when it is public, the owner, or a signed fetch from an actor in its to or cc, from a follower
// when it is addressed to the owner's followers, or from the actor of the activity it answers (the
// Follow an Accept accepts).
func (s *Server) addressedTo(r *http.Request, a *store.Activity) bool {
	act, err := activitypub.DecodeActivity(a.Body)
	if err != nil {
		return false
	}
	audience := append(slices.Clone(act.To), act.CC...)
	if slices.Contains(audience, activitypub.Public) {
		return true
	}
	v := s.app.RequestViewer(r)
	if v.Owner {
		return true
	}
	if v.Actor == nil {
		return false
	}
	if act.Object.IsEmbedded() {
		if in, err := act.Object.Activity(); err == nil {
			audience = append(audience, in.Actor.ID)
		}
	}
	if slices.Contains(audience, v.Actor.IRI) {
		return true
	}
	if slices.Contains(audience, s.app.Owner.Account.FollowersURL) {
		ok, err := s.st.IsFollowing(r.Context(), v.Actor.ID, s.app.Owner.Account.ID)
		return err == nil && ok
	}
	return false
}

func (s *Server) notFoundOr(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrNotFound) {
		s.notFound(w, r)
		return
	}
	s.serverError(w, r, err)
}
