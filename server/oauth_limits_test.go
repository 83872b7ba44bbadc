package server

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"roost/store"
	"roost/store/access"
)

// TestOAuthUnauthenticatedEndpointsRefuseLargeBodies: app registration, the token endpoint and
// revocation take anyone's request, and their forms are a few hundred bytes; a megabyte is
// refused with 413 (they read up to 40 MiB of multipart before), whether announced or chunked.
func TestOAuthUnauthenticatedEndpointsRefuseLargeBodies(t *testing.T) {
	o := newOAuthHarness(t)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("client_name", "Big")
	mw.WriteField("redirect_uris", oobRedirect)
	fw, _ := mw.CreateFormFile("file", "big.bin")
	fw.Write(bytes.Repeat([]byte("x"), 1<<20))
	mw.Close()
	for _, path := range []string{"/api/v1/apps", "/oauth/token", "/oauth/revoke"} {
		for _, announced := range []bool{true, false} {
			name := path + " chunked"
			if announced {
				name = path + " with Content-Length"
			}
			t.Run(name, func(t *testing.T) {
				req := httptest.NewRequest(http.MethodPost, o.ts.srv.app.Base+path, bytes.NewReader(buf.Bytes()))
				req.Header.Set("Content-Type", mw.FormDataContentType())
				if !announced {
					req.ContentLength = -1
				}
				rec := httptest.NewRecorder()
				o.h.ServeHTTP(rec, req)
				m := oauthDecode(t, name, rec, http.StatusRequestEntityTooLarge)
				if s, _ := m["error"].(string); s == "" {
					t.Errorf("no error message: %v", m)
				}
			})
		}
	}
	// An ordinary registration still fits.
	oauthDecode(t, "small registration", oauthPostJSON(o, "/api/v1/apps", map[string]any{
		"client_name": "Small", "redirect_uris": strings.Repeat("https://app.example/cb ", 3)}), http.StatusOK)
}

// TestAppRegistrationSizeLimited: an app's redirect URIs together take at most 2,000 characters,
// as in Mastodon (40 registrations with a megabyte of them each grew the database 38 MiB).
func TestAppRegistrationSizeLimited(t *testing.T) {
	o := newOAuthHarness(t)
	var uris []string
	for i := range 30 {
		uris = append(uris, fmt.Sprintf("https://app.example/%s/%d", strings.Repeat("x", 80), i))
	}
	m := oauthDecode(t, "many redirect URIs", oauthPostJSON(o, "/api/v1/apps", map[string]any{
		"client_name": "Wide", "redirect_uris": uris}), http.StatusUnprocessableEntity)
	if s, _ := m["error"].(string); !strings.Contains(s, "Redirect URI") {
		t.Errorf("error %v, want one about the redirect URIs", m)
	}
	oauthDecode(t, "a few redirect URIs", oauthPostJSON(o, "/api/v1/apps", map[string]any{
		"client_name": "Narrow", "redirect_uris": uris[:10]}), http.StatusOK)
}

// appsPerAddress is how many apps one client address may register in an hour.
const appsPerAddress = 10

