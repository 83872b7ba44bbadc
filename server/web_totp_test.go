package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"golang.org/x/net/html"
)

// TestWebTOTP turns two-factor sign-in on (the password, the QR's secret, a code; the recovery
// codes shown once), then signs in with the password and a code, a used code is refused, a
// recovery code works once, and turning it off brings the password-only sign-in back.
func TestWebTOTP(t *testing.T) {
	ts := newTestServer(t)
	setOwnerPassword(t, ts)
	c := signIn(t, ts)
	rec := c.postForm("/settings/security/totp/start", c.withCSRF(url.Values{"password": {ownerPassword}}))
	if rec.Code != http.StatusOK {
		t.Fatalf("start: %d %s", rec.Code, rec.Body.String())
	}
	page := parseHTML(t, rec.Body.String())
	secret := textOf(firstElement(t, page, "the secret", byClass("totp-secret")))
	if img := firstElement(t, page, "the QR code", byTag("img")); !strings.HasPrefix(attr(img, "src"), "data:image/png;base64,") {
		t.Errorf("QR code src %.60s", attr(img, "src"))
	}
	if rec := c.postForm("/settings/security/totp/enable", c.withCSRF(url.Values{"code": {"000000"}})); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("a wrong code turned it on: %d", rec.Code)
	}
	code, _ := totp.GenerateCode(secret, time.Now())
	rec = c.postForm("/settings/security/totp/enable", c.withCSRF(url.Values{"code": {code}}))
	var recovery []string
	for _, el := range elements(parseHTML(t, rec.Body.String()), byTag("code")) {
		recovery = append(recovery, textOf(el))
	}
	if rec.Code != http.StatusOK || len(recovery) != 10 {
		t.Fatalf("enable: %d, %d recovery codes", rec.Code, len(recovery))
	}

	signInWith := func(code string) (*http.Cookie, int) {
		t.Helper()
		b := anonymous(ts)
		rec := b.login(ownerPassword, "/home", "192.0.2.7:1234")
		var second *http.Cookie
		for _, ck := range rec.Result().Cookies() {
			if ck.Name == ts.srv.app.CookieName() {
				t.Fatalf("the password alone made a session")
			}
			if ck.Name == "roost_2fa" {
				second = ck
			}
		}
		if rec.Code != http.StatusOK || second == nil || !strings.Contains(rec.Body.String(), `action="/login/code"`) {
			t.Fatalf("password step: %d, cookie %v", rec.Code, second)
		}
		req := b.newRequest(http.MethodPost, "/login/code", strings.NewReader(url.Values{"code": {code}, "next": {"/home"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.RemoteAddr = "192.0.2.7:1234"
		req.AddCookie(second)
		rec = b.do(req)
		for _, ck := range rec.Result().Cookies() {
			if ck.Name == ts.srv.app.CookieName() && ck.Value != "" {
				return ck, rec.Code
			}
		}
		return nil, rec.Code
	}
	next, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	session, status := signInWith(next)
	if session == nil || status != http.StatusSeeOther {
		t.Fatalf("password and a fresh code: %d, no session", status)
	}
	if _, status := signInWith(next); status != http.StatusUnauthorized {
		t.Errorf("a code used before: %d, want 401", status)
	}
	if _, status := signInWith("123456"); status != http.StatusUnauthorized {
		t.Errorf("a wrong code: %d, want 401", status)
	}
	if session, _ := signInWith(strings.ToUpper(recovery[3])); session == nil {
		t.Errorf("a recovery code did not sign in")
	}
	if _, status := signInWith(recovery[3]); status != http.StatusUnauthorized {
		t.Errorf("a recovery code used twice: %d, want 401", status)
	}
	req := anonymous(ts).newRequest(http.MethodPost, "/login/code", strings.NewReader(url.Values{"code": {next}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if rec := anonymous(ts).do(req); rec.Code != http.StatusUnauthorized {
		t.Errorf("a code without the password first: %d", rec.Code)
	}

	c.submit(t, "/settings/security/totp/disable", url.Values{"password": {ownerPassword}})
	rec = anonymous(ts).login(ownerPassword, "/home", "192.0.2.8:1234")
	if rec.Code != http.StatusSeeOther {
		t.Errorf("after turning it off, the password alone: %d, want 303", rec.Code)
	}
}

func attr(n *html.Node, key string) string {
	v, _ := attrOf(n, key)
	return v
}
