package mastoapi

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"roost/server/mastoapi/render"
	"roost/server/mastodon"
)

// notificationTypes maps Roost's notification kinds to Mastodon's (they match).
var notificationTypes = []string{"follow", "follow_request", "mention", "quote", "reblog", "favourite", "move", "poll", "status"}

// emojiReaction is Pleroma's and Akkoma's notification type of an emoji reaction, which Roost
// keeps as a favourite with its emoji.
const emojiReaction = "pleroma:emoji_reaction"

func (h *Handler) apiNotifications(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	pg := mastodon.ParsePage(q, 15, 30)
	want := wantedTypes(q, true)
	out := []*mastodon.Notification{}
	if len(want) > 0 {
		list, err := h.st.Notifications(ctx, want, storePage(pg))
		if err != nil {
			apiError(w, http.StatusInternalServerError, "internal error")
			return
		}
		asked, excluded := append(q["types[]"], q["types"]...), append(q["exclude_types[]"], q["exclude_types"]...)
		for _, n := range list {
			api, err := h.render.Notification(ctx, n)
			if err != nil || len(asked) > 0 && !slices.Contains(asked, api.Type) || slices.Contains(excluded, api.Type) {
				continue // an emoji reaction (stored as a favourite) not asked for, or a favourite
			}
			out = append(out, api)
		}
	}
	if len(out) > 0 {
		mastodon.SetLink(w, r, h.app.Base, out[0].ID, out[len(out)-1].ID, len(out))
	}
	writeAPI(w, http.StatusOK, h.filterNotifications(ctx, out))
}

// wantedTypes reads types[] and exclude_types[]: the notification types a request asks for, as
// the store keeps them. With emoji, Pleroma's emoji reaction is one of them (a favourite in the
// store), asked for or left out on its own.
func wantedTypes(q url.Values, emoji bool) []string {
	types := append(q["types[]"], q["types"]...)
	exclude := append(q["exclude_types[]"], q["exclude_types"]...)
	if len(types) == 0 {
		types = notificationTypes
		if emoji {
			types = append(types[:len(types):len(types)], emojiReaction)
		}
	}
	var want []string
	for _, t := range types {
		if slices.Contains(exclude, t) {
			continue
		}
		if t == emojiReaction && emoji {
			t = "favourite" // stored as a favourite with its emoji (see render.Notification)
		}
		if slices.Contains(notificationTypes, t) && !slices.Contains(want, t) {
			want = append(want, t)
		}
	}
	return want
}

func (h *Handler) apiGetNotification(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	n, err := h.st.NotificationByID(ctx, id)
	if err != nil {
		apiError(w, http.StatusNotFound, "Record not found")
		return
	}
	api, err := h.render.Notification(ctx, *n)
	if err != nil {
		apiError(w, http.StatusNotFound, "Record not found")
		return
	}
	writeAPI(w, http.StatusOK, api)
}

func (h *Handler) apiDismissNotification(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err := h.st.DismissNotifications(r.Context(), id); err != nil {
		apiError(w, http.StatusNotFound, "Record not found")
		return
	}
	writeAPI(w, http.StatusOK, map[string]any{})
}

func (h *Handler) apiClearNotifications(w http.ResponseWriter, r *http.Request) {
	if err := h.st.DismissNotifications(r.Context(), 0); err != nil {
		apiError(w, http.StatusInternalServerError, "internal error")
		return
	}
	writeAPI(w, http.StatusOK, map[string]any{})
}

func (h *Handler) apiGetMarkers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	out := map[string]any{}
	for _, tl := range append(q["timeline[]"], q["timeline"]...) {
		if m, err := h.st.Marker(r.Context(), tl); err == nil {
			out[tl] = map[string]any{"last_read_id": m.LastReadID, "version": m.Version, "updated_at": render.Time(m.UpdatedAt)}
		}
	}
	writeAPI(w, http.StatusOK, out)
}

func (h *Handler) apiSetMarkers(w http.ResponseWriter, r *http.Request) {
	f, err := mastodon.ReadForm(r)
	if err != nil {
		apiError(w, http.StatusBadRequest, "the request body could not be read")
		return
	}
	out := map[string]any{}
	for _, tl := range []string{"home", "notifications"} {
		id := f.Get(tl + "[last_read_id]")
		if id == "" {
			continue
		}
		m, err := h.st.SetMarker(r.Context(), tl, id)
		if err != nil {
			apiError(w, http.StatusInternalServerError, "internal error")
			return
		}
		out[tl] = map[string]any{"last_read_id": m.LastReadID, "version": m.Version, "updated_at": render.Time(m.UpdatedAt)}
	}
	writeAPI(w, http.StatusOK, out)
}
