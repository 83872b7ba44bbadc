package server

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"roost/store/access"
)

// TestBrowserSecondFactor turns on both second factors in headless Chromium as the owner would,
// and signs in with each: an authenticator app's code (TOTP) typed after the password, and a
// passkey from Chromium's virtual authenticator (the DevTools protocol's WebAuthn domain). The
// site is served as localhost, which WebAuthn accepts as a secure origin over HTTP.
func TestBrowserSecondFactor(t *testing.T) {
	chromium := chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	const password = "correct horse battery"
	ts := newTestServer(t, func(c *Config) {
		_, port, _ := net.SplitHostPort(c.Domain)
		c.Domain = "localhost:" + port
	})
	if err := ts.srv.SetPassword(ctx, password, ""); err != nil {
		t.Fatalf("set password: %v", err)
	}
	dir := os.Getenv("ROOST_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := func(b context.Context, name string) {
		png := read(t, b, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	b := newBrowser(t, ctx, chromium)
	browse(t, b, "add a virtual authenticator", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{Protocol: webauthn.AuthenticatorProtocolCtap2,
				Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
				IsUserVerified: true, AutomaticPresenceSimulation: true}})
		return err
	}))
	signInWithPassword := func(ready string) {
		t.Helper()
		browse(t, b, "sign in with the password",
			chromedp.Navigate(ts.base+"/login"),
			chromedp.WaitVisible(chromedp.CSS("#password")),
			chromedp.SendKeys(chromedp.CSS("#password"), password),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(ready)))
	}
	signOut := func() {
		t.Helper()
		browse(t, b, "sign out",
			chromedp.Navigate(ts.base+"/home"),
			chromedp.WaitVisible(chromedp.CSS("nav.owner")),
			chromedp.Click(chromedp.CSS(`nav.owner form[action="/logout"] button`)),
			chromedp.WaitVisible(chromedp.CSS("#password")))
	}

	// Turning on the authenticator app's codes from the security page in the navigation.
	signInWithPassword("nav.owner")
	browse(t, b, "open the security page",
		chromedp.Click(chromedp.CSS(`nav.owner a[href="/settings/profile"]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.settings a[href="/settings/security"]`)),
		chromedp.Click(chromedp.CSS(`nav.settings a[href="/settings/security"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/settings/security/totp"]`)),
		chromedp.SendKeys(chromedp.CSS(`form[action="/settings/security/totp"] #password`), password),
		chromedp.Click(chromedp.CSS(`form[action="/settings/security/totp"] button`)),
		chromedp.WaitVisible(chromedp.CSS("code.secret")))
	qrLoaded := read(t, b, chromedp.Evaluate[bool](`(() => { const i = document.querySelector('img[src="/settings/security/totp.png"]'); return !!i && i.complete && i.naturalWidth === 200; })()`))
	if !qrLoaded {
		t.Error("the QR code did not load")
	}
	shot(b, "security-totp-setup")
	secret := read(t, b, chromedp.Text(chromedp.CSS("code.secret")))
	confirmed := time.Now()
	code, err := totp.GenerateCode(secret, confirmed)
	if err != nil {
		t.Fatal(err)
	}
	browse(t, b, "confirm with the app's code",
		chromedp.SendKeys(chromedp.CSS(`form[action="/settings/security/totp/confirm"] #code`), code),
		chromedp.Click(chromedp.CSS(`form[action="/settings/security/totp/confirm"] button`)),
		chromedp.WaitVisible(chromedp.CSS("ul.codes code")))
	if n := read(t, b, chromedp.Evaluate[int](`document.querySelectorAll("ul.codes code").length`)); n != 10 {
		t.Errorf("%d recovery codes shown, want 10", n)
	}
	shot(b, "security-recovery-codes")

	// Adding a passkey: the script asks the (virtual) authenticator, the page then lists it.
	browse(t, b, "add a passkey",
		chromedp.Navigate(ts.base+"/settings/security"),
		chromedp.WaitVisible(chromedp.CSS(`form[data-passkey="add"] button`)),
		chromedp.SendKeys(chromedp.CSS("#passkey-name"), "Test key"),
		chromedp.Click(chromedp.CSS(`form[data-passkey="add"] button`)),
		chromedp.WaitVisible(chromedp.CSS("ul.passkeys li")))
	if got := read(t, b, chromedp.Text(chromedp.CSS("ul.passkeys li strong"))); got != "Test key" {
		t.Errorf("passkey listed as %q, want %q", got, "Test key")
	}
	shot(b, "security-passkey-added")
	signOut()

	// The password now leads to the second step; the app's next code signs in.
	signInWithPassword(`form[action="/login/code"] #code`)
	shot(b, "login-second-step")
	next, err := totp.GenerateCode(secret, confirmed.Add(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	browse(t, b, "type the code",
		chromedp.SendKeys(chromedp.CSS(`form[action="/login/code"] #code`), next),
		chromedp.Click(chromedp.CSS(`form[action="/login/code"] button`)),
		chromedp.WaitVisible(chromedp.CSS("nav.owner")))
	if loc := read(t, b, chromedp.Location()); loc != ts.base+"/home" {
		t.Errorf("after the code the browser is at %s, want /home", loc)
	}
	signOut()

	// And the passkey signs in instead of the code.
	signInWithPassword(`form[data-passkey="login"] button`)
	browse(t, b, "use the passkey",
		chromedp.Click(chromedp.CSS(`form[data-passkey="login"] button`)),
		chromedp.WaitVisible(chromedp.CSS("nav.owner")))
	if loc := read(t, b, chromedp.Location()); !strings.HasSuffix(loc, "/home") {
		t.Errorf("after the passkey the browser is at %s, want /home", loc)
	}
	keys, err := access.New(ts.st).Passkeys(ctx)
	if err != nil || len(keys) != 1 || keys[0].UsedAt.IsZero() {
		t.Errorf("passkeys after signing in with one: %+v, %v; want one, used", keys, err)
	}
	t.Logf("screenshots in %s", dir)
}
