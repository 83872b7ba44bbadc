package server

import (
	"time"

	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"

	"roost/server/activitypub"
	"roost/store"
)

// noteDoc is the ActivityPub face of one of the owner's posts.
func (s *Server) noteDoc(p *store.Post) *activitypub.Object {
	n := &activitypub.Object{
		ID:           p.IRI,
		Type:         p.Type,
		AttributedTo: activitypub.Ref{ID: s.actorIRI()},
		Summary:      p.Summary,
		Content:      p.Content,
		Sensitive:    p.Sensitive || p.Summary != "",
		Published:    asTime(p.Published),
		Updated:      asTime(p.Updated),
		URL:          activitypub.URLs{p.URL},
		To:           p.To,
		CC:           p.CC,
		Replies:      activitypub.Ref{ID: p.IRI + "/replies"},
	}
	if p.Language != "" {
		n.ContentMap = map[string]string{p.Language: p.Content}
	}
	if p.InReplyTo != "" {
		n.InReplyTo = activitypub.Ref{ID: p.InReplyTo}
	}
	for _, t := range p.Tags {
		n.Tag = append(n.Tag, activitypub.Tag{Type: t.Type, Name: t.Name, Href: t.Href})
	}
	for _, a := range p.Attachments {
		n.Attachment = append(n.Attachment, activitypub.Attachment{Type: a.Type, MediaType: a.MediaType, URL: s.postMediaURL(p, a.URL),
			Name: a.Name, Blurhash: a.Blurhash, Width: a.Width, Height: a.Height, FocalPoint: a.FocalPoint})
	}
	if pl, _ := postPoll(p); pl != nil {
		questionOf(n, pl, time.Now())
	}
	return n
}

// wrap returns an activity of type typ by the owner around object.
func (s *Server) wrap(iri, typ string, object any, to, cc []string, published string) (*activitypub.Activity, error) {
	var ref activitypub.Ref
	if id, ok := object.(string); ok { // a bare IRI (Follow, Like, Announce): Embed takes only objects
		ref = activitypub.Ref{ID: id}
	} else {
		var err error
		if ref, err = activitypub.Embed(object); err != nil {
			return nil, err
		}
	}
	return &activitypub.Activity{
		Context:   activitypub.Context(),
		ID:        iri,
		Type:      typ,
		Actor:     activitypub.Ref{ID: s.actorIRI()},
		Object:    ref,
		To:        to,
		CC:        cc,
		Published: published,
	}, nil
}

// createDoc is the Create activity of one of the owner's posts.
func (s *Server) createDoc(p *store.Post) (*activitypub.Activity, error) {
	return s.wrap(p.IRI+"/activity", "Create", s.noteDoc(p), p.To, p.CC, asTime(p.Published))
}

// visibleToPublic reports whether anyone may fetch the post without proving who they are.
func visibleToPublic(p *store.Post) bool {
	return p.Visibility == store.Public || p.Visibility == store.Unlisted
}

// ownPost loads one of the owner's live posts from the {id} path value.
func (s *Server) ownPost(r *http.Request) (*store.Post, error) {
	if r.PathValue("name") != s.owner.Account.Username {
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
	if p.AccountID != s.owner.Account.ID {
		return nil, store.ErrNotFound
	}
	return p, nil
}

// canSee reports whether the request may see p, by the rule of visibility.go. Who sent it (a
// session, a signature to verify) is looked at only when the post is not for everyone.
func (s *Server) canSee(r *http.Request, p *store.Post) bool {
	return s.maySee(r.Context(), viewer{}, p) || s.maySee(r.Context(), s.requestViewer(r), p)
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
			"type": "Tombstone", "formerType": p.Type, "deleted": asTime(p.DeletedAt)})
		return
	}
	if !s.canSee(r, p) {
		s.notFound(w, r)
		return
	}
	n := s.noteDoc(p)
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
	doc, err := s.createDoc(p)
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
	if r.PathValue("name") != s.owner.Account.Username {
		s.notFound(w, r)
		return
	}
	a, err := s.st.ActivityByIRI(r.Context(), s.actorIRI()+"/activities/"+r.PathValue("id"))
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
	v := s.requestViewer(r)
	if v.owner {
		return true
	}
	if v.actor == nil {
		return false
	}
	if act.Object.IsEmbedded() {
		if in, err := act.Object.Activity(); err == nil {
			audience = append(audience, in.Actor.ID)
		}
	}
	if slices.Contains(audience, v.actor.IRI) {
		return true
	}
	if slices.Contains(audience, s.owner.Account.FollowersURL) {
		ok, err := s.st.IsFollowing(r.Context(), v.actor.ID, s.owner.Account.ID)
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
