package mastoapi

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"roost/server/app"
	"roost/server/mastoapi/render"
	"roost/server/mastodon"
	"roost/store"
)

// Statuses

// apiOwnPost loads the {id} status, which must be the owner's.
func (h *Handler) apiOwnPost(w http.ResponseWriter, r *http.Request) (*store.Post, bool) {
	p, ok := h.apiPostParam(w, r)
	if ok && p.AccountID != h.app.Owner.Account.ID {
		apiError(w, http.StatusNotFound, "Record not found")
		return nil, false
	}
	return p, ok
}

// apiEditStatus edits one of the owner's statuses. Its attachments cannot change in an edit, so
// media_ids must name the ones it has (or be left out); sensitive follows the spoiler text, as in
// EditPost.
func (h *Handler) apiEditStatus(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, ok := h.apiOwnPost(w, r)
	if !ok {
		return
	}
	f, err := mastodon.ReadForm(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, "the request body could not be read")
		return
	}
	var poll *app.PollInput
	if hasPoll(f) {
		if poll, err = apiPollInput(f); err != nil {
			apiError(w, http.StatusUnprocessableEntity, "Validation failed: "+err.Error())
			return
		}
	}
	if ids := append(f["media_ids[]"], f["media_ids"]...); len(ids) > 0 {
		current, err := h.render.Status(ctx, p)
		if err != nil {
			h.apiServerError(w, r, err)
			return
		}
		same := len(ids) == len(current.MediaAttachments)
		for _, id := range ids {
			same = same && slices.ContainsFunc(current.MediaAttachments, func(m mastodon.MediaAttachment) bool { return m.ID == id })
		}
		if !same {
			apiError(w, http.StatusUnprocessableEntity, "Validation failed: attachments cannot be changed by an edit")
			return
		}
	}
	edited, err := h.app.EditPost(ctx, app.EditInput{Post: render.ID(p.ID), Text: f.Get("status"),
		Summary: f.Get("spoiler_text"), Poll: poll, RemovePoll: poll == nil})
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			apiError(w, http.StatusNotFound, "Record not found")
			return
		}
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: "+h.userMessage(err))
		return
	}
	if fresh, err := h.st.PostByID(ctx, edited.ID); err == nil {
		edited = fresh
	}
	st, err := h.render.Status(ctx, edited)
	if err != nil {
		h.apiServerError(w, r, err)
		return
	}
	writeAPI(w, http.StatusOK, st)
}

// apiStatusEdit is Mastodon's StatusEdit entity: one version of a status.
type apiStatusEdit struct {
	Content          string                     `json:"content"`
	SpoilerText      string                     `json:"spoiler_text"`
	Sensitive        bool                       `json:"sensitive"`
	CreatedAt        string                     `json:"created_at"`
	Account          *mastodon.Account          `json:"account"`
	Poll             any                        `json:"poll"`
	MediaAttachments []mastodon.MediaAttachment `json:"media_attachments"`
	Emojis           []mastodon.Emoji           `json:"emojis"`
}

// apiStatusHistory lists a status's versions, oldest first, ending with the current one. Roost
// keeps earlier text and spoiler text; attachments and sensitivity are the current ones.
func (h *Handler) apiStatusHistory(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, ok := h.apiPostParam(w, r)
	if !ok {
		return
	}
	cur, err := h.render.Status(ctx, p)
	if err != nil {
		h.apiServerError(w, r, err)
		return
	}
	edits, err := h.st.Edits(ctx, p.ID)
	if err != nil {
		h.apiServerError(w, r, err)
		return
	}
	version := func(content, summary string, at time.Time) apiStatusEdit {
		return apiStatusEdit{Content: content, SpoilerText: summary, Sensitive: p.Sensitive, CreatedAt: render.Time(at),
			Account: cur.Account, MediaAttachments: cur.MediaAttachments, Emojis: cur.Emojis}
	}
	out := []apiStatusEdit{}
	for _, e := range edits {
		out = append(out, version(e.Content, e.Summary, e.CreatedAt))
	}
	out = append(out, version(p.Content, p.Summary, render.FirstTime(p.Updated, p.Published)))
	writeAPI(w, http.StatusOK, out)
}

func (h *Handler) apiStatusSource(w http.ResponseWriter, r *http.Request) {
	if p, ok := h.apiOwnPost(w, r); ok {
		writeAPI(w, http.StatusOK, map[string]string{"id": render.ID(p.ID), "text": p.Source, "spoiler_text": p.Summary})
	}
}

// apiStatusReactors lists the accounts that liked or boosted the {id} status.
func (h *Handler) apiStatusReactors(list func(context.Context, int64, store.Page) ([]store.AccountItem, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := h.apiPostParam(w, r)
		if !ok {
			return
		}
		items, err := list(r.Context(), p.ID, storePage(mastodon.ParsePage(r.URL.Query(), 40, 80)))
		if err != nil {
			h.apiServerError(w, r, err)
			return
		}
		h.writeAccountItems(w, r, items)
	}
}
