package oauth

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"roost/server/auth"
	"roost/server/clientip"
	"roost/server/mastodon"
	"roost/store"
	"roost/store/access"
)

// OAuth 2 for the Mastodon client API (https://docs.joinmastodon.org/spec/oauth/): app
// registration, the authorization code flow with optional PKCE S256, client credentials, refresh,
// revocation (the consent page is the web UI's; the bearer-token middleware is in auth.go).

const (
	// oauthBodyLimit caps the bodies of the endpoints anyone may call without a token (app
	// registration, token, revocation): their forms take a few hundred bytes.
	oauthBodyLimit = 64 << 10
	// redirectURIsLimit caps an app's redirect URIs, all together, as Mastodon caps the column
	// that holds them (APP_REDIRECT_URI_LIMIT).
	redirectURIsLimit = 2000
	// appsPerAddress apps may be registered from one client address (an IPv6 client's /64) in
	// appsWindow: enough for trying every client there is, not for filling the disk.
	appsPerAddress = 10
	appsWindow     = time.Hour
)

// oauthError writes an RFC 6749 §5.2 error.
func oauthError(w http.ResponseWriter, status int, code, description string) {
	JSON(w, status, map[string]string{"error": code, "error_description": description})
}

// validRedirectURI reports whether u may be registered: the out-of-band URI, or an absolute URL
// without a fragment (RFC 6749 §3.1.2) whose scheme cannot run code in a browser.
func validRedirectURI(u string) bool {
	if u == auth.OOBRedirect {
		return true
	}
	p, err := url.Parse(u)
	if err != nil || !p.IsAbs() || p.Fragment != "" || strings.Contains(u, "#") || len(u) > 2000 {
		return false
	}
	switch strings.ToLower(p.Scheme) {
	case "javascript", "data", "vbscript", "file", "blob", "about":
		return false
	case "http", "https":
		return p.Host != ""
	}
	return true
}

// appView is an Application as POST /api/v1/apps answers it (with the credentials) and
// GET /api/v1/apps/verify_credentials (without).
type appView struct {
	ID                    string   `json:"id"`
	Name                  string   `json:"name"`
	Website               *string  `json:"website"`
	Scopes                []string `json:"scopes"`
	RedirectURI           string   `json:"redirect_uri"`
	RedirectURIs          []string `json:"redirect_uris"`
	VapidKey              string   `json:"vapid_key"`
	ClientID              string   `json:"client_id,omitempty"`
	ClientSecret          string   `json:"client_secret,omitempty"`
	ClientSecretExpiresAt *int     `json:"client_secret_expires_at,omitempty"`
}

func (h *Handler) newAppView(a *access.App) *appView {
	v := &appView{ID: strconv.FormatInt(a.ID, 10), Name: a.Name, Scopes: a.Scopes,
		RedirectURI: strings.Join(a.RedirectURIs, "\n"), RedirectURIs: a.RedirectURIs, VapidKey: h.app.VAPID.PublicKey()}
	if a.Website != "" {
		v.Website = &a.Website
	}
	return v
}