// TestAppRegistrationsLimitedPerAddress: one address registers at most appsPerAddress apps an
// hour; the next is answered 429 with Retry-After, while another address still registers.
func TestAppRegistrationsLimitedPerAddress(t *testing.T) {
	o := newOAuthHarness(t)
	register := func(addr string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, o.ts.srv.app.Base+"/api/v1/apps",
			strings.NewReader(url.Values{"client_name": {"App"}, "redirect_uris": {oobRedirect}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.RemoteAddr = addr
		rec := httptest.NewRecorder()
		o.h.ServeHTTP(rec, req)
		return rec
	}
	for i := range appsPerAddress {
		oauthDecode(t, fmt.Sprintf("registration %d", i+1), register("203.0.113.5:4000"), http.StatusOK)
	}
	rec := register("203.0.113.5:4001")
	oauthDecode(t, "one registration too many", rec, http.StatusTooManyRequests)
	if rec.Header().Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// An IPv6 client is counted by its /64.
	for i := range appsPerAddress {
		oauthDecode(t, "IPv6 registration", register(fmt.Sprintf("[2001:db8::%x]:4000", i+1)), http.StatusOK)
	}
	oauthDecode(t, "IPv6 registration from the same /64", register("[2001:db8::ffff]:4000"), http.StatusTooManyRequests)
	oauthDecode(t, "another address", register("198.51.100.7:4000"), http.StatusOK)
}

// TestClientCredentialsTokensCapped: asking for app-only tokens again and again keeps at most
// access.AppTokensKept of them per app, the newest.
func TestClientCredentialsTokensCapped(t *testing.T) {
	o := newOAuthHarness(t)
	app := o.registerApp(t, oobRedirect, "read")
	var tokens []string
	for range 20 {
		m := oauthDecode(t, "client_credentials", oauthPostForm(o, "/oauth/token", url.Values{
			"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {app.Secret}}), http.StatusOK)
		tokens = append(tokens, m["access_token"].(string))
	}
	db, err := sql.Open("sqlite", "file:"+o.ts.dbPath+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM oauth_tokens`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != access.AppTokensKept {
		t.Errorf("%d tokens stored after 20 client_credentials grants, want %d", n, access.AppTokensKept)
	}
	oauthDecode(t, "newest token", o.probe("", tokens[len(tokens)-1]), http.StatusOK)
	oauthDecode(t, "first token", o.probe("", tokens[0]), http.StatusUnauthorized)
}

// TestUnauthorizedAppsExpire: an app the owner never authorized is deleted once it is a day old,
// by the server's periodic maintenance; an app the owner authorized stays, even revoked, and so
// does a new one.
func TestUnauthorizedAppsExpire(t *testing.T) {
	ctx := context.Background()
	o := newOAuthHarness(t)
	o.ts.advance(-25 * time.Hour)
	unused := o.registerApp(t, oobRedirect, "read")
	appOnly := o.registerApp(t, oobRedirect, "read")
	oauthDecode(t, "client_credentials", oauthPostForm(o, "/oauth/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {appOnly.ClientID}, "client_secret": {appOnly.Secret}}), http.StatusOK)
	used := o.registerApp(t, "https://app.example/cb", "read")
	o.ownerToken(t, used, "read")
	usedApp, err := access.New(o.ts.st).AppByClientID(ctx, used.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	if err := access.New(o.ts.st).RevokeApp(ctx, usedApp.ID); err != nil {
		t.Fatal(err)
	}
	o.ts.advance(25 * time.Hour)
	fresh := o.registerApp(t, oobRedirect, "read")

	o.ts.restart(t) // maintenance runs when the workers start, then hourly
	for _, id := range []string{unused.ClientID, appOnly.ClientID} {
		waitFor(t, "an unauthorized app deleted", func() bool {
			_, err := access.New(o.ts.st).AppByClientID(ctx, id)
			return errors.Is(err, store.ErrNotFound)
		})
	}
	for _, id := range []string{used.ClientID, fresh.ClientID} {
		if _, err := access.New(o.ts.st).AppByClientID(ctx, id); err != nil {
			t.Errorf("app %s: %v, want it kept", id, err)
		}
	}
}

// TestRevokedAppCodeNoLongerWorks: revoking an app also burns its authorization codes not yet
// exchanged, so a code issued before the revocation cannot bring the app back.
func TestRevokedAppCodeNoLongerWorks(t *testing.T) {
	o := newOAuthHarness(t)
	app := o.registerApp(t, "https://app.example/cb", "read")
	o.ownerToken(t, app, "read")
	pending := o.approve(t, app, url.Values{"scope": {"read"}}).Get("code")
	a, err := access.New(o.ts.st).AppByClientID(context.Background(), app.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.ts.st.SetPasswordHash(context.Background(), hashPassword(ownerPassword)); err != nil { // keeps the session
		t.Fatal(err)
	}
	rec := o.browser(http.MethodPost, "/settings/apps/revoke", url.Values{"csrf": {o.csrf}, "app": {fmt.Sprint(a.ID)}, "password": {ownerPassword}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("revoke: status %d", rec.Code)
	}
	if loc := rec.Header().Get("Location"); !strings.Contains(loc, "notice=") {
		t.Fatalf("revoke: redirected to %s, want a notice", loc)
	}
	wantOAuthError(t, "a code issued before the revocation", o.exchange(app, pending, ""), http.StatusBadRequest, "invalid_grant")
}

// TestPasswordChangeRevokesAppsAndSessions: changing the password (the settings form, or
// `roost passwd`, both through SetPassword) revokes every app's tokens and pending codes and
// signs out every other session; the session that changed it stays.
func TestPasswordChangeRevokesAppsAndSessions(t *testing.T) {
	ctx := context.Background()
	o := newOAuthHarness(t)
	if err := o.ts.srv.SetPassword(ctx, ownerPassword, hashToken(o.cookie.Value)); err != nil {
		t.Fatal(err)
	}
	app := o.registerApp(t, "https://app.example/cb", "read")
	tok := o.ownerToken(t, app, "read")
	pending := o.approve(t, app, url.Values{"scope": {"read"}}).Get("code")
	other := &access.Session{ID: hashToken(randomToken(32)), CSRF: randomToken(24), ExpiresAt: time.Now().Add(time.Hour)}
	if err := access.New(o.ts.st).CreateSession(ctx, other); err != nil {
		t.Fatal(err)
	}

	const newPassword = "a new password, long enough"
	rec := o.browser(http.MethodPost, "/settings/password", url.Values{"csrf": {o.csrf},
		"current": {ownerPassword}, "new": {newPassword}, "confirm": {newPassword}})
	if rec.Code != http.StatusOK {
		t.Fatalf("change password: status %d; body %.300s", rec.Code, rec.Body.String())
	}
	oauthDecode(t, "access token after the change", o.probe("read", tok["access_token"].(string)), http.StatusUnauthorized)
	wantOAuthError(t, "refresh token after the change", oauthPostJSON(o, "/oauth/token", map[string]any{
		"grant_type": "refresh_token", "client_id": app.ClientID, "client_secret": app.Secret,
		"refresh_token": tok["refresh_token"]}), http.StatusBadRequest, "invalid_grant")
	wantOAuthError(t, "code issued before the change", o.exchange(app, pending, ""), http.StatusBadRequest, "invalid_grant")
	if _, err := access.New(o.ts.st).SessionByID(ctx, other.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another session after the change: %v, want it signed out", err)
	}
	if _, err := access.New(o.ts.st).SessionByID(ctx, hashToken(o.cookie.Value)); err != nil {
		t.Errorf("the session that changed the password: %v, want it kept", err)
	}
}
