package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"roost/store"
	"roost/templates"
)

// Session lifetimes: a session lasts 30 days from its last use, and is touched at most hourly;
// however often it is used, it ends a year after sign-in (as Mastodon's remember-me does), so a
// stolen cookie kept busy does not work for ever.
const (
	sessionIdle  = 30 * 24 * time.Hour
	sessionTouch = time.Hour
	sessionMax   = 365 * 24 * time.Hour
)

type ctxKey int

const sessionKey ctxKey = iota

// cookieName is __Host- prefixed on HTTPS, so the cookie is Secure, host-only and path-wide.
func (s *Server) cookieName() string {
	if s.cfg.Scheme == "https" {
		return "__Host-roost"
	}
	return "roost_session"
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// session returns the signed-in session of the request, or nil.
func (s *Server) session(r *http.Request) *store.Session {
	if se, ok := r.Context().Value(sessionKey).(*store.Session); ok {
		return se
	}
	c, err := r.Cookie(s.cookieName())
	if err != nil || c.Value == "" {
		return nil
	}
	se, err := s.st.SessionByID(r.Context(), hashToken(c.Value))
	if err != nil {
		return nil
	}
	end := se.CreatedAt.Add(sessionMax)
	if time.Now().After(end) {
		return nil
	}
	if time.Since(se.SeenAt) > sessionTouch {
		expires := time.Now().Add(sessionIdle)
		if expires.After(end) {
			expires = end
		}
		_ = s.st.TouchSession(r.Context(), se.ID, expires)
	}
	return se
}

// signedIn wraps a handler of the owner's interface: it requires a session (GET requests are sent
// to the login page, others refused) and, for state-changing methods, the session's CSRF token in
// the form, on top of the cross-origin check that wraps every route.
func (s *Server) signedIn(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		se := s.session(r)
		if se == nil {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			http.Error(w, "sign in first", http.StatusForbidden)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			limit := int64(1 << 20)
			if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
				limit = MaxAttachments*s.cfg.MaxUploadBytes + 1<<20 // four images, or avatar and header
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(se.CSRF)) != 1 {
				http.Error(w, "the form expired or came from another site; reload the page and try again", http.StatusForbidden)
				return
			}
		}
		w.Header().Set("Cache-Control", "private, no-store")
		h(w, r.WithContext(context.WithValue(r.Context(), sessionKey, se)))
	}
}

// throttle limits failed logins: 5 per 15 minutes per client address (an IPv6 client's whole
// /64, which one host usually has) and 25 per hour in all (a single-user server has one account,
// so the owner-wide limit is what bounds a guesser with many addresses). One address alone can
// fail at most 20 times an hour, so it cannot lock the owner out everywhere.
type throttle struct {
	mu     sync.Mutex
	byIP   map[string][]time.Time
	global []time.Time
}

const (
	loginsPerIP     = 5
	loginIPWindow   = 15 * time.Minute
	loginsPerOwner  = 25
	loginOwnerWindw = time.Hour
)

func recent(ts []time.Time, window time.Duration, now time.Time) []time.Time {
	i := 0
	for i < len(ts) && now.Sub(ts[i]) > window {
		i++
	}
	return ts[i:]
}

// allow reports whether a login attempt from ip may proceed, and if not, how long to wait.
func (t *throttle) allow(ip string, now time.Time) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byIP == nil {
		t.byIP = map[string][]time.Time{}
	}
	t.byIP[ip] = recent(t.byIP[ip], loginIPWindow, now)
	t.global = recent(t.global, loginOwnerWindw, now)
	if l := t.byIP[ip]; len(l) >= loginsPerIP {
		return false, loginIPWindow - now.Sub(l[0])
	}
	if len(t.global) >= loginsPerOwner {
		return false, loginOwnerWindw - now.Sub(t.global[0])
	}
	return true, 0
}

