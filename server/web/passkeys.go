package web

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"roost/server/auth"
	"roost/store"
	"roost/store/access"
)

// Passkeys (WebAuthn, through github.com/go-webauthn/webauthn) as the owner's second factor:
// adding and removing them on the security page, and the second step of signing in with one.
// The browser's side is static/passkey.js, which posts forms whose "credential" field holds the
// authenticator's answer as JSON.

// ceremonies keeps the challenges of WebAuthn ceremonies under way, each usable once and for a
// few minutes, so that an answer is never accepted twice.
type ceremonies struct {
	mu      sync.Mutex
	pending map[string]ceremony
}

type ceremony struct {
	data    webauthn.SessionData
	expires time.Time
	login   bool // a sign-in's; else adding a passkey
	next    string
}

// maxCeremonies bounds the ceremonies kept; past it, others give way. (Only a signed-in owner,
// or a browser that just typed the password, can begin one.)
const maxCeremonies = 32

func (c *ceremonies) put(cer ceremony) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending == nil {
		c.pending = map[string]ceremony{}
	}
	now := time.Now()
	cer.expires = now.Add(pendingLifetime)
	for id, p := range c.pending {
		if now.After(p.expires) || len(c.pending) >= maxCeremonies {
			delete(c.pending, id)
		}
	}
	id := auth.RandomToken(16)
	c.pending[id] = cer
	return id
}

// take removes the ceremony id and returns it, when it is of the kind asked and not expired.
func (c *ceremonies) take(id string, login bool) (ceremony, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cer, ok := c.pending[id]
	delete(c.pending, id)
	return cer, ok && cer.login == login && time.Now().Before(cer.expires)
}

// owner is the owner as WebAuthn sees them, with their passkeys.
type owner struct {
	id, name string
	creds    []webauthn.Credential
}

func (o owner) WebAuthnID() []byte                         { return []byte(o.id) }
func (o owner) WebAuthnName() string                       { return o.name }
func (o owner) WebAuthnDisplayName() string                { return o.name }
func (o owner) WebAuthnCredentials() []webauthn.Credential { return o.creds }

// webAuthn returns the verifier for this site: the relying party is the domain without its port,
// the only origin the site itself.
func (h *Handler) webAuthn() (*webauthn.WebAuthn, error) {
	host := h.cfg.Domain
	if hst, _, err := net.SplitHostPort(host); err == nil {
		host = hst
	}
	return webauthn.New(&webauthn.Config{RPID: host, RPDisplayName: "Roost " + h.handle(),
		RPOrigins: []string{h.cfg.Scheme + "://" + h.cfg.Domain}})
}

// passkeyOwner returns the owner with their passkeys, and the stored rows by credential id.
func (h *Handler) passkeyOwner(r *http.Request) (owner, error) {
	keys, err := h.app.Auth.Passkeys(r.Context())
	if err != nil {
		return owner{}, err
	}
	sum := sha256.Sum256([]byte(h.app.Owner.Account.IRI))
	o := owner{id: base64.RawURLEncoding.EncodeToString(sum[:]), name: h.handle()}
	for _, k := range keys {
		var c webauthn.Credential
		if err := json.Unmarshal(k.Credential, &c); err != nil {
			return owner{}, err
		}
		o.creds = append(o.creds, c)
	}
	return o, nil
}

// writeJSON answers a script with v.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// scriptError answers a script with a message for the owner.
func scriptError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// beginPasskey starts adding a passkey: the options for navigator.credentials.create.
func (h *Handler) beginPasskey(w http.ResponseWriter, r *http.Request) {
	wa, err := h.webAuthn()
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	o, err := h.passkeyOwner(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	var exclude []protocol.CredentialDescriptor
	for _, c := range o.creds {
		exclude = append(exclude, c.Descriptor())
	}
	options, data, err := wa.BeginRegistration(o, webauthn.WithExclusions(exclude),
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementPreferred))
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ceremony": h.ceremonies.put(ceremony{data: *data}), "options": options})
}

