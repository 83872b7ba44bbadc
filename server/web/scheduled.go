package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"roost/server/app"
	"roost/store"
	"roost/store/scheduled"
	"roost/templates"
)

// The owner's scheduled posts: the compose form's "schedule for" keeps a post for later
// (app.Schedule), and /scheduled lists the waiting ones to move or cancel. Times are read and
// shown in the reader's time zone (Settings, Time zone; UTC until one is set), as every time on
// the owner's pages.

// parseScheduleField reads a datetime-local value (minutes, or seconds when the browser sends
// them) in the reader's zone.
func parseScheduleField(v string, zone *time.Location) (time.Time, bool) {
	for _, layout := range []string{templates.ScheduleLayout, "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, strings.TrimSpace(v), zone); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// scheduleMessage is a refused schedule as the owner is told it.
func (h *Handler) scheduleMessage(err error) string {
	if errors.Is(err, scheduled.ErrScheduleTooSoon) {
		return "the time " + h.ownerMessage(err)
	}
	return h.ownerMessage(err)
}

// schedulePost keeps the compose form's post for the time in its schedule_at field; a refusal
// comes back in the form, as savePost's do.
func (h *Handler) schedulePost(w http.ResponseWriter, r *http.Request, in app.PostInput, field string) {
	at, ok := parseScheduleField(field, h.zone(r))
	if !ok {
		h.refusePost(w, r, in.MediaIDs, "Not scheduled: give the date and time to publish at.")
		return
	}
	if _, err := h.app.Schedule(r.Context(), app.ScheduleInput{Post: in, At: at}); err != nil {
		h.log.Info("schedule refused", "err", err)
		h.refusePost(w, r, in.MediaIDs, "Not scheduled: "+h.scheduleMessage(err))
		return
	}
	http.Redirect(w, r, "/scheduled?notice="+url.QueryEscape("Scheduled for "+at.In(h.zone(r)).Format("2006-01-02 15:04 MST")+"."),
		http.StatusSeeOther)
}

// showScheduled renders /scheduled: the waiting posts, newest first as they were written.
func (h *Handler) showScheduled(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	maxID, _ := strconv.ParseInt(r.URL.Query().Get("max_id"), 10, 64)
	const pageSize = 40
	list, err := h.app.Scheduled.ListScheduled(ctx, store.Page{MaxID: maxID, Limit: pageSize})
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	ids := make([]int64, len(list))
	for i, sc := range list {
		ids[i] = sc.ID
	}
	media, err := h.st.ScheduledMedia(ctx, ids)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	var page templates.Scheduled
	for _, sc := range list {
		p := sc.Params
		it := templates.ScheduledPost{ID: strconv.FormatInt(sc.ID, 10), Text: p.Text, Summary: p.SpoilerText,
			Visibility: visibilityLabel(p.Visibility), At: sc.ScheduledAt, Images: len(media[sc.ID])}
		if p.Poll != nil {
			it.Poll = p.Poll.Options
		}
		if p.InReplyToID != "" {
			if parent, err := h.app.FindPost(ctx, p.InReplyToID); err == nil {
				it.ReplyTo = parent.URL
			}
		}
		page.Items = append(page.Items, it)
	}
	if len(list) == pageSize {
		page.OlderURL = "/scheduled?max_id=" + strconv.FormatInt(list[len(list)-1].ID, 10)
	}
	h.render200(w, r, templates.ScheduledPage(h.ownerPage(r, "Scheduled posts"), page))
}

// visibilityLabel is a scheduled post's visibility as the compose form words it.
func visibilityLabel(vis string) string {
	switch vis {
	case store.Private:
		return "followers only"
	case "direct":
		return "mentioned people only"
	case "unlisted":
		return "unlisted"
	}
	return "public"
}

// formScheduledID reads the id field of the scheduled posts' forms.
func formScheduledID(r *http.Request) int64 {
	id, _ := strconv.ParseInt(r.PostFormValue("id"), 10, 64)
	return id
}

// cancelScheduled deletes the scheduled post of the form's id.
func (h *Handler) cancelScheduled(w http.ResponseWriter, r *http.Request) {
	if err := h.app.CancelScheduled(r.Context(), formScheduledID(r)); err != nil {
		backTo(w, r, "/scheduled", "error", h.ownerMessage(err))
		return
	}
	backTo(w, r, "/scheduled", "notice", "Scheduled post cancelled.")
}

// reschedule moves the scheduled post of the form's id to its schedule_at.
func (h *Handler) reschedule(w http.ResponseWriter, r *http.Request) {
	at, ok := parseScheduleField(r.PostFormValue("schedule_at"), h.zone(r))
	if !ok {
		backTo(w, r, "/scheduled", "error", "Give the date and time to publish at.")
		return
	}
	if _, err := h.app.Reschedule(r.Context(), formScheduledID(r), at); err != nil {
		backTo(w, r, "/scheduled", "error", "Not moved: "+h.scheduleMessage(err))
		return
	}
	backTo(w, r, "/scheduled", "notice", "Rescheduled for "+at.In(h.zone(r)).Format("2006-01-02 15:04 MST")+".")
}