// apiCreateApp registers a client app (POST /api/v1/apps).
func (h *Handler) apiCreateApp(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "private, no-store")
	f, err := mastodon.ReadSmallForm(w, r, oauthBodyLimit)
	if mastodon.IsTooLarge(err) {
		Error(w, http.StatusRequestEntityTooLarge, "The request body is too large")
		return
	}
	if err != nil {
		Error(w, http.StatusBadRequest, "The request body could not be read")
		return
	}
	name := strings.TrimSpace(f.Get("client_name"))
	if name == "" {
		Error(w, http.StatusUnprocessableEntity, "Validation failed: Application name can't be blank")
		return
	}
	if len([]rune(name)) > 60 {
		Error(w, http.StatusUnprocessableEntity, "Validation failed: Application name is too long (maximum is 60 characters)")
		return
	}
	uris := mastodon.FormList(f, "redirect_uris")
	if len(uris) == 0 {
		uris = mastodon.FormList(f, "redirect_uri")
	}
	if len(uris) == 0 {
		Error(w, http.StatusUnprocessableEntity, "Validation failed: Redirect URI can't be blank")
		return
	}
	if len(strings.Join(uris, "\n")) > redirectURIsLimit {
		Error(w, http.StatusUnprocessableEntity, fmt.Sprintf("Validation failed: Redirect URI is too long (maximum is %d characters)", redirectURIsLimit))
		return
	}
	for _, u := range uris {
		if !validRedirectURI(u) {
			Error(w, http.StatusUnprocessableEntity, "Validation failed: Redirect URI must be an absolute URI without a fragment")
			return
		}
	}
	scopes := auth.ParseScopes(strings.Join(mastodon.FormList(f, "scopes"), " "))
	if len(scopes) == 0 {
		scopes = []string{"read"}
	}
	if bad := auth.UnknownScope(scopes); bad != "" {
		Error(w, http.StatusUnprocessableEntity, "Validation failed: Scopes include an unknown scope: "+bad)
		return
	}
	website := strings.TrimSpace(f.Get("website"))
	if website != "" {
		u, err := url.Parse(website)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(website) > 2000 {
			Error(w, http.StatusUnprocessableEntity, "Validation failed: Website is not a valid URL")
			return
		}
	}
	if !h.appRegistrations.Allow(clientip.Key(clientip.Of(r)), time.Now()) {
		w.Header().Set("Retry-After", strconv.Itoa(int(appsWindow.Seconds())))
		Error(w, http.StatusTooManyRequests, "Too many apps registered from this address; try again later")
		return
	}
	secret := auth.RandomToken(auth.TokenBytes)
	client := &access.App{ClientID: auth.RandomToken(auth.TokenBytes), SecretHash: auth.HashToken(secret), Name: name,
		Website: website, RedirectURIs: uris, Scopes: scopes}
	if err := h.app.Auth.CreateApp(r.Context(), client); err != nil {
		h.serverError(w, r, fmt.Errorf("create app: %w", err))
		return
	}
	v := h.newAppView(client)
	zero := 0
	v.ClientID, v.ClientSecret, v.ClientSecretExpiresAt = client.ClientID, secret, &zero
	JSON(w, http.StatusOK, v)
}

// apiVerifyApp answers GET /api/v1/apps/verify_credentials: the app the token belongs to.
func (h *Handler) apiVerifyApp(w http.ResponseWriter, r *http.Request) {
	client, err := h.app.Auth.AppByID(r.Context(), Token(r).AppID)
	if errors.Is(err, store.ErrNotFound) {
		unauthorized(w)
		return
	}
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	JSON(w, http.StatusOK, h.newAppView(client))
}

