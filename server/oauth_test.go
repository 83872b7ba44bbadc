package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"roost/server/mastoapi"
	"roost/store/access"
)

// OAuth 2 for the Mastodon client API: app registration, the code flow with PKCE, client
// credentials, refresh, revocation, scopes in apiAuth, CORS, and the owner's apps page. Requests
// go straight to the Handler; the owner's browser is a session made in the store.

// The API's authorization failures, as Mastodon (Doorkeeper) words them.
const (
	msgInvalidToken = "The access token is invalid"
	msgOutsideScope = "This action is outside the authorized scopes"
	msgNeedsUser    = "This method requires an authenticated user"
)

// oauthHarness is a Roost with a signed-in owner's browser.
type oauthHarness struct {
	ts     *testServer
	h      http.Handler
	cookie *http.Cookie
	csrf   string
}

func newOAuthHarness(t *testing.T) *oauthHarness {
	t.Helper()
	ts := newTestServer(t)
	token, csrf := randomToken(32), randomToken(24)
	se := &access.Session{ID: hashToken(token), CSRF: csrf, ExpiresAt: time.Now().Add(time.Hour)}
	if err := access.New(ts.st).CreateSession(context.Background(), se); err != nil {
		t.Fatalf("create session: %v", err)
	}
	return &oauthHarness{ts: ts, h: ts.srv.Handler(), csrf: csrf,
		cookie: &http.Cookie{Name: ts.srv.app.CookieName(), Value: token}}
}

// request sends a request; headers are pairs. A body's Content-Type goes in headers.
func (o *oauthHarness) request(method, path, body string, headers ...string) *httptest.ResponseRecorder {
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	var req *http.Request
	if rd != nil {
		req = httptest.NewRequest(method, o.ts.srv.app.Base+path, rd)
	} else {
		req = httptest.NewRequest(method, o.ts.srv.app.Base+path, nil)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	o.h.ServeHTTP(rec, req)
	return rec
}

// browser sends a request with the owner's session cookie.
func (o *oauthHarness) browser(method, path string, form url.Values) *httptest.ResponseRecorder {
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, o.ts.srv.app.Base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, o.ts.srv.app.Base+path, nil)
	}
	req.AddCookie(o.cookie)
	rec := httptest.NewRecorder()
	o.h.ServeHTTP(rec, req)
	return rec
}

func oauthPostJSON(o *oauthHarness, path string, v any, headers ...string) *httptest.ResponseRecorder {
	b, _ := json.Marshal(v)
	return o.request(http.MethodPost, path, string(b), append([]string{"Content-Type", "application/json"}, headers...)...)
}

func oauthPostForm(o *oauthHarness, path string, f url.Values, headers ...string) *httptest.ResponseRecorder {
	return o.request(http.MethodPost, path, f.Encode(), append([]string{"Content-Type", "application/x-www-form-urlencoded"}, headers...)...)
}

// oauthDecode requires a JSON answer with status want and decodes it.
func oauthDecode(t *testing.T, what string, rec *httptest.ResponseRecorder, want int) map[string]any {
	t.Helper()
	if rec.Code != want {
		t.Fatalf("%s: status %d, want %d; body %.400s", what, rec.Code, want, rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Fatalf("%s: Content-Type %q, want JSON", what, ct)
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("%s: body %q: %v", what, rec.Body.String(), err)
	}
	return m
}

// wantOAuthError requires an RFC 6749 error with the given status and code.
func wantOAuthError(t *testing.T, what string, rec *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	m := oauthDecode(t, what, rec, status)
	if m["error"] != code {
		t.Fatalf("%s: error %v, want %s (%v)", what, m["error"], code, m["error_description"])
	}
}

type oauthApp struct {
	ClientID, Secret string
	Redirect         string
}

func (o *oauthHarness) registerApp(t *testing.T, redirect, scopes string) oauthApp {
	t.Helper()
	m := oauthDecode(t, "register app", oauthPostJSON(o, "/api/v1/apps", map[string]any{
		"client_name": "Test App", "redirect_uris": redirect, "scopes": scopes, "website": "https://app.example/",
	}), http.StatusOK)
	return oauthApp{ClientID: m["client_id"].(string), Secret: m["client_secret"].(string), Redirect: redirect}
}

// approve runs the consent page with extra authorize parameters and returns the redirect's query.
func (o *oauthHarness) approve(t *testing.T, app oauthApp, extra url.Values) url.Values {
	t.Helper()
	q := url.Values{"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {app.Redirect},
		"scope": {"read write follow"}}
	for k, v := range extra {
		q[k] = v
	}
	rec := o.browser(http.MethodGet, "/oauth/authorize?"+q.Encode(), nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("consent page: status %d; body %.400s", rec.Code, rec.Body.String())
	}
	form := url.Values{"csrf": {o.csrf}, "decision": {"approve"}}
	for k, v := range q {
		form[k] = v
	}
	rec = o.browser(http.MethodPost, "/oauth/authorize", form)
	if rec.Code != http.StatusFound {
		t.Fatalf("approve: status %d, want 302; body %.400s", rec.Code, rec.Body.String())
	}
	loc, err := url.Parse(rec.Header().Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), app.Redirect+"?") {
		t.Fatalf("approve: Location %q, want %s?...", rec.Header().Get("Location"), app.Redirect)
	}
	return loc.Query()
}

