package server

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
)

// TestBrowserTOTP sets up two-factor sign-in in headless Chromium as the owner would (the
// password, the QR code's key, a code, the recovery codes), signs out, and signs in again with
// the password and a code from the authenticator; screenshots of each step go to
// $ROOST_SCREENSHOTS when set.
func TestBrowserTOTP(t *testing.T) {
	chromium := chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	const password = "correct horse battery"
	ts := newTestServer(t)
	if err := ts.srv.SetPassword(ctx, password, ""); err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("ROOST_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, ctx, chromium)
	shot := func(name string) {
		t.Helper()
		png := read(t, b, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	signIn := func() {
		t.Helper()
		browse(t, b, "sign in with the password",
			chromedp.Navigate(ts.base+"/login?next=/home"),
			chromedp.WaitVisible(chromedp.CSS("#password")),
			chromedp.SendKeys(chromedp.CSS("#password"), password),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)))
	}
	browse(t, b, "resize", chromedp.EmulateViewport(1280, 900))
	signIn()
	browse(t, b, "home", chromedp.WaitVisible(chromedp.CSS("nav.owner")))

	browse(t, b, "set up two-factor sign-in",
		chromedp.Navigate(ts.base+"/settings/security"),
		chromedp.WaitVisible(chromedp.CSS("#setup_password")),
		chromedp.SendKeys(chromedp.CSS("#setup_password"), password),
		chromedp.Click(chromedp.CSS(`form[action="/settings/security/totp/start"] button`)),
		chromedp.WaitVisible(chromedp.CSS("code.totp-secret")))
	shot("totp-setup")
	secret := read(t, b, chromedp.Text(chromedp.CSS("code.totp-secret")))
	if !read(t, b, chromedp.Evaluate[bool](`document.querySelector("img").complete && document.querySelector("img").naturalWidth > 0`)) {
		t.Errorf("the QR code image does not show")
	}
	code, _ := totp.GenerateCode(strings.TrimSpace(secret), time.Now())
	browse(t, b, "turn it on",
		chromedp.SendKeys(chromedp.CSS("#totp_code"), code),
		chromedp.Click(chromedp.CSS(`form[action="/settings/security/totp/enable"] button`)),
		chromedp.WaitVisible(chromedp.CSS("ul.recovery-codes")))
	shot("totp-recovery-codes")
	if n := read(t, b, chromedp.Evaluate[int](`document.querySelectorAll("ul.recovery-codes li").length`)); n != 10 {
		t.Errorf("%d recovery codes shown, want 10", n)
	}

	browse(t, b, "sign out",
		chromedp.Navigate(ts.base+"/home"),
		chromedp.WaitVisible(chromedp.CSS("nav.owner")),
		chromedp.Click(chromedp.CSS(`nav.owner form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#password")))
	signIn()
	browse(t, b, "the code step", chromedp.WaitVisible(chromedp.CSS("#code")))
	shot("totp-login-code")
	if loc := read(t, b, chromedp.Location()); strings.HasSuffix(loc, "/home") {
		t.Fatalf("the password alone signed in")
	}
	next, _ := totp.GenerateCode(strings.TrimSpace(secret), time.Now().Add(30*time.Second))
	browse(t, b, "enter the code",
		chromedp.SendKeys(chromedp.CSS("#code"), next),
		chromedp.Click(chromedp.CSS(`form[action="/login/code"] button`)),
		chromedp.WaitVisible(chromedp.CSS("nav.owner")))
	if loc := read(t, b, chromedp.Location()); loc != ts.base+"/home" {
		t.Errorf("after the code the browser is at %s, want /home", loc)
	}
	shot("totp-signed-in")
	t.Logf("screenshots in %s", dir)
}
