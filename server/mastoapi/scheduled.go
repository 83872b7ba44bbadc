package mastoapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"roost/server/app"
	"roost/server/mastoapi/oauth"
	"roost/server/mastoapi/render"
	"roost/server/mastodon"
	"roost/store"
	"roost/store/scheduled"
)

// Scheduled statuses (docs.joinmastodon.org/methods/scheduled_statuses): POST /api/v1/statuses
// with a scheduled_at keeps the post for later (app.Schedule) and answers a ScheduledStatus;
// these routes list, show, move and cancel the waiting ones.

// scheduledRoutes registers /api/v1/scheduled_statuses, with Mastodon's scopes.
func (h *Handler) scheduledRoutes(mux *http.ServeMux) {
	auth := func(pattern, scope string, fn http.HandlerFunc) { mux.HandleFunc(pattern, h.apiAuth(scope, fn)) }
	auth("GET /api/v1/scheduled_statuses", "read:statuses", h.apiScheduledStatuses)
	auth("GET /api/v1/scheduled_statuses/{id}", "read:statuses", h.apiGetScheduledStatus)
	auth("PUT /api/v1/scheduled_statuses/{id}", "write:statuses", h.apiRescheduleStatus)
	auth("DELETE /api/v1/scheduled_statuses/{id}", "write:statuses", h.apiCancelScheduledStatus)
}

// parseScheduledAt reads a scheduled_at parameter as Rails' to_datetime does: ISO 8601 with a
// zone offset, or without one (then UTC). ok is false for a value that is not a time.
func parseScheduledAt(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04Z07:00",
		"2006-01-02T15:04", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// formScheduledAt reads a status form's scheduled_at: the zero time when the post is to be
// published now (absent, empty, or not in the future, as Mastodon's PostStatusService treats a
// time in the past), false after answering a value that is not a time.
func (h *Handler) formScheduledAt(w http.ResponseWriter, f url.Values) (time.Time, bool) {
	v := f.Get("scheduled_at")
	if strings.TrimSpace(v) == "" {
		return time.Time{}, true
	}
	at, ok := parseScheduledAt(v)
	if !ok {
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: Scheduled at is not a valid time")
		return time.Time{}, false
	}
	if !at.After(h.st.Now()) {
		return time.Time{}, true
	}
	return at, true
}

// apiScheduleStatus keeps the post of POST /api/v1/statuses for at and answers the
// ScheduledStatus; a repeated Idempotency-Key answers the one already waiting.
func (h *Handler) apiScheduleStatus(w http.ResponseWriter, r *http.Request, in app.PostInput, at time.Time, key string) {
	ctx := r.Context()
	if in.InReplyTo != "" {
		// Mastodon looks the parent up before scheduling (StatusesController#set_thread).
		id, _ := strconv.ParseInt(in.InReplyTo, 10, 64)
		if p, err := h.st.PostByID(ctx, id); err != nil || !p.DeletedAt.IsZero() || !h.app.MaySee(ctx, oauth.Viewer(ctx), p) {
			apiError(w, http.StatusNotFound, "The post you are trying to reply to does not appear to exist.")
			return
		}
	}
	sin := app.ScheduleInput{Post: in, At: at, Idempotency: key}
	if t := apiToken(r); t != nil {
		sin.AppID = t.AppID
		if a, err := h.app.Auth.AppByID(ctx, t.AppID); err == nil {
			sin.AppName = a.Name
		}
	}
	sc, err := h.app.Schedule(ctx, sin)
	if err != nil {
		h.apiScheduleError(w, err)
		return
	}
	h.writeScheduled(w, r, sc)
}

// apiScheduleError answers a refused schedule: Mastodon's validation messages with 422.
func (h *Handler) apiScheduleError(w http.ResponseWriter, err error) {
	kind, msg := app.ErrorOf(err)
	switch {
	case kind != app.Invalid:
		h.apiActionError(w, err)
	case errors.Is(err, scheduled.ErrScheduleTooSoon):
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: Scheduled at "+msg)
	default:
		apiError(w, http.StatusUnprocessableEntity, "Validation failed: "+msg)
	}
}

// apiScheduled is a scheduled post as Mastodon's ScheduledStatus entity, with its reserved
// uploads.
func (h *Handler) apiScheduled(sc *scheduled.Scheduled, media []*store.Media) mastodon.ScheduledStatus {
	p := sc.Params
	out := mastodon.ScheduledStatus{ID: render.ID(sc.ID), ScheduledAt: render.Time(sc.ScheduledAt),
		Params: mastodon.StatusParams{Text: p.Text}, MediaAttachments: []mastodon.MediaAttachment{}}
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	out.Params.SpoilerText, out.Params.Language, out.Params.InReplyToID = opt(p.SpoilerText), opt(p.Language), opt(p.InReplyToID)
	if p.Visibility != "" {
		out.Params.Visibility = opt(mastodon.Visibility(p.Visibility))
	}
	if p.Sensitive {
		out.Params.Sensitive = &p.Sensitive
	}
	if p.AppID != 0 {
		out.Params.ApplicationID = &p.AppID
	}
	for _, id := range p.MediaIDs {
		out.Params.MediaIDs = append(out.Params.MediaIDs, render.ID(id))
	}
	if p.Poll != nil {
		out.Params.Poll = &mastodon.PollParams{Options: p.Poll.Options, ExpiresIn: strconv.FormatInt(p.Poll.ExpiresIn, 10),
			Multiple: p.Poll.Multiple, HideTotals: p.Poll.HideTotals}
	}
	for _, m := range media {
		out.MediaAttachments = append(out.MediaAttachments, h.render.Media(m))
	}
	return out
}

// scheduledEntities converts scheduled posts to ScheduledStatus entities, their uploads looked
// up at once.
func (h *Handler) scheduledEntities(ctx context.Context, list []*scheduled.Scheduled) ([]mastodon.ScheduledStatus, error) {
	ids := make([]int64, len(list))
	for i, sc := range list {
		ids[i] = sc.ID
	}
	media, err := h.st.ScheduledMedia(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]mastodon.ScheduledStatus, len(list))
	for i, sc := range list {
		out[i] = h.apiScheduled(sc, media[sc.ID])
	}
	return out, nil
}

