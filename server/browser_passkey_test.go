package server

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	cdpwebauthn "github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// TestBrowserPasskey adds a passkey in headless Chromium with its virtual WebAuthn
// authenticator (DevTools' WebAuthn domain), signs out, and signs in again with the password
// and the passkey; screenshots go to $ROOST_SCREENSHOTS when set. The server is reached as
// localhost: WebAuthn refuses an IP address as the relying party's id.
func TestBrowserPasskey(t *testing.T) {
	chromium := chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()
	const password = "correct horse battery"
	ts := newTestServer(t, func(c *Config) { c.Domain = strings.Replace(c.Domain, "127.0.0.1", "localhost", 1) })
	ts.base = "http://" + ts.cfg.Domain
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
	browse(t, b, "add a virtual authenticator", chromedp.EmulateViewport(1280, 900),
		chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
			if _, err := cdp.Call(ctx, target, cdpwebauthn.Enable, cdpwebauthn.EnableParams{}); err != nil {
				return err
			}
			_, err := cdp.Call(ctx, target, cdpwebauthn.AddVirtualAuthenticator, cdpwebauthn.AddVirtualAuthenticatorParams{
				Options: &cdpwebauthn.VirtualAuthenticatorOptions{Protocol: cdpwebauthn.AuthenticatorProtocolCtap2,
					Transport: cdpwebauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
					IsUserVerified: true, AutomaticPresenceSimulation: true}})
			return err
		}))
	signIn := func() {
		t.Helper()
		browse(t, b, "sign in with the password",
			chromedp.Navigate(ts.base+"/login?next=/home"),
			chromedp.WaitVisible(chromedp.CSS("#password")),
			chromedp.SendKeys(chromedp.CSS("#password"), password),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)))
	}
	signIn()
	browse(t, b, "add a passkey",
		chromedp.WaitVisible(chromedp.CSS("nav.owner")),
		chromedp.Navigate(ts.base+"/settings/security"),
		chromedp.WaitVisible(chromedp.CSS("#passkey-register")),
		chromedp.Click(chromedp.CSS("#passkey-register")),
		chromedp.WaitVisible(chromedp.CSS("ul.passkeys li")))
	shot("passkey-added")

	browse(t, b, "sign out",
		chromedp.Navigate(ts.base+"/home"),
		chromedp.WaitVisible(chromedp.CSS("nav.owner")),
		chromedp.Click(chromedp.CSS(`nav.owner form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#password")))
	signIn()
	browse(t, b, "the second step", chromedp.WaitVisible(chromedp.CSS("#passkey-login")))
	shot("passkey-login")
	browse(t, b, "sign in with the passkey",
		chromedp.Click(chromedp.CSS("#passkey-login")),
		chromedp.WaitVisible(chromedp.CSS("nav.owner")))
	if loc := read(t, b, chromedp.Location()); loc != ts.base+"/home" {
		t.Errorf("after the passkey the browser is at %s, want /home", loc)
	}
	shot("passkey-signed-in")
	keys, err := ts.srv.app.Auth.Passkeys(ctx)
	if err != nil || len(keys) != 1 || keys[0].Used.IsZero() {
		t.Errorf("passkeys %+v, %v; want one, used", keys, err)
	}
	t.Logf("screenshots in %s", dir)
}
