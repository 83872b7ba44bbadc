package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"roost/server/app"
	"roost/server/auth"
	"roost/server/clientip"
	"roost/store/access"
	"roost/templates"
)

type ctxKey int

const sessionKey ctxKey = iota

// session returns the signed-in session of the request, or nil: the one signedIn found, or the
// one its cookie names.
func (h *Handler) session(r *http.Request) *access.Session {
	if se, ok := r.Context().Value(sessionKey).(*access.Session); ok {
		return se
	}
	return h.app.Session(r)
}

// The answers to a form sent without a session, or without the session's CSRF token.
const (
	msgSignInFirst = "sign in first"
	msgFormExpired = "the form expired or came from another site; reload the page and try again"
)

// signedIn wraps a handler of the owner's interface: it requires a session (GET requests are sent
// to the login page, others refused) and, for state-changing methods, the session's CSRF token in
// the form, on top of the cross-origin check that wraps every route.
func (h *Handler) signedIn(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		se := h.session(r)
		if se == nil {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			http.Error(w, msgSignInFirst, http.StatusForbidden)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			limit := int64(1 << 20)
			if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
				limit = app.MaxAttachments*h.cfg.MaxUploadBytes + 1<<20 // four images, or avatar and header
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(se.CSRF)) != 1 {
				http.Error(w, msgFormExpired, http.StatusForbidden)
				return
			}
		}
		w.Header().Set("Cache-Control", "private, no-store")
		next(w, r.WithContext(context.WithValue(r.Context(), sessionKey, se)))
	}
}

// throttle limits password attempts (sign-in and the owner's re-authentication), counting each
// before its hash is computed, so guesses sent together are refused rather than hashed. An
// attempt counts against its address (an IPv4 address, or the /64 an IPv6 host usually has) and,
// from a browser that never signed in, against its network (IPv4 /24, IPv6 /48) and the owner as
// a whole; a single-user server has one account, so the owner-wide limit is what bounds a guesser
// with many addresses. A browser that signed in before (a known device, see deviceOf) counts
// against its address and itself instead, so guessers elsewhere cannot lock the owner out.
// A correct password takes its attempt back.
type throttle struct {
	mu   sync.Mutex
	hits map[string][]time.Time // key (see loginKeys.limits) -> attempts within its window
}

const (
	loginsPerIP       = 5
	loginIPWindow     = 15 * time.Minute
	loginsPerNet      = 15
	loginNetWindow    = time.Hour
	loginsPerOwner    = 25
	loginOwnerWindw   = time.Hour
	loginsPerDevice   = 10
	loginDeviceWindow = time.Hour
)

// loginKeys says who an attempt comes from.
type loginKeys struct {
	addr, network string
	device        string // a known device's id, or ""
}

type loginLimit struct {
	key    string
	n      int
	window time.Duration
}

// limits are the counters an attempt is held to and counted in.
func (k loginKeys) limits() []loginLimit {
	l := []loginLimit{{"addr " + k.addr, loginsPerIP, loginIPWindow}}
	if k.device != "" {
		return append(l, loginLimit{"device " + k.device, loginsPerDevice, loginDeviceWindow})
	}
	return append(l, loginLimit{"net " + k.network, loginsPerNet, loginNetWindow},
		loginLimit{"owner", loginsPerOwner, loginOwnerWindw})
}

func recent(ts []time.Time, window time.Duration, now time.Time) []time.Time {
	i := 0
	for i < len(ts) && now.Sub(ts[i]) > window {
		i++
	}
	return ts[i:]
}

// begin counts an attempt, or reports that k may not try now and how long to wait.
func (t *throttle) begin(k loginKeys, now time.Time) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.hits == nil || len(t.hits) > 10000 {
		t.hits = map[string][]time.Time{}
	}
	limits := k.limits()
	for _, l := range limits {
		t.hits[l.key] = recent(t.hits[l.key], l.window, now)
		if h := t.hits[l.key]; len(h) >= l.n {
			return false, l.window - now.Sub(h[0])
		}
	}
	for _, l := range limits {
		t.hits[l.key] = append(t.hits[l.key], now)
	}
	return true, 0
}