// tokenResponse is RFC 6749 §5.1's answer, with Mastodon's created_at.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	Scope        string `json:"scope"`
	CreatedAt    int64  `json:"created_at"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

// clientApp authenticates the client of a token or revocation request: client_secret_basic or
// client_secret_post (RFC 6749 §2.3.1). A nil app means the failure was answered.
func (h *Handler) clientApp(w http.ResponseWriter, r *http.Request, f url.Values) *access.App {
	id, secret, basic := r.BasicAuth()
	if basic {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = f.Get("client_id"), f.Get("client_secret")
	}
	fail := func() *access.App {
		if basic {
			w.Header().Set("WWW-Authenticate", `Basic realm="Roost"`)
		}
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed: unknown client, no client authentication included, or unsupported authentication method.")
		return nil
	}
	if id == "" || secret == "" {
		return fail()
	}
	client, err := h.app.Auth.AppByClientID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return fail()
	}
	if err != nil {
		h.serverError(w, r, err)
		return nil
	}
	if subtle.ConstantTimeCompare([]byte(auth.HashToken(secret)), []byte(client.SecretHash)) != 1 {
		return fail()
	}
	return client
}

// oauthToken is the token endpoint (POST /oauth/token): authorization_code (with PKCE when the
// authorization request had a challenge), client_credentials and refresh_token grants.
func (h *Handler) oauthToken(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	f, err := mastodon.ReadSmallForm(w, r, oauthBodyLimit)
	if mastodon.IsTooLarge(err) {
		oauthError(w, http.StatusRequestEntityTooLarge, "invalid_request", "The request body is too large.")
		return
	}
	if err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "The request body could not be read.")
		return
	}
	grant := f.Get("grant_type")
	switch grant {
	case "authorization_code", "client_credentials", "refresh_token":
	case "":
		oauthError(w, http.StatusBadRequest, "invalid_request", "The grant_type parameter is missing.")
		return
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.")
		return
	}
	client := h.clientApp(w, r, f)
	if client == nil {
		return
	}
	ctx := r.Context()
	invalidGrant := func(why string) {
		oauthError(w, http.StatusBadRequest, "invalid_grant", why)
	}
	var t *access.Token
	var old *access.Token
	switch grant {
	case "authorization_code":
		code := f.Get("code")
		if code == "" {
			oauthError(w, http.StatusBadRequest, "invalid_request", "The code parameter is missing.")
			return
		}
		// Taken (deleted) first: a code is burnt by any attempt, failed ones included.
		c, err := h.app.Auth.TakeAuthCode(ctx, auth.HashToken(code))
		if errors.Is(err, store.ErrNotFound) {
			invalidGrant("The authorization code is invalid, expired or already used.")
			return
		}
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		if c.AppID != client.ID {
			invalidGrant("The authorization code was issued to another client.")
			return
		}
		redirect := f.Get("redirect_uri")
		if redirect == "" && len(client.RedirectURIs) == 1 {
			redirect = client.RedirectURIs[0]
		}
		if redirect != c.RedirectURI {
			invalidGrant("The redirect URI does not match the one of the authorization request.")
			return
		}
		verifier := f.Get("code_verifier")
		switch {
		case c.Challenge != "":
			if !auth.ValidPKCE(verifier) || subtle.ConstantTimeCompare([]byte(auth.S256(verifier)), []byte(c.Challenge)) != 1 {
				invalidGrant("The code verifier does not match the code challenge.")
				return
			}
		case verifier != "":
			// A verifier without a challenge means the challenge was stripped on the way (a
			// downgrade, OAuth 2.1 §4.1.3).
			invalidGrant("The authorization request carried no code challenge.")
			return
		}
		t = &access.Token{AppID: client.ID, Scopes: c.Scopes, Owner: true}
	case "client_credentials":
		scopes := auth.ParseScopes(f.Get("scope"))
		if len(scopes) == 0 {
			scopes = []string{"read"}
		}
		if auth.UnknownScope(scopes) != "" || !auth.ScopesWithin(scopes, client.Scopes) {
			oauthError(w, http.StatusBadRequest, "invalid_scope", "The requested scope is invalid, unknown, or malformed.")
			return
		}
		t = &access.Token{AppID: client.ID, Scopes: scopes, Owner: false}
	case "refresh_token":
		refresh := f.Get("refresh_token")
		if refresh == "" {
			oauthError(w, http.StatusBadRequest, "invalid_request", "The refresh_token parameter is missing.")
			return
		}
		old, err = h.app.Auth.TokenByRefreshHash(ctx, auth.HashToken(refresh))
		if errors.Is(err, store.ErrNotFound) {
			invalidGrant("The refresh token is invalid or revoked.")
			return
		}
		if err != nil {
			h.serverError(w, r, err)
			return
		}
		if old.AppID != client.ID {
			invalidGrant("The refresh token was issued to another client.")
			return
		}
		scopes := old.Scopes
		if req := auth.ParseScopes(f.Get("scope")); len(req) > 0 {
			// RFC 6749 §6: a refresh may narrow the scopes, never widen them.
			for _, sc := range req {
				if !slices.Contains(old.Scopes, sc) {
					oauthError(w, http.StatusBadRequest, "invalid_scope", "The requested scope exceeds the scope granted.")
					return
				}
			}
			scopes = req
		}
		t = &access.Token{AppID: client.ID, Scopes: scopes, Owner: old.Owner}
	}
	access := auth.RandomToken(auth.TokenBytes)
	t.TokenHash = auth.HashToken(access)
	var refresh string
	if t.Owner {
		refresh = auth.RandomToken(auth.TokenBytes)
		t.RefreshHash = auth.HashToken(refresh)
	}
	if old != nil {
		// The old token goes in the transaction that stores the new one: of two refreshes with
		// the same refresh token, the second finds it gone.
		if err := h.app.Auth.RotateToken(ctx, old.ID, t); errors.Is(err, store.ErrNotFound) {
			invalidGrant("The refresh token is invalid or revoked.")
			return
		} else if err != nil {
			h.serverError(w, r, fmt.Errorf("refresh token: %w", err))
			return
		}
	} else if err := h.app.Auth.CreateToken(ctx, t); err != nil {
		h.serverError(w, r, fmt.Errorf("create token: %w", err))
		return
	}
	JSON(w, http.StatusOK, tokenResponse{AccessToken: access, TokenType: "Bearer",
		Scope: strings.Join(t.Scopes, " "), CreatedAt: h.st.Now().Unix(), RefreshToken: refresh})
}

// oauthRevoke revokes an access or refresh token of the calling client (POST /oauth/revoke,
// RFC 7009). An unknown or already revoked token is not an error.
func (h *Handler) oauthRevoke(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	f, err := mastodon.ReadSmallForm(w, r, oauthBodyLimit)
	if mastodon.IsTooLarge(err) {
		oauthError(w, http.StatusRequestEntityTooLarge, "invalid_request", "The request body is too large.")
		return
	}
	if err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "The request body could not be read.")
		return
	}
	client := h.clientApp(w, r, f)
	if client == nil {
		return
	}
	token := f.Get("token")
	if token == "" {
		oauthError(w, http.StatusBadRequest, "invalid_request", "The token parameter is missing.")
		return
	}
	ctx := r.Context()
	t, err := h.app.Auth.TokenByHash(ctx, auth.HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		t, err = h.app.Auth.TokenByRefreshHash(ctx, auth.HashToken(token))
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		h.serverError(w, r, err)
		return
	case t.AppID != client.ID:
		oauthError(w, http.StatusForbidden, "unauthorized_client", "You are not authorized to revoke this token.")
		return
	default:
		if err := h.app.Auth.RevokeToken(ctx, t.ID); err != nil {
			h.serverError(w, r, fmt.Errorf("revoke token: %w", err))
			return
		}
	}
	JSON(w, http.StatusOK, struct{}{})
}

// oauthMetadata answers /.well-known/oauth-authorization-server (RFC 8414), as Mastodon 4.3 does.
func (h *Handler) oauthMetadata(w http.ResponseWriter, r *http.Request) {
	JSON(w, http.StatusOK, map[string]any{
		"issuer":                                h.app.Base + "/",
		"service_documentation":                 "https://docs.joinmastodon.org/",
		"authorization_endpoint":                h.app.Base + "/oauth/authorize",
		"token_endpoint":                        h.app.Base + "/oauth/token",
		"revocation_endpoint":                   h.app.Base + "/oauth/revoke",
		"app_registration_endpoint":             h.app.Base + "/api/v1/apps",
		"scopes_supported":                      auth.Scopes(),
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query"},
		"grant_types_supported":                 []string{"authorization_code", "client_credentials", "refresh_token"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
	})
}