func (o *oauthHarness) exchange(app oauthApp, code, verifier string) *httptest.ResponseRecorder {
	body := map[string]any{"grant_type": "authorization_code", "client_id": app.ClientID,
		"client_secret": app.Secret, "redirect_uri": app.Redirect, "code": code}
	if verifier != "" {
		body["code_verifier"] = verifier
	}
	return oauthPostJSON(o, "/oauth/token", body)
}

// ownerToken runs the whole code flow without PKCE and returns the token response.
func (o *oauthHarness) ownerToken(t *testing.T, app oauthApp, scope string) map[string]any {
	t.Helper()
	q := o.approve(t, app, url.Values{"scope": {scope}})
	return oauthDecode(t, "token", o.exchange(app, q.Get("code"), ""), http.StatusOK)
}

// probe calls a handler wrapped in apiAuth(scope) with a bearer token.
func (o *oauthHarness) probe(scope, token string) *httptest.ResponseRecorder {
	h := o.ts.srv.api.Auth(scope, func(w http.ResponseWriter, r *http.Request) {
		t := mastoapi.Token(r)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(map[string]any{"scopes": t.Scopes, "owner": t.Owner})
	})
	req := httptest.NewRequest(http.MethodGet, o.ts.srv.app.Base+"/api/v1/probe", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h(rec, req)
	return rec
}

func TestOAuthCodeFlowPKCE(t *testing.T) {
	o := newOAuthHarness(t)
	app := o.registerApp(t, "https://app.example/callback", "read write follow")
	verifier := randomToken(48)
	challenge := s256(verifier)
	pkce := url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "state": {"st-123"}}

	t.Run("consent needs a session", func(t *testing.T) {
		rec := o.request(http.MethodGet, "/oauth/authorize?response_type=code&client_id="+app.ClientID, "")
		if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/login?next=") {
			t.Fatalf("status %d Location %q, want 303 to /login", rec.Code, rec.Header().Get("Location"))
		}
	})

	t.Run("consent page", func(t *testing.T) {
		q := url.Values{"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {app.Redirect},
			"scope": {"read write:statuses"}}
		for k, v := range pkce {
			q[k] = v
		}
		rec := o.browser(http.MethodGet, "/oauth/authorize?"+q.Encode(), nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d; body %.300s", rec.Code, rec.Body.String())
		}
		oauthPageHeaders(t, "consent", rec)
		body := rec.Body.String()
		for _, want := range []string{"Test App", "write:statuses", `name="csrf" value="` + o.csrf + `"`,
			`name="code_challenge" value="` + challenge + `"`, `value="st-123"`, `href="/settings/apps"`} {
			if !strings.Contains(body, want) {
				t.Errorf("consent page lacks %q", want)
			}
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://app.example") {
			t.Errorf("CSP %q does not let the form redirect to the app", csp)
		}
	})

	t.Run("approve without CSRF token", func(t *testing.T) {
		form := url.Values{"decision": {"approve"}, "response_type": {"code"}, "client_id": {app.ClientID},
			"redirect_uri": {app.Redirect}}
		if rec := o.browser(http.MethodPost, "/oauth/authorize", form); rec.Code != http.StatusForbidden {
			t.Fatalf("status %d, want 403", rec.Code)
		}
	})

	t.Run("wrong verifier, then the burnt code", func(t *testing.T) {
		q := o.approve(t, app, pkce)
		if q.Get("state") != "st-123" || q.Get("code") == "" {
			t.Fatalf("redirect query %v, want code and state", q)
		}
		wantOAuthError(t, "wrong verifier", o.exchange(app, q.Get("code"), randomToken(48)), 400, "invalid_grant")
		wantOAuthError(t, "after a failed try", o.exchange(app, q.Get("code"), verifier), 400, "invalid_grant")
	})

	t.Run("missing verifier", func(t *testing.T) {
		q := o.approve(t, app, pkce)
		wantOAuthError(t, "no verifier", o.exchange(app, q.Get("code"), ""), 400, "invalid_grant")
	})

	t.Run("verifier without a challenge", func(t *testing.T) {
		q := o.approve(t, app, nil)
		wantOAuthError(t, "stripped challenge", o.exchange(app, q.Get("code"), verifier), 400, "invalid_grant")
	})

	var access string
	t.Run("exchange and reuse", func(t *testing.T) {
		q := o.approve(t, app, pkce)
		m := oauthDecode(t, "token", o.exchange(app, q.Get("code"), verifier), http.StatusOK)
		access, _ = m["access_token"].(string)
		if len(access) < 43 || m["token_type"] != "Bearer" || m["scope"] != "read write follow" ||
			m["refresh_token"] == "" || m["created_at"] == nil {
			t.Fatalf("token response %v", m)
		}
		if created := int64(m["created_at"].(float64)); time.Since(time.Unix(created, 0)).Abs() > time.Minute {
			t.Errorf("created_at %d is not now in unix seconds", created)
		}
		wantOAuthError(t, "reused code", o.exchange(app, q.Get("code"), verifier), 400, "invalid_grant")
		if tok, err := o.ts.srv.App().Auth.TokenByHash(context.Background(), hashToken(access)); err != nil || !tok.Owner {
			t.Fatalf("stored token %+v, %v; want it stored hashed, owner", tok, err)
		}
	})

	t.Run("the token works", func(t *testing.T) {
		oauthDecode(t, "probe", o.probe("read:statuses", access), http.StatusOK)
		m := oauthDecode(t, "verify app", o.request(http.MethodGet, "/api/v1/apps/verify_credentials", "",
			"Authorization", "Bearer "+access), http.StatusOK)
		if m["name"] != "Test App" || m["client_secret"] != nil || m["client_id"] != nil {
			t.Fatalf("verify_credentials %v", m)
		}
	})

	t.Run("wrong redirect_uri", func(t *testing.T) {
		q := o.approve(t, app, nil)
		rec := oauthPostJSON(o, "/oauth/token", map[string]any{"grant_type": "authorization_code", "client_id": app.ClientID,
			"client_secret": app.Secret, "redirect_uri": "https://evil.example/callback", "code": q.Get("code")})
		wantOAuthError(t, "redirect mismatch", rec, 400, "invalid_grant")
	})

	t.Run("wrong client secret", func(t *testing.T) {
		q := o.approve(t, app, nil)
		bad := app
		bad.Secret = "nope"
		wantOAuthError(t, "bad secret", o.exchange(bad, q.Get("code"), ""), 401, "invalid_client")
	})

	t.Run("code of another app", func(t *testing.T) {
		q := o.approve(t, app, nil)
		other := o.registerApp(t, app.Redirect, "read")
		wantOAuthError(t, "other app", o.exchange(other, q.Get("code"), ""), 400, "invalid_grant")
	})

	t.Run("expired code", func(t *testing.T) {
		q := o.approve(t, app, pkce)
		o.ts.advance(authCodeTTL + time.Second)
		wantOAuthError(t, "expired", o.exchange(app, q.Get("code"), verifier), 400, "invalid_grant")
	})
}

