package web

import (
	"context"
	"crypto/hmac"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"roost/store/access"
)

// mountPasskeys registers the passkey (WebAuthn) ceremonies: adding one in the settings, and
// signing in with one as the second factor.
func (h *Handler) mountPasskeys(mux *http.ServeMux) {
	mux.HandleFunc("POST /settings/security/passkey/begin", h.signedIn(h.beginPasskeyRegistration))
	mux.HandleFunc("POST /settings/security/passkey/finish", h.signedIn(h.finishPasskeyRegistration))
	mux.HandleFunc("POST /settings/security/passkey/delete", h.signedIn(h.deletePasskey))
	mux.HandleFunc("POST /login/passkey/begin", h.beginPasskeyLogin)
	mux.HandleFunc("POST /login/passkey/finish", h.finishPasskeyLogin)
}

// relyingParty is Roost as WebAuthn's relying party: its host (without the port) is the RP ID,
// and its base URL the only origin.
func (h *Handler) relyingParty() (*webauthn.WebAuthn, error) {
	host := h.cfg.Domain
	if hh, _, err := net.SplitHostPort(host); err == nil {
		host = hh
	}
	return webauthn.New(&webauthn.Config{RPID: host, RPDisplayName: h.cfg.Domain, RPOrigins: []string{h.app.Base}})
}

// passkeyOwner is the owner as a WebAuthn user, with the passkeys stored.
type passkeyOwner struct {
	id     []byte
	name   string
	creds  []webauthn.Credential
	stored []access.Passkey
}

func (o *passkeyOwner) WebAuthnID() []byte                         { return o.id }
func (o *passkeyOwner) WebAuthnName() string                       { return o.name }
func (o *passkeyOwner) WebAuthnDisplayName() string                { return o.name }
func (o *passkeyOwner) WebAuthnCredentials() []webauthn.Credential { return o.creds }

func (h *Handler) passkeyOwner(ctx context.Context) (*passkeyOwner, error) {
	o := &passkeyOwner{id: binary.BigEndian.AppendUint64(nil, uint64(h.app.Owner.Account.ID)), name: h.app.Owner.Account.Handle()}
	var err error
	if o.stored, err = h.app.Auth.Passkeys(ctx); err != nil {
		return nil, err
	}
	for _, p := range o.stored {
		var c webauthn.Credential
		if json.Unmarshal([]byte(p.Data), &c) == nil {
			o.creds = append(o.creds, c)
		}
	}
	return o, nil
}

func (h *Handler) ceremonyCookieName() string {
	if h.cfg.Scheme == "https" {
		return "__Host-roost-webauthn"
	}
	return "roost_webauthn"
}

// keepCeremony keeps a ceremony's session data (its challenge) in a signed cookie until its
// second request.
func (h *Handler) keepCeremony(w http.ResponseWriter, kind string, sd *webauthn.SessionData) error {
	b, err := json.Marshal(sd)
	if err != nil {
		return err
	}
	payload := kind + "." + strconv.FormatInt(time.Now().Add(5*time.Minute).Unix(), 10) + "." +
		base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: h.ceremonyCookieName(), Value: payload + "." + h.deviceMAC("webauthn."+payload),
		Path: "/", HttpOnly: true, Secure: h.cfg.Scheme == "https", SameSite: http.SameSiteStrictMode, MaxAge: 300})
	return nil
}

// ceremony returns the session data keepCeremony kept for kind, and forgets it.
func (h *Handler) ceremony(w http.ResponseWriter, r *http.Request, kind string) (*webauthn.SessionData, bool) {
	c, err := r.Cookie(h.ceremonyCookieName())
	if err != nil {
		return nil, false
	}
	http.SetCookie(w, &http.Cookie{Name: h.ceremonyCookieName(), Value: "", Path: "/", HttpOnly: true,
		Secure: h.cfg.Scheme == "https", SameSite: http.SameSiteStrictMode, MaxAge: -1})
	i := strings.LastIndexByte(c.Value, '.')
	if i < 0 {
		return nil, false
	}
	payload, mac := c.Value[:i], c.Value[i+1:]
	parts := strings.SplitN(payload, ".", 3)
	if len(parts) != 3 || parts[0] != kind || !hmac.Equal([]byte(mac), []byte(h.deviceMAC("webauthn."+payload))) {
		return nil, false
	}
	if until, err := strconv.ParseInt(parts[1], 10, 64); err != nil || time.Now().Unix() >= until {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[2])
	var sd webauthn.SessionData
	if err != nil || json.Unmarshal(b, &sd) != nil {
		return nil, false
	}
	return &sd, true
}

