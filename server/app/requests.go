package app

import (
	"crypto"
	"net/http"
	"time"

	"roost/server/auth"
	"roost/server/resolve"
	"roost/server/signature"
	"roost/store"
	"roost/store/access"
)

// What a request proves about who sends it, as every surface reads it: the owner's session
// cookie, an HTTP Signature on a GET, and from those the Viewer the visibility rule is asked for.

// Session lifetimes: a session lasts 30 days from its last use, and is touched at most hourly;
// however often it is used, it ends a year after sign-in (as Mastodon's remember-me does), so a
// stolen cookie kept busy does not work for ever.
const (
	SessionIdle  = 30 * 24 * time.Hour
	sessionTouch = time.Hour
	SessionMax   = 365 * 24 * time.Hour
)

// CookieName is the session cookie's name: __Host- prefixed on HTTPS, so the cookie is Secure,
// host-only and path-wide.
func (s *App) CookieName() string {
	if s.cfg.Scheme == "https" {
		return "__Host-roost"
	}
	return "roost_session"
}

// Session returns the owner's session the request's cookie names, or nil, and keeps a session in
// use alive (touched at most every sessionTouch).
func (s *App) Session(r *http.Request) *access.Session {
	c, err := r.Cookie(s.CookieName())
	if err != nil || c.Value == "" {
		return nil
	}
	se, err := s.Auth.SessionByID(r.Context(), auth.HashToken(c.Value))
	if err != nil {
		return nil
	}
	end := se.CreatedAt.Add(SessionMax)
	if time.Now().After(end) {
		return nil
	}
	if time.Since(se.SeenAt) > sessionTouch {
		expires := time.Now().Add(SessionIdle)
		if expires.After(end) {
			expires = end
		}
		_ = s.Auth.TouchSession(r.Context(), se.ID, expires)
	}
	return se
}

// VerifyGet checks the HTTP Signature of a GET (authorized fetch of a non-public object) and
// returns the signing actor.
func (s *App) VerifyGet(r *http.Request) (*store.Account, error) {
	params, err := signature.Check(r, nil, []string{s.cfg.Domain}, time.Now())
	if err != nil {
		return nil, err
	}
	if blocked, err := s.HostBlocked(r.Context(), params.KeyID); err != nil || blocked {
		return nil, resolve.ErrBlocked
	}
	return s.Resolve.VerifyKey(r.Context(), func(pub any) error { return signature.Verify(r, crypto.PublicKey(pub)) }, params.KeyID)
}

// RequestViewer is who a web, ActivityPub or media request comes from: the owner when it carries
// their session, else the actor whose signature on it verifies, else anonymous. Bearer tokens
// are for the client API only.
func (s *App) RequestViewer(r *http.Request) Viewer {
	if s.Session(r) != nil {
		return Viewer{Owner: true}
	}
	if r.Header.Get("Signature") == "" {
		return Viewer{}
	}
	a, err := s.VerifyGet(r)
	if err != nil {
		return Viewer{}
	}
	return Viewer{Actor: a}
}