func TestOAuthAuthorizeErrors(t *testing.T) {
	o := newOAuthHarness(t)
	app := o.registerApp(t, "https://app.example/callback", "read write")
	base := url.Values{"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {app.Redirect}, "scope": {"read"}}
	for _, tc := range []struct {
		name string
		k, v string
	}{
		{"unknown client", "client_id", "nobody"},
		{"unregistered redirect", "redirect_uri", "https://evil.example/callback"},
		{"redirect prefix", "redirect_uri", "https://app.example/callback/more"},
		{"implicit flow", "response_type", "token"},
		{"scope beyond the app", "scope", "read follow"},
		{"unknown scope", "scope", "read everything"},
		{"plain PKCE", "code_challenge_method", "plain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := url.Values{}
			for k, v := range base {
				q[k] = v
			}
			q.Set(tc.k, tc.v)
			if tc.k == "code_challenge_method" {
				q.Set("code_challenge", s256("x"))
			}
			rec := o.browser(http.MethodGet, "/oauth/authorize?"+q.Encode(), nil)
			if rec.Code != http.StatusBadRequest || rec.Header().Get("Location") != "" {
				t.Fatalf("GET: status %d Location %q, want 400 and no redirect", rec.Code, rec.Header().Get("Location"))
			}
			if !strings.Contains(rec.Body.String(), "Authorization failed") {
				t.Errorf("GET: no error page: %.300s", rec.Body.String())
			}
			form := url.Values{"csrf": {o.csrf}, "decision": {"approve"}}
			for k, v := range q {
				form[k] = v
			}
			rec = o.browser(http.MethodPost, "/oauth/authorize", form)
			if rec.Code != http.StatusBadRequest || rec.Header().Get("Location") != "" {
				t.Fatalf("POST: status %d Location %q, want 400 and no redirect", rec.Code, rec.Header().Get("Location"))
			}
		})
	}

	t.Run("deny", func(t *testing.T) {
		form := url.Values{"csrf": {o.csrf}, "decision": {"deny"}, "state": {"s1"}}
		for k, v := range base {
			form[k] = v
		}
		rec := o.browser(http.MethodPost, "/oauth/authorize", form)
		loc, _ := url.Parse(rec.Header().Get("Location"))
		if rec.Code != http.StatusFound || loc == nil || loc.Query().Get("error") != "access_denied" ||
			loc.Query().Get("state") != "s1" || loc.Query().Get("code") != "" {
			t.Fatalf("status %d Location %q, want 302 with error=access_denied&state=s1", rec.Code, rec.Header().Get("Location"))
		}
	})
}

