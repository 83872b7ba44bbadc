package web

import (
	"errors"
	"image/png"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"roost/server/auth"
	"roost/server/clientip"
	"roost/store"
	"roost/store/access"
	"roost/templates"
)

// The owner's second factor (TOTP with recovery codes): the second step of signing in, and the
// security page that turns it on and off. The OAuth consent page needs a session, so it is
// guarded by the same two steps.

// pendingLifetime is how long the second step may follow the password.
const pendingLifetime = 5 * time.Minute

func (h *Handler) pendingCookieName() string {
	if h.cfg.Scheme == "https" {
		return "__Host-roost-2fa"
	}
	return "roost_2fa"
}

// pendingPurpose keys the HMAC of the cookie that says the password was right.
const pendingPurpose = "roost second step"

// beginSecondStep answers a right password when a second factor is on: a short-lived signed
// cookie says the password was right, and the page asks for the code.
func (h *Handler) beginSecondStep(w http.ResponseWriter, r *http.Request, next string) {
	http.SetCookie(w, &http.Cookie{Name: h.pendingCookieName(), Value: h.signedValue(pendingPurpose, pendingLifetime),
		Path: "/", HttpOnly: true, Secure: h.cfg.Scheme == "https", SameSite: http.SameSiteStrictMode,
		MaxAge: int(pendingLifetime.Seconds())})
	h.render200(w, r, templates.LoginCodePage(h.page(r.Context(), "Sign in"), h.loginCodeView(r, next, "")))
}

// loginCodeView is the second step's page: which second factors the owner has.
func (h *Handler) loginCodeView(r *http.Request, next, msg string) templates.LoginCode {
	v := templates.LoginCode{Next: next, Error: msg, Script: h.assets.URL("passkey.js")}
	if t, err := h.app.Auth.TOTP(r.Context()); err == nil {
		v.TOTP = t.Confirmed
	}
	if keys, err := h.app.Auth.Passkeys(r.Context()); err == nil {
		v.Passkey = len(keys) > 0
	}
	return v
}

// passwordWasRight reports whether the request carries a live cookie of beginSecondStep.
func (h *Handler) passwordWasRight(r *http.Request) bool {
	c, err := r.Cookie(h.pendingCookieName())
	if err != nil {
		return false
	}
	_, ok := h.checkSigned(pendingPurpose, c.Value)
	return ok
}