func (t *throttle) fail(ip string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.byIP) > 10000 {
		clear(t.byIP)
	}
	t.byIP[ip] = append(t.byIP[ip], now)
	t.global = append(t.global, now)
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// throttleKey is the address the login throttle counts a client by: an IPv4 address, or the /64
// an IPv6 address is in.
func throttleKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is6() || a.Is4In6() {
		return ip
	}
	p, _ := a.Prefix(64)
	return p.String()
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

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request) {
	if s.session(r) != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.render200(w, r, templates.LoginPage(s.page("Sign in"), templates.Login{Next: safeNext(r.URL.Query().Get("next"))}))
}

// login checks the owner's password and starts a new session (a fresh token every time, so a
// token planted before login is worthless).
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	next := safeNext(r.PostFormValue("next"))
	ip, now := throttleKey(clientIP(r)), time.Now()
	if ok, wait := s.logins.allow(ip, now); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		s.render(w, r, http.StatusTooManyRequests, templates.LoginPage(s.page("Sign in"),
			templates.Login{Next: next, Error: "Too many failed attempts. Wait a few minutes and try again."}))
		return
	}
	o, err := s.st.Owner(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if !CheckPassword(o.PasswordHash, r.PostFormValue("password")) {
		s.logins.fail(ip, now)
		s.render(w, r, http.StatusUnauthorized, templates.LoginPage(s.page("Sign in"),
			templates.Login{Next: next, Error: "That password is not right."}))
		return
	}
	if err := s.startSession(w, r); err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) startSession(w http.ResponseWriter, r *http.Request) error {
	token := randomToken(32)
	se := &store.Session{ID: hashToken(token), CSRF: randomToken(24), ExpiresAt: time.Now().Add(sessionIdle),
		UserAgent: r.UserAgent(), IP: clientIP(r)}
	if err := s.st.CreateSession(r.Context(), se); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: token, Path: "/", HttpOnly: true,
		Secure: s.cfg.Scheme == "https", SameSite: http.SameSiteLaxMode, MaxAge: int(sessionIdle.Seconds())})
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	se := s.session(r)
	if err := s.st.DeleteSession(r.Context(), se.ID); err != nil {
		s.serverError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: "", Path: "/", HttpOnly: true,
		Secure: s.cfg.Scheme == "https", SameSite: http.SameSiteLaxMode, MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// MinPasswordLength is the shortest password the owner may choose.
const MinPasswordLength = 10

// errWeakPassword is returned for a password shorter than MinPasswordLength.
var errWeakPassword = errors.New("use at least 10 characters")

// SetPassword replaces the owner's password and signs out every session except keep.
func (s *Server) SetPassword(ctx context.Context, password, keep string) error {
	if len([]rune(password)) < MinPasswordLength {
		return errWeakPassword
	}
	if err := s.st.SetPasswordHash(ctx, HashPassword(password)); err != nil {
		return err
	}
	return s.st.DeleteSessions(ctx, keep)
}

func (s *Server) showPassword(w http.ResponseWriter, r *http.Request) {
	s.render200(w, r, templates.PasswordPage(s.ownerPage(r, "Change password"), templates.PasswordForm{}))
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	se := s.session(r)
	o, err := s.st.Owner(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	fail := func(msg string) {
		s.render(w, r, http.StatusUnprocessableEntity, templates.PasswordPage(s.ownerPage(r, "Change password"),
			templates.PasswordForm{Error: msg}))
	}
	if !CheckPassword(o.PasswordHash, r.PostFormValue("current")) {
		fail("The current password is not right.")
		return
	}
	if r.PostFormValue("new") != r.PostFormValue("confirm") {
		fail("The new passwords do not match.")
		return
	}
	if err := s.SetPassword(r.Context(), r.PostFormValue("new"), se.ID); errors.Is(err, errWeakPassword) {
		fail("The new password is too short: " + err.Error() + ".")
		return
	} else if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render200(w, r, templates.PasswordPage(s.ownerPage(r, "Change password"),
		templates.PasswordForm{Done: true}))
}
