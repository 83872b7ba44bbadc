package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"roost/server/clientip"
	"roost/store"
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

// Guessers on many networks reach the owner-wide limit, which stops sign-in from browsers that
// never signed in; the owner's browser that did (its known-device cookie) still signs in, from
// any address, unless its own address is the one failing. A forged cookie is no such browser.
func TestLoginKnownDeviceDuringLockout(t *testing.T) {
	ts := newTestServer(t)
	setOwnerPassword(t, ts)
	c := anonymous(ts)
	rec := c.login(ownerPassword, "/home", "192.0.2.1:1000")
	var device *http.Cookie
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == ts.srv.deviceCookieName() {
			device = ck
		}
	}
	if rec.Code != http.StatusSeeOther || device == nil || !device.HttpOnly || device.MaxAge < 30*24*3600 {
		t.Fatalf("sign-in: status %d, device cookie %v; want 303 and a long-lived HttpOnly device cookie", rec.Code, device)
	}
	loginWith := func(ck *http.Cookie, password, addr string) int {
		req := c.newRequest(http.MethodPost, "/login", strings.NewReader(url.Values{"password": {password}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.RemoteAddr = addr
		if ck != nil {
			req.AddCookie(ck)
		}
		return c.do(req).Code
	}

	for i := range loginsPerOwner { // wrong guesses, as the handler counts them (without their hashes' cost)
		a := fmt.Sprintf("203.0.%d.1", i+1)
		if ok, _ := ts.srv.logins.begin(loginKeys{addr: clientip.Key(a), network: clientip.Network(a)}, time.Now()); !ok {
			t.Fatalf("guess %d refused", i+1)
		}
	}
	if code := loginWith(nil, ownerPassword, "192.0.2.50:1000"); code != http.StatusTooManyRequests {
		t.Errorf("a new browser during the lockout: status %d, want 429", code)
	}
	forged := &http.Cookie{Name: device.Name, Value: device.Value[:len(device.Value)-2] + "AA"}
	if code := loginWith(forged, ownerPassword, "192.0.2.51:1000"); code != http.StatusTooManyRequests {
		t.Errorf("a forged device cookie during the lockout: status %d, want 429", code)
	}
	if code := loginWith(device, ownerPassword, "198.51.100.20:1000"); code != http.StatusSeeOther {
		t.Errorf("the known device during the lockout: status %d, want 303", code)
	}

	// The per-address limit holds for a known device too.
	for i := range loginsPerIP {
		loginWith(device, "wrong "+strconv.Itoa(i), "198.51.100.21:1000")
	}
	if code := loginWith(device, ownerPassword, "198.51.100.21:1000"); code != http.StatusTooManyRequests {
		t.Errorf("the known device from an address that failed %d times: status %d, want 429", loginsPerIP, code)
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
		app := &store.App{ClientID: randomToken(16), SecretHash: hashToken("secret"), Name: "an app",
			RedirectURIs: []string{"urn:ietf:wg:oauth:2.0:oob"}, Scopes: []string{"read"}}
		if err := ts.st.CreateApp(ctx, app); err != nil {
			t.Fatal(err)
		}
		tok := randomToken(32)
		if err := ts.st.CreateToken(ctx, &store.Token{TokenHash: hashToken(tok), AppID: app.ID, Scopes: app.Scopes, Owner: true}); err != nil {
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
		ts.srv.logins.hits = nil
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
