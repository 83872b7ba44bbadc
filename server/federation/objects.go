package federation

import (
	"encoding/json"
	"net/http"
	"slices"

	"roost/server/activitypub"
	"roost/server/app"
	"roost/store"
)

// ownPost loads one of the owner's posts from the {name} and {id} path values.
func (h *Handler) ownPost(r *http.Request) (*store.Post, error) {
	return h.app.OwnPost(r.Context(), r.PathValue("name"), r.PathValue("id"))
}

// ShowPost answers /users/{name}/statuses/{id}: the Note for ActivityPub clients, the page for
// people. A deleted post answers 410 with a Tombstone.
func (h *Handler) ShowPost(w http.ResponseWriter, r *http.Request) {
	p, err := h.ownPost(r)
	if err != nil {
		h.fail(w, r, err)
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
	if !h.app.RequestMaySee(r, p) {
		h.notFound(w, r)
		return
	}
	n := h.app.NoteDoc(p)
	n.Context = activitypub.Context()
	writeAS(w, r, http.StatusOK, n)
}

// showCreate answers /users/{name}/statuses/{id}/activity with the post's Create.
func (h *Handler) showCreate(w http.ResponseWriter, r *http.Request) {
	p, err := h.ownPost(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !p.DeletedAt.IsZero() || !h.app.RequestMaySee(r, p) {
		h.notFound(w, r)
		return
	}
	doc, err := h.app.CreateDoc(p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeAS(w, r, http.StatusOK, doc)
}

// showActivity answers /users/{name}/activities/{id}: the owner's Follow, Like, Announce,
// Accept and similar activities, so peers can dereference their ids. An Update or Announce of a
// post is shown to whoever may see the post (visibility.go); any other activity only to whom it
// is addressed, since a Follow, Like or Accept tells who the owner follows, who follows them and
// what they liked (Mastodon shows none of these). Blocks and Moves are not shown.
func (h *Handler) showActivity(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("name") != h.app.Owner.Account.Username {
		h.notFound(w, r)
		return
	}
	a, err := h.st.ActivityByIRI(r.Context(), h.app.ActorIRI()+"/activities/"+r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var shown bool
	switch a.Type {
	case "Create", "Update", "Announce":
		if a.PostID != 0 {
			p, err := h.st.PostByID(r.Context(), a.PostID)
			shown = err == nil && h.app.RequestMaySee(r, p)
			break
		}
		shown = h.addressedTo(r, a) // a vote in a poll, the Update of the owner's profile
	case "Follow", "Like", "Accept", "Reject", "Delete", "Undo":
		shown = h.addressedTo(r, a)
	}
	if !shown {
		h.notFound(w, r)
		return
	}
	var doc json.RawMessage = a.Body
	writeAS(w, r, http.StatusOK, doc)
}

// addressedTo reports whether the request comes from someone activity a is addressed to: anyone
// when it is public, the owner, or a signed fetch from an actor in its to or cc, from a follower
// when it is addressed to the owner's followers, or from the actor of the activity it answers (the
// Follow an Accept accepts).
func (h *Handler) addressedTo(r *http.Request, a *store.Activity) bool {
	act, err := activitypub.DecodeActivity(a.Body)
	if err != nil {
		return false
	}
	audience := append(slices.Clone(act.To), act.CC...)
	if slices.Contains(audience, activitypub.Public) {
		return true
	}
	v := h.app.RequestViewer(r)
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
	if slices.Contains(audience, h.app.Owner.Account.FollowersURL) {
		ok, err := h.st.IsFollowing(r.Context(), v.Actor.ID, h.app.Owner.Account.ID)
		return err == nil && ok
	}
	return false
}