// forget takes back the attempt begun at now, which gave the right password.
func (t *throttle) forget(k loginKeys, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, l := range k.limits() {
		h := t.hits[l.key]
		if i := slices.Index(h, now); i >= 0 {
			t.hits[l.key] = slices.Delete(h, i, i+1)
		}
	}
}

// Known devices: a successful sign-in leaves a signed cookie (an id and an expiry, with an HMAC
// made with a key derived from the instance key) that lets that browser sign in again when the
// owner-wide or network limits are reached.
const deviceLifetime = 365 * 24 * time.Hour

// devicePurpose keys the known-device cookie's HMAC.
const devicePurpose = "roost known device"

func (h *Handler) deviceCookieName() string {
	if h.cfg.Scheme == "https" {
		return "__Host-roost-device"
	}
	return "roost_device"
}

// signedValue is a cookie value that only this server makes: a random id and an expiry, with an
// HMAC made with a key derived from the instance key for purpose.
func (h *Handler) signedValue(purpose string, lifetime time.Duration) string {
	payload := auth.RandomToken(16) + "." + strconv.FormatInt(time.Now().Add(lifetime).Unix(), 10)
	return payload + "." + h.valueMAC(purpose, payload)
}

// checkSigned returns the id of a value made by signedValue for purpose, and whether it is
// genuine and not expired.
func (h *Handler) checkSigned(purpose, value string) (string, bool) {
	id, rest, _ := strings.Cut(value, ".")
	exp, mac, _ := strings.Cut(rest, ".")
	until, err := strconv.ParseInt(exp, 10, 64)
	return id, err == nil && time.Now().Unix() < until && hmac.Equal([]byte(mac), []byte(h.valueMAC(purpose, id+"."+exp)))
}

func (h *Handler) valueMAC(purpose, payload string) string {
	key := sha256.Sum256([]byte(purpose + "\x00" + h.app.Owner.InstanceKeyPEM))
	m := hmac.New(sha256.New, key[:])
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// rememberDevice marks the browser of a successful sign-in as a known device.
func (h *Handler) rememberDevice(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: h.deviceCookieName(), Value: h.signedValue(devicePurpose, deviceLifetime),
		Path: "/", HttpOnly: true, Secure: h.cfg.Scheme == "https", SameSite: http.SameSiteLaxMode,
		MaxAge: int(deviceLifetime.Seconds())})
}

// deviceOf is the id of the request's known device: from its device cookie, or its session (a
// session was made by a sign-in); "" for a browser that never signed in.
func (h *Handler) deviceOf(r *http.Request) string {
	if c, err := r.Cookie(h.deviceCookieName()); err == nil {
		if id, ok := h.checkSigned(devicePurpose, c.Value); ok {
			return id
		}
	}
	if se := h.session(r); se != nil {
		return "session " + se.ID
	}
	return ""
}

// checkOwnerPassword checks password against the owner's, for sign-in and the owner's sensitive
// actions, through the throttle: when the request may not try now it returns the wait. The
// attempt is counted before the hash, and hashes run one at a time (App.CheckOwnerPassword).
func (h *Handler) checkOwnerPassword(r *http.Request, password string) (ok bool, wait time.Duration, err error) {
	ip := clientip.Of(r)
	k, now := loginKeys{addr: clientip.Key(ip), network: clientip.Network(ip), device: h.deviceOf(r)}, time.Now()
	if ok, wait := h.logins.begin(k, now); !ok {
		return false, wait, nil
	}
	ok, err = h.app.CheckOwnerPassword(r.Context(), password)
	if err != nil || !ok {
		return false, 0, err
	}
	h.logins.forget(k, now)
	return true, 0, nil
}

// safeNext returns next when it is a path on this site, else "/home".
func safeNext(next string) string {
	// Browsers drop tabs and newlines from URLs, so "/\t/evil.example" would become
	// "//evil.example": no control characters or spaces at all.
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsFunc(next, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return "/home"
	}
	return next
}

func (h *Handler) showLogin(w http.ResponseWriter, r *http.Request) {
	if h.session(r) != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	h.render200(w, r, templates.LoginPage(h.page(r.Context(), "Sign in"), templates.Login{Next: safeNext(r.URL.Query().Get("next"))}))
}

