package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"roost/server/auth"
	"roost/store"
	"roost/store/access"
	"roost/templates"
)

// The OAuth consent page (GET and POST /oauth/authorize) and the owner's list of authorized apps
// (/settings/apps) with its revoke: the owner's side of OAuth, in the owner's session. The rules
// they apply (scopes, a valid authorization request) are package auth's; the token
// endpoint is the client API's.

// scopeDescription says in words what a scope lets an app do.
func scopeDescription(sc string) string {
	switch sc {
	case "read":
		return "read everything in your account"
	case "write":
		return "change everything in your account: post, follow, like, boost, upload"
	case "follow":
		return "follow, block and mute accounts, and see whom you follow, block and mute"
	case "push":
		return "receive push notifications"
	case "profile":
		return "see your profile only"
	}
	if what, ok := strings.CutPrefix(sc, "read:"); ok {
		return "read your " + strings.ReplaceAll(what, "_", " ")
	}
	if what, ok := strings.CutPrefix(sc, "write:"); ok {
		return "change your " + strings.ReplaceAll(what, "_", " ")
	}
	return "administration: " + sc
}

// consentView is the consent page's view of an authorization request.
func consentView(req *auth.AuthRequest) templates.OAuthConsent {
	v := templates.OAuthConsent{AppName: req.Client.Name, Website: req.Client.Website, ClientID: req.Client.ClientID,
		RedirectURI: req.RedirectURI, Scope: strings.Join(req.Scopes, " "), State: req.State,
		CodeChallenge: req.Challenge, OOB: req.RedirectURI == auth.OOBRedirect}
	if req.Challenge != "" {
		v.CodeChallengeMethod = "S256"
	}
	if u, err := url.Parse(req.RedirectURI); err == nil && !v.OOB {
		v.RedirectHost = u.Host
		if v.RedirectHost == "" {
			v.RedirectHost = u.Scheme + ":"
		}
	}
	for _, sc := range req.Scopes {
		v.Scopes = append(v.Scopes, templates.OAuthScope{Name: sc, Description: scopeDescription(sc)})
	}
	return v
}

// showAuthorize renders GET /oauth/authorize: the owner's consent page.
func (h *Handler) showAuthorize(w http.ResponseWriter, r *http.Request) {
	req, msg, err := auth.ParseAuthRequest(r.Context(), r.URL.Query(), h.app.Auth.AppByClientID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if req == nil {
		h.render(w, r, http.StatusBadRequest, templates.OAuthErrorPage(h.ownerPage(r, "Authorization failed"), msg))
		return
	}
	allowFormRedirect(w, req.RedirectURI)
	h.render200(w, r, templates.OAuthConsentPage(h.ownerPage(r, "Authorize "+req.Client.Name), consentView(req)))
}

// allowFormRedirect adds the redirect URI's origin to the page's CSP form-action: browsers apply
// form-action to the redirect that follows a form submission too, so 'self' alone would block the
// way back to the app.
func allowFormRedirect(w http.ResponseWriter, redirectURI string) {
	if redirectURI == auth.OOBRedirect {
		return
	}
	u, err := url.Parse(redirectURI)
	if err != nil {
		return
	}
	source := strings.ToLower(u.Scheme) + ":"
	if u.Host != "" {
		source += "//" + u.Host
	}
	if strings.ContainsAny(source, " ;,'\"\t\r\n") {
		return
	}
	csp := w.Header().Get("Content-Security-Policy")
	if strings.Contains(csp, "form-action 'self'") {
		w.Header().Set("Content-Security-Policy", strings.Replace(csp, "form-action 'self'", "form-action 'self' "+source, 1))
	}
}

// answerAuthorize handles the consent form (POST /oauth/authorize): on approval it issues a
// single-use code bound to the app, the redirect URI, the scopes and the PKCE challenge.
func (h *Handler) answerAuthorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	req, msg, err := auth.ParseAuthRequest(ctx, r.PostForm, h.app.Auth.AppByClientID)
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if req == nil {
		h.render(w, r, http.StatusBadRequest, templates.OAuthErrorPage(h.ownerPage(r, "Authorization failed"), msg))
		return
	}
	if r.PostFormValue("decision") != "approve" {
		if req.RedirectURI == auth.OOBRedirect {
			h.render200(w, r, templates.OAuthCodePage(h.ownerPage(r, "Authorization denied"),
				templates.OAuthCode{AppName: req.Client.Name, Denied: true}))
			return
		}
		redirectWith(w, r, req.RedirectURI, url.Values{"error": {"access_denied"},
			"error_description": {"The owner denied the request."}}, req.State)
		return
	}
	code := auth.RandomToken(auth.TokenBytes)
	c := &access.AuthCode{CodeHash: auth.HashToken(code), AppID: req.Client.ID, RedirectURI: req.RedirectURI,
		Scopes: req.Scopes, Challenge: req.Challenge, ExpiresAt: h.st.Now().Add(auth.AuthCodeTTL)}
	if err := h.app.Auth.CreateAuthCode(ctx, c); err != nil {
		h.serverError(w, r, fmt.Errorf("create authorization code: %w", err))
		return
	}
	if req.RedirectURI == auth.OOBRedirect {
		h.render200(w, r, templates.OAuthCodePage(h.ownerPage(r, "Authorization code"),
			templates.OAuthCode{AppName: req.Client.Name, Code: code}))
		return
	}
	redirectWith(w, r, req.RedirectURI, url.Values{"code": {code}}, req.State)
}

// redirectWith sends the browser back to a registered redirect URI with params (and state) added
// to its query (RFC 6749 §4.1.2).
func redirectWith(w http.ResponseWriter, r *http.Request, redirectURI string, params url.Values, state string) {
	u, _ := url.Parse(redirectURI) // registered, so it parses
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	if state != "" {
		q.Set("state", state)
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// showApps renders /settings/apps: the apps the owner let in.
func (h *Handler) showApps(w http.ResponseWriter, r *http.Request) {
	apps, err := h.app.Auth.AuthorizedApps(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	var v templates.Apps
	for _, a := range apps {
		v.Apps = append(v.Apps, templates.AuthorizedApp{ID: strconv.FormatInt(a.ID, 10), Name: a.Name,
			Website: a.Website, Scopes: a.Scopes, Registered: a.CreatedAt})
	}
	h.render200(w, r, templates.AppsPage(h.ownerPage(r, "Apps"), v))
}

// revokeApp takes every token of an app away (POST /settings/apps/revoke).
func (h *Handler) revokeApp(w http.ResponseWriter, r *http.Request) {
	if !h.reauthenticated(w, r, "/settings/apps") {
		return
	}
	id, err := strconv.ParseInt(r.PostFormValue("app"), 10, 64)
	if err != nil {
		http.Redirect(w, r, "/settings/apps?error="+url.QueryEscape("No such client."), http.StatusSeeOther)
		return
	}
	client, err := h.app.Auth.AppByID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		http.Redirect(w, r, "/settings/apps?error="+url.QueryEscape("No such client."), http.StatusSeeOther)
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	if err := h.app.Auth.RevokeApp(r.Context(), client.ID); err != nil {
		h.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/settings/apps?notice="+url.QueryEscape(client.Name+" no longer has access."), http.StatusSeeOther)
}