// loginCode is the second step of signing in: the code of the authenticator app, or a recovery
// code, after the right password.
func (h *Handler) loginCode(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	next := safeNext(r.PostFormValue("next"))
	if !h.passwordWasRight(r) {
		h.render(w, r, http.StatusUnauthorized, templates.LoginPage(h.page(r.Context(), "Sign in"),
			templates.Login{Next: next, Error: "That took too long. Type your password again."}))
		return
	}
	ok, wait, err := h.checkSecondFactor(r, r.PostFormValue("code"))
	if wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		h.render(w, r, http.StatusTooManyRequests, templates.LoginCodePage(h.page(r.Context(), "Sign in"),
			h.loginCodeView(r, next, tooManyAttempts)))
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if !ok {
		h.render(w, r, http.StatusUnauthorized, templates.LoginCodePage(h.page(r.Context(), "Sign in"),
			h.loginCodeView(r, next, "That code is not right, or was used already.")))
		return
	}
	if err := h.startSession(w, r); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.endSecondStep(w)
	h.rememberDevice(w)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// endSecondStep forgets that the password was right, once signed in.
func (h *Handler) endSecondStep(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: h.pendingCookieName(), Value: "", Path: "/", HttpOnly: true,
		Secure: h.cfg.Scheme == "https", SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

// checkSecondFactor checks a code of the owner's authenticator app, or a recovery code, through
// the sign-in throttle. A code is accepted once: a code of a step no later than the last accepted
// one, or a spent recovery code, is wrong.
func (h *Handler) checkSecondFactor(r *http.Request, code string) (ok bool, wait time.Duration, err error) {
	ip := clientip.Of(r)
	k, now := loginKeys{addr: clientip.Key(ip), network: clientip.Network(ip), device: h.deviceOf(r)}, time.Now()
	if ok, wait := h.logins.begin(k, now); !ok {
		return false, wait, nil
	}
	t, err := h.app.Auth.TOTP(r.Context())
	if errors.Is(err, store.ErrNotFound) {
		t, err = &access.TOTP{}, nil
	}
	if err != nil {
		return false, 0, err
	}
	if step, match := auth.CheckTOTP(t.Secret, code, now); match && t.Confirmed {
		ok, err = h.app.Auth.UseTOTPStep(r.Context(), step)
	} else {
		ok, err = h.app.Auth.UseRecoveryCode(r.Context(), auth.HashRecoveryCode(code))
	}
	if ok && err == nil {
		h.logins.forget(k, now)
	}
	return ok, 0, err
}

// recoveryCodeCount is how many recovery codes are made at a time.
const recoveryCodeCount = 10

func (h *Handler) showSecurity(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	h.renderSecurity(w, r, http.StatusOK, templates.Security{Error: q.Get("error"), Notice: q.Get("notice")})
}

// renderSecurity renders the security page with s, filled in with the second factor's state.
func (h *Handler) renderSecurity(w http.ResponseWriter, r *http.Request, status int, s templates.Security) {
	t, err := h.app.Auth.TOTP(r.Context())
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		h.serverError(w, r, err)
		return
	case t.Confirmed:
		s.On = true
		if s.CodesLeft, err = h.app.Auth.RecoveryCodesLeft(r.Context()); err != nil {
			h.serverError(w, r, err)
			return
		}
	case len(s.Codes) == 0 && s.Notice == "":
		s.Secret = t.Secret
	}
	keys, err := h.app.Auth.Passkeys(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	for _, k := range keys {
		row := templates.PasskeyRow{ID: k.ID, Name: k.Name, Added: k.CreatedAt.UTC().Format("2 January 2006")}
		if !k.UsedAt.IsZero() {
			row.Used = k.UsedAt.UTC().Format("2 January 2006 15:04 UTC")
		}
		s.Passkeys = append(s.Passkeys, row)
	}
	s.Script = h.assets.URL("passkey.js")
	h.render(w, r, status, templates.SecurityPage(h.ownerPage(r, "Sign-in security"), s))
}

// beginTOTP makes a new secret to set up, after the password.
func (h *Handler) beginTOTP(w http.ResponseWriter, r *http.Request) {
	if !h.reauthenticated(w, r, "/settings/security") {
		return
	}
	key, err := auth.NewTOTP(h.cfg.HandleDomain, h.handle())
	if err == nil {
		err = h.app.Auth.BeginTOTP(r.Context(), key.Secret())
	}
	if errors.Is(err, store.ErrConflict) {
		http.Redirect(w, r, "/settings/security", http.StatusSeeOther)
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.renderSecurity(w, r, http.StatusOK, templates.Security{})
}

// handle is the owner's user@domain, as the authenticator app names the account.
func (h *Handler) handle() string {
	return h.app.Owner.Account.Username + "@" + h.cfg.HandleDomain
}

// totpQR serves the QR code of the secret being set up; there is none once it is confirmed.
func (h *Handler) totpQR(w http.ResponseWriter, r *http.Request) {
	t, err := h.app.Auth.TOTP(r.Context())
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.Confirmed) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	key, err := auth.TOTPKey(h.cfg.HandleDomain, h.handle(), t.Secret)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	img, err := key.Image(200, 200)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	png.Encode(w, img)
}

// confirmTOTP turns the second factor on with the first code from the app, and shows the
// recovery codes once.
func (h *Handler) confirmTOTP(w http.ResponseWriter, r *http.Request) {
	t, err := h.app.Auth.TOTP(r.Context())
	if errors.Is(err, store.ErrNotFound) {
		http.Redirect(w, r, "/settings/security", http.StatusSeeOther)
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	step, ok := auth.CheckTOTP(t.Secret, r.PostFormValue("code"), time.Now())
	if !ok {
		h.renderSecurity(w, r, http.StatusUnprocessableEntity, templates.Security{
			Error: "That code is not right. Check that the app's clock is right, and type the code it shows now."})
		return
	}
	codes := auth.NewRecoveryCodes(recoveryCodeCount)
	if err := h.app.Auth.ConfirmTOTP(r.Context(), step, hashCodes(codes)); errors.Is(err, store.ErrNotFound) {
		http.Redirect(w, r, "/settings/security", http.StatusSeeOther)
		return
	} else if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.renderSecurity(w, r, http.StatusOK, templates.Security{Codes: codes,
		Notice: "Two-step sign-in is on. Signing in now asks for a code after your password."})
}

func hashCodes(codes []string) []string {
	hashes := make([]string, len(codes))
	for i, c := range codes {
		hashes[i] = auth.HashRecoveryCode(c)
	}
	return hashes
}

// passwordAndCode checks the password and a second-factor code the owner typed again before
// changing the second factor; when either is wrong it sends the owner back with the reason.
func (h *Handler) passwordAndCode(w http.ResponseWriter, r *http.Request) bool {
	if !h.reauthenticated(w, r, "/settings/security") {
		return false
	}
	ok, wait, err := h.checkSecondFactor(r, r.PostFormValue("code"))
	switch {
	case wait > 0:
		http.Redirect(w, r, "/settings/security?error="+url.QueryEscape(tooManyAttempts), http.StatusSeeOther)
	case err != nil:
		h.serverError(w, r, err)
	case !ok:
		http.Redirect(w, r, "/settings/security?error="+url.QueryEscape("That code is not right, or was used already; nothing was changed."), http.StatusSeeOther)
	}
	return ok
}

func (h *Handler) turnOffTOTP(w http.ResponseWriter, r *http.Request) {
	if !h.passwordAndCode(w, r) {
		return
	}
	if err := h.app.Auth.TurnOffTOTP(r.Context()); err != nil {
		h.serverError(w, r, err)
		return
	}
	msg := "Codes from an authenticator app are off: your password alone signs you in."
	if on, err := h.app.Auth.SecondFactorOn(r.Context()); err == nil && on {
		msg = "Codes from an authenticator app are off; your passkeys still guard signing in."
	}
	h.renderSecurity(w, r, http.StatusOK, templates.Security{Notice: msg})
}

func (h *Handler) newRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	if !h.passwordAndCode(w, r) {
		return
	}
	codes := auth.NewRecoveryCodes(recoveryCodeCount)
	if err := h.app.Auth.ReplaceRecoveryCodes(r.Context(), hashCodes(codes)); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.renderSecurity(w, r, http.StatusOK, templates.Security{Codes: codes, Notice: "New recovery codes made; the old ones no longer work."})
}
