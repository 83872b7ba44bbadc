package mastoapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"roost/server/app"
	"roost/server/mastoapi/oauth"
	"roost/server/mastodon"
	"roost/store"
)

// apiPostParam loads the status named by {id}, when the request may see it (visibility.go); a
// status it may not see is not found, as on Mastodon.
func (h *Handler) apiPostParam(w http.ResponseWriter, r *http.Request) (*store.Post, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		if p, err := h.st.PostByID(r.Context(), id); err == nil && h.app.MaySee(r.Context(), oauth.Viewer(r.Context()), p) {
			return p, true
		}
	}
	apiError(w, http.StatusNotFound, "Record not found")
	return nil, false
}

func (h *Handler) apiGetStatus(w http.ResponseWriter, r *http.Request) {
	p, ok := h.apiPostParam(w, r)
	if !ok {
		return
	}
	st, err := h.render.Status(r.Context(), p)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "internal error")
		return
	}
	writeAPI(w, http.StatusOK, st)
}

// apiCreateStatus posts a status. An Idempotency-Key makes a retried request return the first
// post instead of posting twice.
func (h *Handler) apiCreateStatus(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := mastodon.ReadForm(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, "the request body could not be read")
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if key != "" {
		if id, err := h.st.IdempotentPost(ctx, key); err == nil {
			if p, err := h.st.PostByID(ctx, id); err == nil {
				st, _ := h.render.Status(ctx, p)
				writeAPI(w, http.StatusOK, st)
				return
			}
		}
	}
	vis, ok := mastodon.StoredVisibility(f.Get("visibility"))
	if !ok {
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: Visibility is not included in the list")
		return
	}
	if f.Get("visibility") == "" {
		vis = "" // a reply's default is its parent's (DefaultVisibility)
	}
	in := app.PostInput{Text: f.Get("status"), Summary: f.Get("spoiler_text"), Sensitive: mastodon.Bool(f.Get("sensitive")),
		Visibility: vis, Language: f.Get("language")}
	if hasPoll(f) {
		if in.Poll, err = apiPollInput(f); err != nil {
			apiError(w, http.StatusUnprocessableEntity, "Validation failed: "+err.Error())
			return
		}
	}
	if id := f.Get("in_reply_to_id"); id != "" {
		if _, err := strconv.ParseInt(id, 10, 64); err != nil {
			apiError(w, http.StatusNotFound, "Record not found")
			return
		}
		in.InReplyTo = id
	}
	for _, v := range append(f["media_ids[]"], f["media_ids"]...) {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			apiError(w, http.StatusUnprocessableEntity, "Validation failed: media_ids are not valid")
			return
		}
		in.MediaIDs = append(in.MediaIDs, id)
	}
	at, ok := h.formScheduledAt(w, f)
	if !ok {
		return
	}
	if !at.IsZero() {
		h.apiScheduleStatus(w, r, in, at, key)
		return
	}
	p, err := h.app.Post(ctx, in)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			apiError(w, http.StatusNotFound, "Record not found")
			return
		}
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: "+h.userMessage(err))
		return
	}
	if key != "" {
		_ = h.st.SetIdempotentPost(ctx, key, p.ID)
	}
	st, err := h.render.Status(ctx, p)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "internal error")
		return
	}
	writeAPI(w, http.StatusOK, st)
}

func (h *Handler) apiDeleteStatus(w http.ResponseWriter, r *http.Request) {
	p, ok := h.apiPostParam(w, r)
	if !ok {
		return
	}
	if p.AccountID != h.app.Owner.Account.ID {
		apiError(w, http.StatusNotFound, "Record not found")
		return
	}
	st, _ := h.render.Status(r.Context(), p)
	if err := h.app.DeletePost(r.Context(), p.IRI); err != nil {
		h.apiActionError(w, err)
		return
	}
	writeAPI(w, http.StatusOK, st)
}

// apiStatusAction runs an action on the {id} status and answers the status as it is afterwards.
// Repeating an action (liking a liked post) is not an error, as on Mastodon.
func (h *Handler) apiStatusAction(act func(context.Context, string) (*store.Post, error), wrapBoost bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, ok := h.apiPostParam(w, r)
		if !ok {
			return
		}
		if _, err := act(ctx, p.IRI); err != nil && !isNoChange(err) {
			h.apiActionError(w, err)
			return
		}
		p, _ = h.st.PostByID(ctx, p.ID)
		st, err := h.render.Status(ctx, p)
		if err != nil {
			apiError(w, http.StatusInternalServerError, "internal error")
			return
		}
		if wrapBoost {
			// POST /reblog answers the new boost, wrapping the original.
			if b, err := h.st.BoostOf(ctx, h.app.Owner.Account.ID, p.ID); err == nil {
				if wrapped, err := h.render.Entry(ctx, store.Entry{ID: b.ID, PostID: p.ID, BoosterID: b.AccountID}); err == nil {
					st = wrapped
				}
			}
		}
		writeAPI(w, http.StatusOK, st)
	}
}

func (h *Handler) apiContext(w http.ResponseWriter, r *http.Request) {
	p, ok := h.apiPostParam(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if t := apiToken(r); t != nil && t.Owner {
		h.app.Backfill.Thread(ctx, p) // what Roost lacks of the thread, for the next load
	}
	out := mastodon.Context{Ancestors: []*mastodon.Status{}, Descendants: []*mastodon.Status{}}
	for parent, n := p, 0; parent.ReplyToID != 0 && n < 40; n++ {
		pp, err := h.st.PostByID(ctx, parent.ReplyToID)
		if err != nil || !pp.DeletedAt.IsZero() {
			break
		}
		if st, err := h.render.Status(ctx, pp); err == nil {
			out.Ancestors = append([]*mastodon.Status{st}, out.Ancestors...)
		}
		parent = pp
	}
	queue := []string{p.IRI}
	for len(queue) > 0 && len(out.Descendants) < 200 {
		iri := queue[0]
		queue = queue[1:]
		replies, _ := h.st.Replies(ctx, iri, 60)
		for _, rp := range replies {
			if st, err := h.render.Status(ctx, rp); err == nil {
				out.Descendants = append(out.Descendants, st)
				queue = append(queue, rp.IRI)
			}
		}
	}
	writeAPI(w, http.StatusOK, out)
}

// isNoChange reports whether an action failed only because its state already held.
func isNoChange(err error) bool {
	for _, e := range []error{app.ErrAlreadyLiked, app.ErrAlreadyBoosted, app.ErrNotLiked, app.ErrNotBoosted} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