func jsonAnswer(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func jsonError(w http.ResponseWriter, status int, msg string) {
	jsonAnswer(w, status, map[string]string{"error": msg})
}

// beginPasskeyRegistration answers the options for adding a passkey.
func (h *Handler) beginPasskeyRegistration(w http.ResponseWriter, r *http.Request) {
	rp, err := h.relyingParty()
	if err != nil {
		jsonError(w, http.StatusInternalServerError, "passkeys need the server to have a domain name")
		return
	}
	o, err := h.passkeyOwner(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	var exclude []protocol.CredentialDescriptor
	for _, c := range o.creds {
		exclude = append(exclude, c.Descriptor())
	}
	opts, sd, err := rp.BeginRegistration(o, webauthn.WithExclusions(exclude),
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementPreferred))
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if err := h.keepCeremony(w, "register", sd); err != nil {
		h.serverError(w, r, err)
		return
	}
	jsonAnswer(w, http.StatusOK, opts)
}

// finishPasskeyRegistration checks the authenticator's answer and stores the passkey.
func (h *Handler) finishPasskeyRegistration(w http.ResponseWriter, r *http.Request) {
	sd, ok := h.ceremony(w, r, "register")
	if !ok {
		jsonError(w, http.StatusBadRequest, "the request expired; try again")
		return
	}
	rp, err := h.relyingParty()
	if err != nil {
		jsonError(w, http.StatusInternalServerError, "passkeys need the server to have a domain name")
		return
	}
	parsed, err := protocol.ParseCredentialCreationResponseBody(strings.NewReader(r.PostFormValue("credential")))
	if err != nil {
		jsonError(w, http.StatusBadRequest, "the authenticator's answer could not be read")
		return
	}
	o, err := h.passkeyOwner(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	cred, err := rp.CreateCredential(o, *sd, parsed)
	if err != nil {
		h.log.Info("passkey refused", "err", err)
		jsonError(w, http.StatusBadRequest, "the authenticator's answer was refused")
		return
	}
	data, _ := json.Marshal(cred)
	if err := h.app.Auth.AddPasskey(r.Context(), base64.RawURLEncoding.EncodeToString(cred.ID), string(data)); err != nil {
		h.serverError(w, r, err)
		return
	}
	jsonAnswer(w, http.StatusOK, map[string]string{"ok": "added"})
}

// deletePasskey removes a passkey, after the password.
func (h *Handler) deletePasskey(w http.ResponseWriter, r *http.Request) {
	if !h.reauthenticated(w, r, "/settings/security") {
		return
	}
	if err := h.app.Auth.DeletePasskey(r.Context(), r.PostFormValue("id")); err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/settings/security?notice="+url.QueryEscape("Passkey removed."), http.StatusSeeOther)
}

// beginPasskeyLogin answers the options for signing in with a passkey; only after the password
// (the second-factor cookie).
func (h *Handler) beginPasskeyLogin(w http.ResponseWriter, r *http.Request) {
	if !h.passwordWasRight(r) {
		jsonError(w, http.StatusUnauthorized, "sign in with your password first")
		return
	}
	rp, err := h.relyingParty()
	if err != nil {
		jsonError(w, http.StatusInternalServerError, "passkeys need the server to have a domain name")
		return
	}
	o, err := h.passkeyOwner(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if len(o.creds) == 0 {
		jsonError(w, http.StatusBadRequest, "no passkey is set up")
		return
	}
	opts, sd, err := rp.BeginLogin(o)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if err := h.keepCeremony(w, "login", sd); err != nil {
		h.serverError(w, r, err)
		return
	}
	jsonAnswer(w, http.StatusOK, opts)
}

// finishPasskeyLogin checks the authenticator's signature and signs in.
func (h *Handler) finishPasskeyLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	next := safeNext(r.PostFormValue("next"))
	if !h.passwordWasRight(r) {
		jsonError(w, http.StatusUnauthorized, "sign in with your password first")
		return
	}
	sd, ok := h.ceremony(w, r, "login")
	if !ok {
		jsonError(w, http.StatusBadRequest, "the request expired; try again")
		return
	}
	rp, err := h.relyingParty()
	if err != nil {
		jsonError(w, http.StatusInternalServerError, "passkeys need the server to have a domain name")
		return
	}
	parsed, err := protocol.ParseCredentialRequestResponseBody(strings.NewReader(r.PostFormValue("credential")))
	if err != nil {
		jsonError(w, http.StatusBadRequest, "the authenticator's answer could not be read")
		return
	}
	o, err := h.passkeyOwner(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	cred, err := rp.ValidateLogin(o, *sd, parsed)
	if err != nil {
		h.log.Info("passkey sign-in refused", "err", err)
		jsonError(w, http.StatusUnauthorized, "the passkey was refused")
		return
	}
	data, _ := json.Marshal(cred)
	if err := h.app.Auth.UsePasskey(r.Context(), base64.RawURLEncoding.EncodeToString(cred.ID), string(data)); err != nil {
		h.serverError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: h.secondFactorCookieName(), Value: "", Path: "/", HttpOnly: true,
		Secure: h.cfg.Scheme == "https", SameSite: http.SameSiteStrictMode, MaxAge: -1})
	if err := h.startSession(w, r); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.rememberDevice(w)
	jsonAnswer(w, http.StatusOK, map[string]string{"next": next})
}