const tooManyAttempts = "Too many failed attempts. Wait a few minutes and try again."

// login checks the owner's password and starts a new session (a fresh token every time, so a
// token planted before login is worthless).
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	next := safeNext(r.PostFormValue("next"))
	ok, wait, err := h.checkOwnerPassword(r, r.PostFormValue("password"))
	if wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		h.render(w, r, http.StatusTooManyRequests, templates.LoginPage(h.page(r.Context(), "Sign in"),
			templates.Login{Next: next, Error: tooManyAttempts}))
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if !ok {
		h.render(w, r, http.StatusUnauthorized, templates.LoginPage(h.page(r.Context(), "Sign in"),
			templates.Login{Next: next, Error: "That password is not right."}))
		return
	}
	if on, err := h.app.Auth.SecondFactorOn(r.Context()); err != nil {
		h.serverError(w, r, err)
		return
	} else if on {
		h.beginSecondStep(w, r, next)
		return
	}
	if err := h.startSession(w, r); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.rememberDevice(w)
	if next == "/home" && h.firstRun(r.Context()) {
		next = "/settings/welcome" // what a new owner needs first: the handle, the profile, apps
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *Handler) startSession(w http.ResponseWriter, r *http.Request) error {
	token := auth.RandomToken(32)
	se := &access.Session{ID: auth.HashToken(token), CSRF: auth.RandomToken(24), ExpiresAt: time.Now().Add(app.SessionIdle),
		UserAgent: r.UserAgent(), IP: clientip.Of(r)}
	if err := h.app.Auth.CreateSession(r.Context(), se); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: h.app.CookieName(), Value: token, Path: "/", HttpOnly: true,
		Secure: h.cfg.Scheme == "https", SameSite: http.SameSiteLaxMode, MaxAge: int(app.SessionIdle.Seconds())})
	return nil
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	se := h.session(r)
	if err := h.app.Auth.DeleteSession(r.Context(), se.ID); err != nil {
		h.serverError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: h.app.CookieName(), Value: "", Path: "/", HttpOnly: true,
		Secure: h.cfg.Scheme == "https", SameSite: http.SameSiteLaxMode, MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (h *Handler) showPassword(w http.ResponseWriter, r *http.Request) {
	h.render200(w, r, templates.PasswordPage(h.ownerPage(r, "Change password"), templates.PasswordForm{}))
}

func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request) {
	se := h.session(r)
	fail := func(msg string) {
		h.render(w, r, http.StatusUnprocessableEntity, templates.PasswordPage(h.ownerPage(r, "Change password"),
			templates.PasswordForm{Error: msg}))
	}
	ok, wait, err := h.checkOwnerPassword(r, r.PostFormValue("current"))
	if wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		h.render(w, r, http.StatusTooManyRequests, templates.PasswordPage(h.ownerPage(r, "Change password"),
			templates.PasswordForm{Error: tooManyAttempts}))
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if !ok {
		fail("The current password is not right.")
		return
	}
	if r.PostFormValue("new") != r.PostFormValue("confirm") {
		fail("The new passwords do not match.")
		return
	}
	if err := h.app.SetPassword(r.Context(), r.PostFormValue("new"), se.ID); errors.Is(err, app.ErrWeakPassword) {
		fail("The new password is too short: " + err.Error() + ".")
		return
	} else if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render200(w, r, templates.PasswordPage(h.ownerPage(r, "Change password"),
		templates.PasswordForm{Done: true}))
}

// reauthenticated checks the password the owner typed again (the form's "password") before a
// sensitive action, through the same throttle as sign-in; when it is wrong it sends the owner back
// to page with the reason and returns false.
func (h *Handler) reauthenticated(w http.ResponseWriter, r *http.Request, page string) bool {
	ok, wait, err := h.checkOwnerPassword(r, r.PostFormValue("password"))
	switch {
	case wait > 0:
		http.Redirect(w, r, page+"?error="+url.QueryEscape(tooManyAttempts), http.StatusSeeOther)
	case err != nil:
		h.serverError(w, r, err)
	case !ok:
		http.Redirect(w, r, page+"?error="+url.QueryEscape("Your password is not right; nothing was changed."), http.StatusSeeOther)
	}
	return ok
}