func TestOAuthOutOfBand(t *testing.T) {
	o := newOAuthHarness(t)
	// As masto and megalodon register: JSON, the out-of-band URI, three scopes.
	app := o.registerApp(t, oobRedirect, "read write follow")
	q := url.Values{"response_type": {"code"}, "client_id": {app.ClientID}, "redirect_uri": {oobRedirect},
		"scope": {"read write follow"}}
	if rec := o.browser(http.MethodGet, "/oauth/authorize?"+q.Encode(), nil); rec.Code != http.StatusOK {
		t.Fatalf("consent: status %d", rec.Code)
	}
	form := url.Values{"csrf": {o.csrf}, "decision": {"approve"}}
	for k, v := range q {
		form[k] = v
	}
	rec := o.browser(http.MethodPost, "/oauth/authorize", form)
	if rec.Code != http.StatusOK || rec.Header().Get("Location") != "" {
		t.Fatalf("approve: status %d Location %q, want the code page", rec.Code, rec.Header().Get("Location"))
	}
	doc := oauthParse(t, rec.Body.String())
	input := oauthFirst(t, doc, "code field", func(n *html.Node) bool { return n.Data == "input" && oauthAttr(n, "id") == "code" })
	code := oauthAttr(input, "value")
	if len(code) < 43 {
		t.Fatalf("code %q", code)
	}
	// Form-encoded this time, with HTTP Basic client authentication.
	tok := oauthPostForm(o, "/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {oobRedirect}}, "Authorization", oauthBasic(app.ClientID, app.Secret))
	m := oauthDecode(t, "token", tok, http.StatusOK)
	if m["scope"] != "read write follow" {
		t.Fatalf("token %v", m)
	}
}

func oauthBasic(user, pass string) string {
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	return req.Header.Get("Authorization")
}

func TestOAuthClientCredentials(t *testing.T) {
	o := newOAuthHarness(t)
	app := o.registerApp(t, oobRedirect, "read write")
	m := oauthDecode(t, "client_credentials", oauthPostForm(o, "/oauth/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {app.ClientID}, "client_secret": {app.Secret}}), http.StatusOK)
	if m["scope"] != "read" || m["refresh_token"] != nil {
		t.Fatalf("app token %v, want scope read and no refresh token", m)
	}
	access := m["access_token"].(string)
	if got := oauthDecode(t, "any token", o.probe("", access), http.StatusOK); got["owner"] != false {
		t.Fatalf("probe %v, want an app-only token", got)
	}
	oauthDecode(t, "verify app", o.request(http.MethodGet, "/api/v1/apps/verify_credentials", "",
		"Authorization", "Bearer "+access), http.StatusOK)
	// An app-only token never acts as the owner: anyone can register an app.
	if m := oauthDecode(t, "owner endpoint", o.probe("read:statuses", access), http.StatusUnprocessableEntity); m["error"] != msgNeedsUser {
		t.Fatalf("error %v", m["error"])
	}
	wantOAuthError(t, "scope beyond the app", oauthPostForm(o, "/oauth/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {app.ClientID}, "client_secret": {app.Secret}, "scope": {"read follow"}}), 400, "invalid_scope")
	wantOAuthError(t, "password grant", oauthPostJSON(o, "/oauth/token", map[string]any{"grant_type": "password",
		"client_id": app.ClientID, "client_secret": app.Secret, "username": "me", "password": "x"}), 400, "unsupported_grant_type")
	wantOAuthError(t, "no grant", oauthPostJSON(o, "/oauth/token", map[string]any{}), 400, "invalid_request")
	wantOAuthError(t, "no client", oauthPostJSON(o, "/oauth/token", map[string]any{"grant_type": "client_credentials"}), 401, "invalid_client")
}

func TestOAuthRefreshToken(t *testing.T) {
	o := newOAuthHarness(t)
	app := o.registerApp(t, "https://app.example/cb", "read write")
	first := o.ownerToken(t, app, "read write")
	refresh := func(tok string, scope string) *httptest.ResponseRecorder {
		body := map[string]any{"grant_type": "refresh_token", "client_id": app.ClientID,
			"client_secret": app.Secret, "refresh_token": tok}
		if scope != "" {
			body["scope"] = scope
		}
		return oauthPostJSON(o, "/oauth/token", body)
	}
	wantOAuthError(t, "wider scope", refresh(first["refresh_token"].(string), "read write follow"), 400, "invalid_scope")
	second := oauthDecode(t, "refresh", refresh(first["refresh_token"].(string), ""), http.StatusOK)
	if second["access_token"] == first["access_token"] || second["refresh_token"] == first["refresh_token"] ||
		second["scope"] != "read write" {
		t.Fatalf("refreshed %v from %v", second, first)
	}
	oauthDecode(t, "old access token", o.probe("read", first["access_token"].(string)), http.StatusUnauthorized)
	oauthDecode(t, "new access token", o.probe("write:statuses", second["access_token"].(string)), http.StatusOK)
	wantOAuthError(t, "old refresh token", refresh(first["refresh_token"].(string), ""), 400, "invalid_grant")
	narrowed := oauthDecode(t, "narrowing refresh", refresh(second["refresh_token"].(string), "read"), http.StatusOK)
	if narrowed["scope"] != "read" {
		t.Fatalf("narrowed %v", narrowed)
	}

	// Refreshes racing with one refresh token: exactly one gets a token, the others invalid_grant.
	tok := narrowed["refresh_token"].(string)
	recs := make([]*httptest.ResponseRecorder, 8)
	var wg sync.WaitGroup
	for i := range recs {
		wg.Go(func() { recs[i] = refresh(tok, "") })
	}
	wg.Wait()
	var won []string
	for _, rec := range recs {
		if rec.Code == http.StatusOK {
			won = append(won, oauthDecode(t, "raced refresh", rec, http.StatusOK)["access_token"].(string))
		} else {
			wantOAuthError(t, "raced refresh", rec, 400, "invalid_grant")
		}
	}
	if len(won) != 1 {
		t.Fatalf("%d of %d racing refreshes got a token, want 1", len(won), len(recs))
	}
	oauthDecode(t, "the winner's token", o.probe("read", won[0]), http.StatusOK)
}

func TestOAuthRevoke(t *testing.T) {
	o := newOAuthHarness(t)
	app := o.registerApp(t, "https://app.example/cb", "read")
	tok := o.ownerToken(t, app, "read")["access_token"].(string)
	oauthDecode(t, "before", o.probe("read", tok), http.StatusOK)

	other := o.registerApp(t, "https://other.example/cb", "read")
	wantOAuthError(t, "another app's token", oauthPostForm(o, "/oauth/revoke", url.Values{"client_id": {other.ClientID},
		"client_secret": {other.Secret}, "token": {tok}}), 403, "unauthorized_client")
	oauthDecode(t, "still valid", o.probe("read", tok), http.StatusOK)

	for i := range 2 { // revoking twice is fine
		m := oauthDecode(t, "revoke", oauthPostForm(o, "/oauth/revoke", url.Values{"client_id": {app.ClientID},
			"client_secret": {app.Secret}, "token": {tok}}), http.StatusOK)
		if len(m) != 0 {
			t.Fatalf("revoke %d: %v, want {}", i, m)
		}
	}
	m := oauthDecode(t, "after", o.probe("read", tok), http.StatusUnauthorized)
	if m["error"] != msgInvalidToken {
		t.Fatalf("error %v", m["error"])
	}
}

func TestOAuthAppsPage(t *testing.T) {
	o := newOAuthHarness(t)
	app := o.registerApp(t, "https://app.example/cb", "read write")
	o.registerApp(t, "https://unused.example/cb", "read") // registered, never authorized: not listed
	tok := o.ownerToken(t, app, "read")["access_token"].(string)

	rec := o.browser(http.MethodGet, "/settings/apps", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("apps page: %d", rec.Code)
	}
	oauthPageHeaders(t, "apps page", rec)
	doc := oauthParse(t, rec.Body.String())
	forms := oauthFind(doc, func(n *html.Node) bool { return n.Data == "form" && oauthAttr(n, "action") == "/settings/apps/revoke" })
	if len(forms) != 1 {
		t.Fatalf("%d revoke forms, want 1 (only the authorized app)", len(forms))
	}
	id := oauthAttr(oauthFirst(t, forms[0], "app id", func(n *html.Node) bool { return oauthAttr(n, "name") == "app" }), "value")

	if rec := o.request(http.MethodGet, "/settings/apps", ""); rec.Code != http.StatusSeeOther {
		t.Fatalf("apps page without a session: %d, want 303 to login", rec.Code)
	}
	if rec := o.browser(http.MethodPost, "/settings/apps/revoke", url.Values{"app": {id}}); rec.Code != http.StatusForbidden {
		t.Fatalf("revoke without CSRF: %d, want 403", rec.Code)
	}
	if err := o.ts.st.SetPasswordHash(context.Background(), hashPassword(ownerPassword)); err != nil { // keeps the session
		t.Fatal(err)
	}
	rec = o.browser(http.MethodPost, "/settings/apps/revoke", url.Values{"csrf": {o.csrf}, "app": {id}, "password": {ownerPassword}})
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/settings/apps?notice=") {
		t.Fatalf("revoke: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	oauthDecode(t, "revoked app's token", o.probe("read", tok), http.StatusUnauthorized)
	if rec := o.browser(http.MethodGet, "/settings/apps", nil); strings.Contains(rec.Body.String(), "/settings/apps/revoke") {
		t.Fatal("the revoked app is still listed")
	}
}

func TestTokenScopes(t *testing.T) {
	o := newOAuthHarness(t)
	app := o.registerApp(t, "https://app.example/cb", "read write follow push")
	read := o.ownerToken(t, app, "read")["access_token"].(string)
	follow := o.ownerToken(t, app, "follow")["access_token"].(string)
	for _, tc := range []struct {
		name, scope, token string
		want               int
	}{
		{"read covers read:statuses", "read:statuses", read, 200},
		{"read is not write", "write:statuses", read, 403},
		{"read is not push", "push", read, 403},
		{"any scope", "", read, 200},
		{"alternatives", "profile read:accounts", read, 200},
		{"follow covers write:follows", "write:follows", follow, 200},
		{"follow covers read:blocks", "read:blocks", follow, 200},
		{"follow is not write:statuses", "write:statuses", follow, 403},
		{"no token", "read", "", 401},
		{"unknown token", "read", randomToken(32), 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := o.probe(tc.scope, tc.token)
			m := oauthDecode(t, tc.name, rec, tc.want)
			if rec.Header().Get("Cache-Control") != "private, no-store" {
				t.Errorf("Cache-Control %q", rec.Header().Get("Cache-Control"))
			}
			switch tc.want {
			case 401:
				if m["error"] != msgInvalidToken || rec.Header().Get("WWW-Authenticate") == "" {
					t.Errorf("401 %v", m)
				}
			case 403:
				if m["error"] != msgOutsideScope {
					t.Errorf("403 %v", m)
				}
			}
		})
	}
	t.Run("Bearer scheme is case-insensitive", func(t *testing.T) {
		h := o.ts.srv.api.Auth("read", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
		req := httptest.NewRequest(http.MethodGet, "/api/v1/x", nil)
		req.Header.Set("Authorization", "bearer "+read)
		rec := httptest.NewRecorder()
		h(rec, req)
		if rec.Code != 204 {
			t.Fatalf("status %d", rec.Code)
		}
	})
	t.Run("query token only for streaming", func(t *testing.T) {
		ok := func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }
		for _, tc := range []struct {
			h    http.HandlerFunc
			want int
		}{{o.ts.srv.api.Auth("read", ok), 401}, {o.ts.srv.api.AuthQuery("read", ok), 204}} {
			rec := httptest.NewRecorder()
			tc.h(rec, httptest.NewRequest(http.MethodGet, "/api/v1/streaming?access_token="+read, nil))
			if rec.Code != tc.want {
				t.Errorf("status %d, want %d", rec.Code, tc.want)
			}
		}
	})
}

func TestAppsRegistration(t *testing.T) {
	o := newOAuthHarness(t)
	t.Run("JSON", func(t *testing.T) {
		m := oauthDecode(t, "register", oauthPostJSON(o, "/api/v1/apps", map[string]any{"client_name": "Elk",
			"redirect_uris": []string{"https://elk.example/cb", "elk://callback"}, "scopes": "read write follow push"}), 200)
		if m["name"] != "Elk" || len(str(m["vapid_key"])) != 87 || m["client_secret_expires_at"] != float64(0) ||
			m["redirect_uri"] != "https://elk.example/cb\nelk://callback" || m["website"] != nil ||
			len(m["redirect_uris"].([]any)) != 2 || len(m["scopes"].([]any)) != 4 || m["id"] == "" {
			t.Fatalf("app %v", m)
		}
		a, err := access.New(o.ts.st).AppByClientID(context.Background(), m["client_id"].(string))
		if err != nil || a.SecretHash != hashToken(m["client_secret"].(string)) {
			t.Fatalf("stored app %+v, %v; want the secret hashed", a, err)
		}
	})
	t.Run("form", func(t *testing.T) {
		m := oauthDecode(t, "register", oauthPostForm(o, "/api/v1/apps", url.Values{
			"client_name":   {"Tusky"},
			"redirect_uris": {"oauth2redirect://com.keylesspalace.tusky/\nurn:ietf:wg:oauth:2.0:oob"},
			"scopes":        {"read write follow push"},
			"website":       {"https://tusky.app"},
		}), 200)
		if m["website"] != "https://tusky.app" || len(m["redirect_uris"].([]any)) != 2 {
			t.Fatalf("app %v", m)
		}
	})
	t.Run("default scope", func(t *testing.T) {
		m := oauthDecode(t, "register", oauthPostForm(o, "/api/v1/apps", url.Values{"client_name": {"X"},
			"redirect_uris": {oobRedirect}}), 200)
		if s := m["scopes"].([]any); len(s) != 1 || s[0] != "read" {
			t.Fatalf("scopes %v", s)
		}
	})
	for _, tc := range []struct {
		name string
		body map[string]any
	}{
		{"unknown scope", map[string]any{"client_name": "X", "redirect_uris": oobRedirect, "scopes": "read delete:everything"}},
		{"no name", map[string]any{"redirect_uris": oobRedirect}},
		{"no redirect", map[string]any{"client_name": "X"}},
		{"relative redirect", map[string]any{"client_name": "X", "redirect_uris": "/callback"}},
		{"javascript redirect", map[string]any{"client_name": "X", "redirect_uris": "javascript:alert(1)"}},
		{"fragment", map[string]any{"client_name": "X", "redirect_uris": "https://app.example/cb#x"}},
		{"bad website", map[string]any{"client_name": "X", "redirect_uris": oobRedirect, "website": "javascript:alert(1)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := oauthDecode(t, tc.name, oauthPostJSON(o, "/api/v1/apps", tc.body), http.StatusUnprocessableEntity)
			if s, _ := m["error"].(string); s == "" {
				t.Fatalf("no error message: %v", m)
			}
		})
	}
	t.Run("bad JSON", func(t *testing.T) {
		oauthDecode(t, "bad json", o.request(http.MethodPost, "/api/v1/apps", `{"client_name":`, "Content-Type", "application/json"), 400)
	})
}

func TestOAuthCORS(t *testing.T) {
	o := newOAuthHarness(t)
	for _, path := range []string{"/api/v1/statuses", "/api/v1/apps/verify_credentials", "/oauth/token", "/oauth/revoke"} {
		rec := o.request(http.MethodOptions, path, "", "Origin", "https://elk.example",
			"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization,content-type")
		h := rec.Header()
		if rec.Code != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "*" ||
			!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") ||
			!strings.Contains(h.Get("Access-Control-Allow-Methods"), "DELETE") ||
			h.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("OPTIONS %s: %d %v", path, rec.Code, h)
		}
	}
	rec := o.request(http.MethodGet, "/api/v1/apps/verify_credentials", "", "Origin", "https://elk.example")
	oauthDecode(t, "no token", rec, http.StatusUnauthorized)
	if rec.Header().Get("Access-Control-Allow-Origin") != "*" || rec.Header().Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("401 CORS headers %v", rec.Header())
	}
	// The owner's session cookie is no credential for the API.
	req := httptest.NewRequest(http.MethodGet, o.ts.srv.app.Base+"/api/v1/apps/verify_credentials", nil)
	req.AddCookie(o.cookie)
	rec = httptest.NewRecorder()
	o.h.ServeHTTP(rec, req)
	oauthDecode(t, "cookie only", rec, http.StatusUnauthorized)
}

// Browser clients (Elk, Phanpy) call the API and the token endpoint from their own origin. Those
// endpoints take no cookie, so cross-origin requests cannot ride on the owner's session and must
// get through http.CrossOriginProtection: registration, the code exchange, a post with the token
// and its revocation all succeed from another origin, with the CORS header; the owner's consent
// form stays same-origin only.
func TestOAuthCrossOriginClients(t *testing.T) {
	o := newOAuthHarness(t)
	cross := []string{"Origin", "https://elk.example", "Sec-Fetch-Site", "cross-site"}
	corsOK := func(what string, rec *httptest.ResponseRecorder) map[string]any {
		t.Helper()
		m := oauthDecode(t, what, rec, http.StatusOK)
		if rec.Header().Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: no Access-Control-Allow-Origin: * (%v)", what, rec.Header())
		}
		return m
	}
	m := corsOK("cross-origin registration", oauthPostJSON(o, "/api/v1/apps", map[string]any{"client_name": "Elk",
		"redirect_uris": "https://elk.example/callback", "scopes": "read write"}, cross...))
	app := oauthApp{ClientID: m["client_id"].(string), Secret: m["client_secret"].(string),
		Redirect: "https://elk.example/callback"}
	corsOK("cross-origin client credentials", oauthPostJSON(o, "/oauth/token", map[string]any{
		"grant_type": "client_credentials", "client_id": app.ClientID, "client_secret": app.Secret}, cross...))

	// The owner approves on Roost's own page; the app exchanges the code from its origin.
	q := o.approve(t, app, url.Values{"scope": {"read write"}})
	tok := corsOK("cross-origin code exchange", oauthPostJSON(o, "/oauth/token", map[string]any{
		"grant_type": "authorization_code", "client_id": app.ClientID, "client_secret": app.Secret,
		"redirect_uri": app.Redirect, "code": q.Get("code")}, cross...))
	bearer := "Bearer " + tok["access_token"].(string)
	st := corsOK("cross-origin post", oauthPostJSON(o, "/api/v1/statuses", map[string]any{"status": "from Elk"},
		append([]string{"Authorization", bearer}, cross...)...))
	if !strings.Contains(str(st["content"]), "from Elk") {
		t.Errorf("posted status %v", st)
	}
	corsOK("cross-origin revocation", oauthPostForm(o, "/oauth/revoke", url.Values{"token": {tok["access_token"].(string)},
		"client_id": {app.ClientID}, "client_secret": {app.Secret}}, cross...))

	// The consent form stays same-origin only.
	form := url.Values{"csrf": {o.csrf}, "decision": {"approve"}, "client_id": {app.ClientID}}
	req := httptest.NewRequest(http.MethodPost, o.ts.srv.app.Base+"/oauth/authorize", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.AddCookie(o.cookie)
	rr := httptest.NewRecorder()
	o.h.ServeHTTP(rr, req)
	if rr.Code != http.StatusForbidden {
		t.Errorf("cross-site consent POST: %d, want 403", rr.Code)
	}
}

func TestOAuthWellKnown(t *testing.T) {
	o := newOAuthHarness(t)
	m := oauthDecode(t, "metadata", o.request(http.MethodGet, "/.well-known/oauth-authorization-server", ""), 200)
	base := o.ts.srv.app.Base
	for k, want := range map[string]string{"issuer": base + "/", "authorization_endpoint": base + "/oauth/authorize",
		"token_endpoint": base + "/oauth/token", "revocation_endpoint": base + "/oauth/revoke",
		"app_registration_endpoint": base + "/api/v1/apps"} {
		if m[k] != want {
			t.Errorf("%s = %v, want %s", k, m[k], want)
		}
	}
	list := func(k string) []string {
		var out []string
		for _, v := range m[k].([]any) {
			out = append(out, v.(string))
		}
		return out
	}
	if !slices.Equal(list("response_types_supported"), []string{"code"}) ||
		!slices.Equal(list("code_challenge_methods_supported"), []string{"S256"}) ||
		!slices.Contains(list("grant_types_supported"), "refresh_token") ||
		slices.Contains(list("grant_types_supported"), "password") ||
		!slices.Contains(list("scopes_supported"), "write:statuses") ||
		!slices.Contains(list("token_endpoint_auth_methods_supported"), "client_secret_post") {
		t.Errorf("metadata %v", m)
	}
}

// oauthPageHeaders checks what the owner's pages must carry: HTML, and no framing (the consent
// page must not be clickjacked).
func oauthPageHeaders(t *testing.T, what string, rec *httptest.ResponseRecorder) {
	t.Helper()
	h := rec.Header()
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("%s: Content-Type %q", what, ct)
	}
	if h.Get("X-Frame-Options") != "DENY" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("%s: framing allowed: %v", what, h)
	}
}

func oauthParse(t *testing.T, body string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse html: %v", err)
	}
	return doc
}

func oauthFind(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && match(d) {
			out = append(out, d)
		}
	}
	return out
}

func oauthFirst(t *testing.T, n *html.Node, what string, match func(*html.Node) bool) *html.Node {
	t.Helper()
	all := oauthFind(n, match)
	if len(all) == 0 {
		t.Fatalf("no %s on the page", what)
	}
	return all[0]
}

func oauthAttr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