// writeScheduled answers one scheduled post.
func (h *Handler) writeScheduled(w http.ResponseWriter, r *http.Request, sc *scheduled.Scheduled) {
	out, err := h.scheduledEntities(r.Context(), []*scheduled.Scheduled{sc})
	if err != nil {
		h.apiServerError(w, r, err)
		return
	}
	writeAPI(w, http.StatusOK, out[0])
}

// apiScheduledStatuses answers GET /api/v1/scheduled_statuses: the waiting posts, newest
// first, paged by ID with Link headers.
func (h *Handler) apiScheduledStatuses(w http.ResponseWriter, r *http.Request) {
	pg := mastodon.ParsePage(r.URL.Query(), 20, 40)
	list, err := h.app.Scheduled.ListScheduled(r.Context(), storePage(pg))
	if err != nil {
		h.apiServerError(w, r, err)
		return
	}
	out, err := h.scheduledEntities(r.Context(), list)
	if err != nil {
		h.apiServerError(w, r, err)
		return
	}
	if len(out) > 0 {
		mastodon.SetLink(w, r, h.app.Base, out[0].ID, out[len(out)-1].ID, len(out))
	}
	writeAPI(w, http.StatusOK, out)
}

// scheduledParam loads the {id} scheduled post, answering 404 when there is none.
func (h *Handler) scheduledParam(w http.ResponseWriter, r *http.Request) (*scheduled.Scheduled, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		sc, err := h.app.Scheduled.ScheduledByID(r.Context(), id)
		if err == nil {
			return sc, true
		}
		if !errors.Is(err, store.ErrNotFound) {
			h.apiServerError(w, r, err)
			return nil, false
		}
	}
	apiError(w, http.StatusNotFound, "Record not found")
	return nil, false
}

func (h *Handler) apiGetScheduledStatus(w http.ResponseWriter, r *http.Request) {
	if sc, ok := h.scheduledParam(w, r); ok {
		h.writeScheduled(w, r, sc)
	}
}

// apiRescheduleStatus answers PUT /api/v1/scheduled_statuses/{id}, which moves the post to its
// scheduled_at (the only parameter Mastodon takes).
func (h *Handler) apiRescheduleStatus(w http.ResponseWriter, r *http.Request) {
	f, err := mastodon.ReadForm(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, "the request body could not be read")
		return
	}
	sc, ok := h.scheduledParam(w, r)
	if !ok {
		return
	}
	if v := f.Get("scheduled_at"); v != "" {
		at, ok := parseScheduledAt(v)
		if !ok {
			apiError(w, http.StatusUnprocessableEntity, "Validation failed: Scheduled at is not a valid time")
			return
		}
		if sc, err = h.app.Reschedule(r.Context(), sc.ID, at); err != nil {
			h.apiScheduleError(w, err)
			return
		}
	}
	h.writeScheduled(w, r, sc)
}

// apiCancelScheduledStatus answers DELETE /api/v1/scheduled_statuses/{id} with {}, as Mastodon
// does; the post's uploads become unattached ones again.
func (h *Handler) apiCancelScheduledStatus(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		apiError(w, http.StatusNotFound, "Record not found")
		return
	}
	if err := h.app.CancelScheduled(r.Context(), id); err != nil {
		h.apiActionError(w, err)
		return
	}
	writeAPI(w, http.StatusOK, struct{}{})
}
