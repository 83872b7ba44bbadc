package server

import (
	"image/png"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"golang.org/x/net/html"
)

// Two-step sign-in as the owner meets it: set up from the security page with a QR code and a
// code from the app, recovery codes shown once, then a sign-in that needs the code after the
// password, codes that work once, recovery codes that work once, and turning it off.
func TestSecondFactorSignIn(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	setOwnerPassword(t, ts)
	c := signIn(t, ts)

	// Setting up needs the password.
	if loc := c.submit(t, "/settings/security/totp", url.Values{"password": {"wrong wrong wrong"}}); !strings.Contains(loc, "error=") {
		t.Fatalf("set-up with a wrong password went to %q, want the page with an error", loc)
	}
	rec := c.postForm("/settings/security/totp", c.withCSRF(url.Values{"password": {ownerPassword}}))
	if rec.Code != http.StatusOK {
		t.Fatalf("set-up: status %d; body %.300s", rec.Code, rec.Body.String())
	}
	doc := parseHTML(t, rec.Body.String())
	secret := textOf(firstElement(t, doc, "the key", func(n *html.Node) bool { v, _ := attrOf(n, "class"); return v == "secret" }))
	if len(secret) < 16 {
		t.Fatalf("key %q, want a base32 secret", secret)
	}
	qr := c.get("/settings/security/totp.png")
	if qr.Code != http.StatusOK || qr.Header().Get("Content-Type") != "image/png" {
		t.Fatalf("QR code: status %d, type %q", qr.Code, qr.Header().Get("Content-Type"))
	}
	if img, err := png.Decode(qr.Body); err != nil || img.Bounds().Dx() != 200 {
		t.Fatalf("QR code: %v", err)
	}
	// Not on until a code from the app confirms it: sign-in still takes the password alone.
	if rec := anonymous(ts).login(ownerPassword, "/home", "192.0.2.10:1"); rec.Code != http.StatusSeeOther {
		t.Fatalf("sign-in before confirming: status %d, want 303", rec.Code)
	}
	if rec := c.postForm("/settings/security/totp/confirm", c.withCSRF(url.Values{"code": {"000000"}})); rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("confirm with a wrong code: status %d, want 422", rec.Code)
	}
	code := func(at time.Time) string {
		s, err := totp.GenerateCode(secret, at)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	now := time.Now()
	rec = c.postForm("/settings/security/totp/confirm", c.withCSRF(url.Values{"code": {code(now)}}))
	if rec.Code != http.StatusOK {
		t.Fatalf("confirm: status %d; body %.300s", rec.Code, rec.Body.String())
	}
	var recovery []string
	for _, n := range elements(parseHTML(t, rec.Body.String()), func(n *html.Node) bool { return n.Data == "code" }) {
		recovery = append(recovery, textOf(n))
	}
	if len(recovery) != 10 {
		t.Fatalf("recovery codes shown: %q, want 10", recovery)
	}
	if strings.Contains(c.get("/settings/security").Body.String(), recovery[0]) {
		t.Error("the recovery codes are shown again on the next visit")
	}
	if qr := c.get("/settings/security/totp.png"); qr.Code != http.StatusNotFound {
		t.Errorf("QR code of a confirmed secret: status %d, want 404", qr.Code)
	}

	// The password alone no longer signs in: it leads to the second step, without a session.
	browser := anonymous(ts)
	// Each attempt from its own network, so that the wrong ones below stay under the throttle.
	attempts := 0
	step := func(b *ownerClient, code string) *http.Response {
		attempts++
		req := b.newRequest(http.MethodPost, "/login/code", strings.NewReader(url.Values{"code": {code}, "next": {"/home"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.RemoteAddr = "198.51." + strconv.Itoa(attempts) + ".1:1"
		return b.do(req).Result()
	}
	first := func() *ownerClient {
		t.Helper()
		b := anonymous(ts)
		rec := b.login(ownerPassword, "/home", "192.0.2.20:1")
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `action="/login/code"`) {
			t.Fatalf("password with two-step sign-in on: status %d, want 200 and the code form", rec.Code)
		}
		for _, ck := range rec.Result().Cookies() {
			if ck.Name == ts.srv.app.CookieName() {
				t.Fatal("the password alone made a session")
			}
			if ck.Name == "roost_2fa" {
				b.cookie = ck
			}
		}
		return b
	}
	// Without the password first, a right code is refused.
	if res := step(browser, code(now.Add(30*time.Second))); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("code without the password: status %d, want 401", res.StatusCode)
	}
	b := first()
	// The code that confirmed the set-up was used: it does not sign in again.
	if res := step(b, code(now)); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a used code: status %d, want 401", res.StatusCode)
	}
	next := code(now.Add(30 * time.Second))
	res := step(b, next)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/home" {
		t.Fatalf("right code: status %d to %q, want 303 to /home", res.StatusCode, res.Header.Get("Location"))
	}
	session := cookieNamed(res, ts.srv.app.CookieName())
	if session == nil {
		t.Fatal("the second step made no session")
	}
	home := anonymous(ts)
	home.cookie = session
	if rec := home.get("/home"); rec.Code != http.StatusOK {
		t.Fatalf("home with the new session: status %d", rec.Code)
	}
	if res := step(first(), next); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the same code again: status %d, want 401", res.StatusCode)
	}
	// A recovery code, typed loosely, works once.
	loose := strings.ToUpper(strings.ReplaceAll(recovery[3], "-", " "))
	if res := step(first(), loose); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("recovery code: status %d, want 303", res.StatusCode)
	}
	if res := step(first(), recovery[3]); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a spent recovery code: status %d, want 401", res.StatusCode)
	}

	// Turning it off needs the password and a code; then the password alone signs in again.
	if loc := c.submit(t, "/settings/security/totp/off", url.Values{"password": {ownerPassword}, "code": {"123456"}}); !strings.Contains(loc, "error=") {
		t.Fatalf("turning off with a wrong code went to %q", loc)
	}
	rec = c.postForm("/settings/security/totp/off", c.withCSRF(url.Values{"password": {ownerPassword}, "code": {recovery[0]}}))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "password alone signs you in") {
		t.Fatalf("turn off: status %d to %q; body %.300s", rec.Code, rec.Header().Get("Location"), rec.Body.String())
	}
	if rec := anonymous(ts).login(ownerPassword, "/home", "192.0.2.30:1"); rec.Code != http.StatusSeeOther {
		t.Fatalf("sign-in after turning off: status %d, want 303", rec.Code)
	}
}

func cookieNamed(res *http.Response, name string) *http.Cookie {
	for _, ck := range res.Cookies() {
		if ck.Name == name && ck.MaxAge >= 0 {
			return ck
		}
	}
	return nil
}