// finishPasskey checks the authenticator's answer and keeps the new passkey. The first second
// factor also gets recovery codes, shown once.
func (h *Handler) finishPasskey(w http.ResponseWriter, r *http.Request) {
	cer, ok := h.ceremonies.take(r.PostFormValue("ceremony"), false)
	if !ok {
		scriptError(w, http.StatusBadRequest, "That took too long. Try again.")
		return
	}
	parsed, err := protocol.ParseCredentialCreationResponseBody(strings.NewReader(r.PostFormValue("credential")))
	if err != nil {
		scriptError(w, http.StatusBadRequest, "The browser's answer could not be read: "+err.Error())
		return
	}
	wa, err := h.webAuthn()
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	o, err := h.passkeyOwner(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	cred, err := wa.CreateCredential(o, cer.data, parsed)
	if err != nil {
		scriptError(w, http.StatusBadRequest, "The passkey was not accepted: "+err.Error())
		return
	}
	record, err := json.Marshal(cred)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" {
		name = "Passkey added " + time.Now().UTC().Format("2 January 2006")
	}
	wasOn, err := h.app.Auth.SecondFactorOn(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	err = h.app.Auth.AddPasskey(r.Context(), &access.Passkey{ID: base64.RawURLEncoding.EncodeToString(cred.ID),
		Name: name, Credential: record})
	if errors.Is(err, store.ErrConflict) {
		scriptError(w, http.StatusConflict, "That passkey is added already.")
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	answer := map[string]any{"notice": "Passkey added. Signing in now asks for it, or a code, after your password."}
	if !wasOn {
		codes := auth.NewRecoveryCodes(recoveryCodeCount)
		if err := h.app.Auth.ReplaceRecoveryCodes(r.Context(), hashCodes(codes)); err != nil {
			h.serverError(w, r, err)
			return
		}
		answer["codes"] = codes
	}
	writeJSON(w, http.StatusOK, answer)
}

// removePasskey deletes a passkey, after the password.
func (h *Handler) removePasskey(w http.ResponseWriter, r *http.Request) {
	if !h.reauthenticated(w, r, "/settings/security") {
		return
	}
	if err := h.app.Auth.RemovePasskey(r.Context(), r.PostFormValue("id")); err != nil && !errors.Is(err, store.ErrNotFound) {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/settings/security?notice=Passkey+removed.", http.StatusSeeOther)
}

// beginPasskeyLogin starts the second step of signing in with a passkey, after the password.
func (h *Handler) beginPasskeyLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if !h.passwordWasRight(r) {
		scriptError(w, http.StatusUnauthorized, "That took too long. Type your password again.")
		return
	}
	o, err := h.passkeyOwner(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if len(o.creds) == 0 {
		scriptError(w, http.StatusNotFound, "No passkey is set up.")
		return
	}
	wa, err := h.webAuthn()
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	options, data, err := wa.BeginLogin(o)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	id := h.ceremonies.put(ceremony{data: *data, login: true, next: safeNext(r.PostFormValue("next"))})
	writeJSON(w, http.StatusOK, map[string]any{"ceremony": id, "options": options})
}

// finishPasskeyLogin checks the passkey's answer and signs in.
func (h *Handler) finishPasskeyLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if !h.passwordWasRight(r) {
		scriptError(w, http.StatusUnauthorized, "That took too long. Type your password again.")
		return
	}
	cer, ok := h.ceremonies.take(r.PostFormValue("ceremony"), true)
	if !ok {
		scriptError(w, http.StatusBadRequest, "That took too long. Try again.")
		return
	}
	parsed, err := protocol.ParseCredentialRequestResponseBody(strings.NewReader(r.PostFormValue("credential")))
	if err != nil {
		scriptError(w, http.StatusBadRequest, "The browser's answer could not be read.")
		return
	}
	wa, err := h.webAuthn()
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	o, err := h.passkeyOwner(r)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	cred, err := wa.ValidateLogin(o, cer.data, parsed)
	if err != nil {
		scriptError(w, http.StatusUnauthorized, "That passkey was not accepted.")
		return
	}
	if record, err := json.Marshal(cred); err == nil {
		if err := h.app.Auth.UsedPasskey(r.Context(), base64.RawURLEncoding.EncodeToString(cred.ID), record); err != nil {
			h.serverError(w, r, err)
			return
		}
	}
	if err := h.startSession(w, r); err != nil {
		h.serverError(w, r, err)
		return
	}
	h.endSecondStep(w)
	h.rememberDevice(w)
	writeJSON(w, http.StatusOK, map[string]string{"location": cer.next})
}
