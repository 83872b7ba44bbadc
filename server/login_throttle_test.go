package server

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"roost/store/access"
)

// The sign-in throttle's allowance per address and its window (server/web).
const (
	loginsPerIP   = 5
	loginIPWindow = 15 * time.Minute
)

// Wrong passwords sent together from one address are counted before they are hashed: only the
// per-address allowance is checked (argon2id, 64 MiB each), the rest are refused at once.
func TestLoginCountsAttemptsBeforeHashing(t *testing.T) {
	ts := newTestServer(t)
	setOwnerPassword(t, ts)
	c := anonymous(ts)
	const n = 2 * loginsPerIP
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { codes[i] = c.login("wrong "+strconv.Itoa(i), "/home", "198.51.100.9:4000").Code })
	}
	wg.Wait()
	checked := 0
	for _, code := range codes {
		switch code {
		case http.StatusUnauthorized:
			checked++
		case http.StatusTooManyRequests:
		default:
			t.Errorf("status %d, want 401 or 429", code)
		}
	}
	if checked != loginsPerIP {
		t.Errorf("%d of %d concurrent wrong passwords were hashed, want %d", checked, n, loginsPerIP)
	}
}

// Moving the account, revoking an app and changing the password ask for the password again,
// checked through the sign-in throttle.
func TestSensitiveActionsAskForPassword(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	setOwnerPassword(t, ts)
	c := signIn(t, ts)

	t.Run("move", func(t *testing.T) {
		for _, pw := range []string{"", "not it"} {
			doc := c.follow(t, c.submit(t, "/settings/move", url.Values{"to": {""}, "password": {pw}}))
			if msg := alertText(doc); !strings.Contains(msg, "password") {
				t.Errorf("move with password %q: notice %q, want it refused for the password", pw, msg)
			}
		}
		doc := c.page(t, "/settings/profile")
		for _, f := range elements(doc, byTag("form")) {
			if a, _ := attrOf(f, "action"); a == "/settings/move" && len(elements(f, byInput("password"))) != 1 {
				t.Error("the move form has no password field")
			}
		}
	})

	t.Run("revoke app", func(t *testing.T) {
		app := &access.App{ClientID: randomToken(16), SecretHash: hashToken("secret"), Name: "an app",
			RedirectURIs: []string{"urn:ietf:wg:oauth:2.0:oob"}, Scopes: []string{"read"}}
		if err := access.New(ts.st).CreateApp(ctx, app); err != nil {
			t.Fatal(err)
		}
		tok := randomToken(32)
		if err := access.New(ts.st).CreateToken(ctx, &access.Token{TokenHash: hashToken(tok), AppID: app.ID, Scopes: app.Scopes, Owner: true}); err != nil {
			t.Fatal(err)
		}
		api := &apiClient{ts: ts, token: tok}
		for _, pw := range []string{"", "not it"} {
			c.submit(t, "/settings/apps/revoke", url.Values{"app": {strconv.FormatInt(app.ID, 10)}, "password": {pw}})
			api.json(t, "GET", "/api/v1/accounts/verify_credentials", nil, http.StatusOK)
		}
		doc := c.page(t, "/settings/apps")
		for _, f := range elements(doc, byTag("form")) {
			if a, _ := attrOf(f, "action"); a == "/settings/apps/revoke" && len(elements(f, byInput("password"))) != 1 {
				t.Error("the revoke form has no password field")
			}
		}
		c.submit(t, "/settings/apps/revoke", url.Values{"app": {strconv.FormatInt(app.ID, 10)}, "password": {ownerPassword}})
		api.json(t, "GET", "/api/v1/accounts/verify_credentials", nil, http.StatusUnauthorized)
	})

	t.Run("password change is throttled", func(t *testing.T) {
		c := signIn(t, ts) // a browser of its own, which the subtests above did not count against
		change := func(current string) int {
			req := c.newRequest(http.MethodPost, "/settings/password", strings.NewReader(c.withCSRF(url.Values{
				"current": {current}, "new": {"a new password here"}, "confirm": {"a new password here"}}).Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.RemoteAddr = "192.0.2.77:1000"
			return c.do(req).Code
		}
		for i := range loginsPerIP {
			if code := change("wrong " + strconv.Itoa(i)); code != http.StatusUnprocessableEntity {
				t.Fatalf("wrong current password %d: status %d, want 422", i+1, code)
			}
		}
		if code := change(ownerPassword); code != http.StatusTooManyRequests {
			t.Errorf("after %d wrong current passwords: status %d, want 429", loginsPerIP, code)
		}
		if o, _ := ts.st.Owner(ctx); !checkPassword(o.PasswordHash, ownerPassword) {
			t.Error("the password changed")
		}
	})
}
