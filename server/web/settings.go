package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"roost/templates"
)

// zoneCookie holds the reader's time zone (an IANA name); pages show times in it.
const zoneCookie = "roost_tz"

// zone is the reader's time zone from their cookie, or UTC.
func (h *Handler) zone(r *http.Request) *time.Location {
	c, err := r.Cookie(zoneCookie)
	if err != nil || c.Value == "" {
		return time.UTC
	}
	name, err := url.QueryUnescape(c.Value)
	if err != nil {
		return time.UTC
	}
	return h.zones.load(name)
}

// showTimeZone is the time zone setting (GET /settings/time).
func (h *Handler) showTimeZone(w http.ResponseWriter, r *http.Request) {
	z := h.zone(r).String()
	if z == "UTC" {
		z = ""
	}
	h.render200(w, r, templates.TimeZonePage(h.ownerPage(r, "Time zone"), templates.TimeZone{Zone: z}))
}

// saveTimeZone keeps the zone in a cookie for a year (POST /settings/time).
func (h *Handler) saveTimeZone(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostFormValue("tz"))
	if name != "" && h.zones.load(name) == time.UTC && name != "UTC" {
		http.Redirect(w, r, "/settings/time?error="+url.QueryEscape(name+" is not a time zone this server knows; try a name such as Europe/Paris."), http.StatusSeeOther)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: zoneCookie, Value: url.QueryEscape(name), Path: "/", MaxAge: 365 * 24 * 3600,
		Secure: h.cfg.Scheme == "https", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	msg := "Times are shown in " + name + "."
	if name == "" {
		msg = "Times are shown in UTC."
	}
	http.Redirect(w, r, "/settings/time?notice="+url.QueryEscape(msg), http.StatusSeeOther)
}

// firstRun reports whether the owner has not started yet: no post, nobody followed, no
// follower. Signing in then opens the getting-started page instead of an empty home.
func (h *Handler) firstRun(ctx context.Context) bool {
	id := h.app.Owner.Account.ID
	posts, err := h.st.CountPosts(ctx, id, false)
	if err != nil || posts > 0 {
		return false
	}
	followers, following, err := h.st.CountFollows(ctx, id)
	return err == nil && followers == 0 && following == 0
}

// showWelcome is the first-run page (GET /settings/welcome).
func (h *Handler) showWelcome(w http.ResponseWriter, r *http.Request) {
	o, err := h.st.AccountByID(r.Context(), h.app.Owner.Account.ID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render200(w, r, templates.WelcomePage(h.ownerPage(r, "Welcome"), templates.Welcome{
		Handle: "@" + o.Username + "@" + h.cfg.HandleDomain, ProfileURL: o.URL,
		ServerURL: h.cfg.Scheme + "://" + h.cfg.Domain, HasProfile: o.AvatarURL != "" || o.Summary != "" || (o.DisplayName != "" && o.DisplayName != o.Username)}))
}
