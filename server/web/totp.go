package web

import (
	"context"
	"crypto/hmac"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"roost/server/auth"
	"roost/server/clientip"
	"roost/store"
	"roost/templates"
)

// secondFactorTime is how long the sign-in's second step may take after the password.
const secondFactorTime = 5 * time.Minute

// mountTOTP registers the second-factor settings and the sign-in's second step.
func (h *Handler) mountTOTP(mux *http.ServeMux) {
	mux.HandleFunc("GET /settings/security", h.signedIn(h.showSecurity))
	mux.HandleFunc("POST /settings/security/totp/start", h.signedIn(h.startTOTP))
	mux.HandleFunc("POST /settings/security/totp/enable", h.signedIn(h.enableTOTP))
	mux.HandleFunc("POST /settings/security/totp/disable", h.signedIn(h.disableTOTP))
	mux.HandleFunc("POST /login/code", h.loginCode)
}

// secondFactorOn reports whether signing in asks for a code.
func (h *Handler) secondFactorOn(ctx context.Context) (bool, error) {
	t, err := h.app.Auth.OwnerTOTP(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return t.Enabled, nil
}

func (h *Handler) secondFactorCookieName() string {
	if h.cfg.Scheme == "https" {
		return "__Host-roost-2fa"
	}
	return "roost_2fa"
}

// askSecondFactor answers a correct password when the second factor is on: a short-lived signed
// cookie says the password was right, and the page asks for the code.
func (h *Handler) askSecondFactor(w http.ResponseWriter, r *http.Request, next string) {
	payload := "2fa." + auth.RandomToken(16) + "." + strconv.FormatInt(time.Now().Add(secondFactorTime).Unix(), 10)
	http.SetCookie(w, &http.Cookie{Name: h.secondFactorCookieName(), Value: payload + "." + h.deviceMAC(payload),
		Path: "/", HttpOnly: true, Secure: h.cfg.Scheme == "https", SameSite: http.SameSiteStrictMode,
		MaxAge: int(secondFactorTime.Seconds())})
	h.render200(w, r, templates.LoginCodePage(h.page("Sign in"), templates.LoginCode{Next: next}))
}

// passwordWasRight reports whether the request carries a valid cookie of askSecondFactor.
func (h *Handler) passwordWasRight(r *http.Request) bool {
	c, err := r.Cookie(h.secondFactorCookieName())
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(c.Value, '.')
	if i < 0 {
		return false
	}
	payload, mac := c.Value[:i], c.Value[i+1:]
	parts := strings.Split(payload, ".")
	if len(parts) != 3 || parts[0] != "2fa" || !hmac.Equal([]byte(mac), []byte(h.deviceMAC(payload))) {
		return false
	}
	until, err := strconv.ParseInt(parts[2], 10, 64)
	return err == nil && time.Now().Unix() < until
}

// loginCode is the sign-in's second step (POST /login/code): a code from the authenticator
// (each works once) or an unused recovery code, counted by the same throttle as passwords.
func (h *Handler) loginCode(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	next := safeNext(r.PostFormValue("next"))
	if !h.passwordWasRight(r) {
		h.render(w, r, http.StatusUnauthorized, templates.LoginPage(h.page("Sign in"),
			templates.Login{Next: next, Error: "Sign in with your password first (it is good for five minutes)."}))
		return
	}
	ip := clientip.Of(r)
	k, now := loginKeys{addr: clientip.Key(ip), network: clientip.Network(ip), device: h.deviceOf(r)}, time.Now()
	if ok, wait := h.logins.begin(k, now); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		h.render(w, r, http.StatusTooManyRequests, templates.LoginCodePage(h.page("Sign in"),
			templates.LoginCode{Next: next, Error: tooManyAttempts}))
		return
	}
	ok, err := h.checkCode(r.Context(), r.PostFormValue("code"))
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if !ok {
		h.render(w, r, http.StatusUnauthorized, templates.LoginCodePage(h.page("Sign in"),
			templates.LoginCode{Next: next, Error: "That code is not right (or was used already)."}))
		return
	}
	h.logins.forget(k, now)
	http.SetCookie(w, &http.Cookie{Name: h.secondFactorCookieName(), Value: "", Path: "/", HttpOnly: true,
		Secure: h.cfg.Scheme == "https", SameSite: http.SameSiteStrictMode, MaxAge: -1})
	if err := h.startSession(w, r); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.rememberDevice(w)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// checkCode checks a TOTP code, which must be newer than the last one used, or spends a
// recovery code.
func (h *Handler) checkCode(ctx context.Context, code string) (bool, error) {
	t, err := h.app.Auth.OwnerTOTP(ctx)
	if err != nil {
		return false, err
	}
	if step, ok := auth.TOTPStep(t.Secret, code, time.Now()); ok {
		return h.app.Auth.UseTOTPStep(ctx, step)
	}
	if rc := auth.NormalizeRecoveryCode(code); rc != "" {
		return h.app.Auth.UseRecoveryCode(ctx, auth.HashToken(rc))
	}
	return false, nil
}

func (h *Handler) securityPage(w http.ResponseWriter, r *http.Request, status int, s templates.Security) {
	ctx := r.Context()
	if s.SetupSecret == "" && len(s.RecoveryCodes) == 0 {
		on, err := h.secondFactorOn(ctx)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		s.Enabled = on
		if on {
			s.RecoveryLeft, _ = h.app.Auth.RecoveryCodesLeft(ctx)
		}
	}
	h.render(w, r, status, templates.SecurityPage(h.ownerPage(r, "Two-factor sign-in"), s))
}

func (h *Handler) showSecurity(w http.ResponseWriter, r *http.Request) {
	h.securityPage(w, r, http.StatusOK, templates.Security{})
}

// startTOTP makes a new secret to set up, after the password (POST /settings/security/totp/start).
func (h *Handler) startTOTP(w http.ResponseWriter, r *http.Request) {
	if !h.reauthenticated(w, r, "/settings/security") {
		return
	}
	owner := h.app.Owner.Account
	secret, uri, qr, err := auth.NewTOTP(h.cfg.Domain, owner.Handle())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if err := h.app.Auth.StartTOTP(r.Context(), secret); errors.Is(err, store.ErrConflict) {
		http.Redirect(w, r, "/settings/security?error="+url.QueryEscape("Two-factor sign-in is on already."), http.StatusSeeOther)
		return
	} else if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.securityPage(w, r, http.StatusOK, templates.Security{SetupSecret: secret, SetupURI: uri, SetupQR: qr})
}

// enableTOTP turns the second factor on once a code from the new secret is entered, and shows
// the recovery codes once (POST /settings/security/totp/enable).
func (h *Handler) enableTOTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	t, err := h.app.Auth.OwnerTOTP(ctx)
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.Enabled) {
		http.Redirect(w, r, "/settings/security", http.StatusSeeOther)
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	step, ok := auth.TOTPStep(t.Secret, r.PostFormValue("code"), time.Now())
	if !ok {
		uri, qr, err := auth.TOTPKey(h.cfg.Domain, h.app.Owner.Account.Handle(), t.Secret)
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		h.securityPage(w, r, http.StatusUnprocessableEntity, templates.Security{SetupSecret: t.Secret, SetupURI: uri,
			SetupQR: qr, Error: "That code is not right: check the app's clock, and try the next code."})
		return
	}
	codes := auth.RecoveryCodes(10)
	hashes := make([]string, len(codes))
	for i, c := range codes {
		hashes[i] = auth.HashToken(c)
	}
	if err := h.app.Auth.EnableTOTP(ctx, step, hashes); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.securityPage(w, r, http.StatusOK, templates.Security{RecoveryCodes: codes})
}

// disableTOTP turns the second factor off, after the password (POST /settings/security/totp/disable).
func (h *Handler) disableTOTP(w http.ResponseWriter, r *http.Request) {
	if !h.reauthenticated(w, r, "/settings/security") {
		return
	}
	if err := h.app.Auth.DisableTOTP(r.Context()); err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/settings/security?notice="+url.QueryEscape("Two-factor sign-in is off."), http.StatusSeeOther)
}
