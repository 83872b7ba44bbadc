package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"roost/server/activitypub"
	"roost/server/app"
)

// browserTimeout bounds the whole browser test: Chromium's start, every page and every wait.
const browserTimeout = 60 * time.Second

// TestBrowserOwnerFlow drives the owner's web interface in headless Chromium as a person would:
// sign in, post with a mention and a hashtag, like a peer's post, sign out; and it takes
// screenshots of the main pages at phone and desktop widths (into $ROOST_SCREENSHOTS when set).
func TestBrowserOwnerFlow(t *testing.T) {
	chromium := chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	defer cancel()

	const password = "correct horse battery"
	ts := newTestServer(t)
	if err := ts.srv.SetPassword(ctx, password, ""); err != nil {
		t.Fatalf("set password: %v", err)
	}
	// A mention has no room for a port, so the peer must answer WebFinger on port 80 to be
	// mentioned; where that port cannot be bound, the rest of the flow runs without the mention.
	var friend *peer
	mention := port80Bindable()
	if mention {
		friend = newPeerPort80(t, "peer")
	} else {
		t.Log("cannot listen on port 80 of a loopback address: the post will not mention the peer")
		friend = newPeer(t, "peer")
	}
	followedPeer(t, ts, friend)

	b := newBrowser(t, ctx, chromium)

	// a. Signing in: /home sends a stranger to the login form, the password brings them back.
	browse(t, b, "open /home signed out",
		chromedp.Navigate(ts.base+"/home"),
		chromedp.WaitVisible(chromedp.CSS("#password")))
	if loc := read(t, b, chromedp.Location()); !strings.HasPrefix(loc, ts.base+"/login?next=") {
		t.Errorf("signed out, /home went to %s, want the login page", loc)
	}
	browse(t, b, "sign in",
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("nav.owner")))
	if loc := read(t, b, chromedp.Location()); loc != ts.base+"/home" {
		t.Errorf("after signing in the browser is at %s, want %s/home", loc, ts.base)
	}

	// b. Posting from the compose form at the top of /home.
	text := "Hello from the browser #roostdemo"
	if mention {
		text = "Hello @" + friend.handle() + " from the browser #roostdemo"
	}
	timeline := `section[aria-label="Home timeline"]`
	browse(t, b, "post",
		chromedp.SendKeys(chromedp.CSS("form.compose #text"), text),
		chromedp.Click(chromedp.CSS(`form.compose button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(timeline+` article.post .content a[href$="/tags/roostdemo"]`)))
	if notice := read(t, b, chromedp.Text(chromedp.CSS("p.notice"))); notice != "Posted." {
		t.Errorf("notice after posting %q, want %q", notice, "Posted.")
	}
	mentionHref := friend.base + "/@peer"
	checkPost := func(where, article string) {
		t.Helper()
		got := read(t, b, chromedp.Evaluate[shownPost](fmt.Sprintf(`(() => {
			const c = document.querySelector(%q);
			if (!c) return {};
			const tag = c.querySelector('a[href$="/tags/roostdemo"]');
			const m = c.querySelector('a[href=%q]');
			return {text: c.innerText, tag: tag ? tag.textContent : "", tagHref: tag ? tag.getAttribute("href") : "",
				mention: m ? m.textContent : ""};
		})()`, article+" .content", mentionHref)))
		if !strings.Contains(got.Text, "Hello") || !strings.Contains(got.Text, "from the browser") {
			t.Errorf("%s: newest post reads %q, want the text just posted", where, got.Text)
		}
		if got.Tag != "#roostdemo" || got.TagHref != ts.base+"/tags/roostdemo" {
			t.Errorf("%s: hashtag link %q to %q, want #roostdemo to %s/tags/roostdemo", where, got.Tag, got.TagHref, ts.base)
		}
		if mention && got.Mention != "@peer" {
			t.Errorf("%s: mention link to %s reads %q, want @peer", where, mentionHref, got.Mention)
		}
	}
	checkPost("/home", timeline+" article.post")
	if mention {
		create := friend.waitPost(t, "Create of the browser's post", func(r received) bool {
			note, _ := r.Activity["object"].(map[string]any)
			return r.typ() == "Create" && strings.Contains(str(note["content"]), "from the browser")
		})
		if !create.Verified {
			t.Errorf("Create signature: %v", create.VerifyErr)
		}
	}

	// The public profile, in the same browser.
	posts := `section[aria-label="Posts"]`
	browse(t, b, "open the profile",
		chromedp.Navigate(ts.base+"/@me"),
		chromedp.WaitVisible(chromedp.CSS(posts+" article.post")))
	checkPost("/@me", posts+" article.post")
	permalink := read(t, b, chromedp.Evaluate[string](
		`document.querySelector('section[aria-label="Posts"] article.post a.u-url').href`))
	if !strings.HasPrefix(permalink, ts.base+"/@me/") {
		t.Fatalf("permalink of the newest post %q, want %s/@me/ID", permalink, ts.base)
	}

	// c. Liking a peer's post from the home timeline.
	note := friend.note("<p>A post from the peer, to be liked in the browser</p>",
		[]string{activitypub.Public}, []string{friend.actor + "/followers"})
	noteIRI := note["id"].(string)
	friend.sendAccepted(t, ts, friend.create(note))
	ts.waitPost(t, noteIRI)
	ts.waitInboxIdle(t)
	button := func(action string) string {
		return fmt.Sprintf(`form[action=%q]:has(input[name="post"][value=%q]) button`, action, noteIRI)
	}
	browse(t, b, "reload /home",
		chromedp.Navigate(ts.base+"/home"),
		chromedp.WaitVisible(chromedp.CSS(button("/like"))))
	if got := read(t, b, chromedp.Text(chromedp.CSS(button("/like")))); got != "Like" {
		t.Errorf("like button reads %q, want Like", got)
	}
	browse(t, b, "like",
		chromedp.Click(chromedp.CSS(button("/like"))),
		chromedp.WaitVisible(chromedp.CSS(button("/unlike"))))
	liked := read(t, b, chromedp.Evaluate[pressedButton](fmt.Sprintf(`(() => {
		const b = document.querySelector(%q);
		return {text: b.textContent.trim(), pressed: b.getAttribute("aria-pressed")};
	})()`, button("/unlike"))))
	if liked.Text != "Unlike" || liked.Pressed != "true" {
		t.Errorf("after liking, the button reads %q with aria-pressed=%q, want Unlike and true", liked.Text, liked.Pressed)
	}
	like := friend.waitPost(t, "Like", ofTypeObject("Like", noteIRI))
	if !like.Verified {
		t.Errorf("Like signature: %v", like.VerifyErr)
	}

	// e. Screenshots, while still signed in.
	dir := os.Getenv("ROOST_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	poll, err := ts.srv.app.Post(context.Background(), app.PostInput{Text: "Tea or coffee?",
		Poll: &app.PollInput{Options: []string{"Tea", "Coffee"}, ExpiresIn: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	pages := []struct{ name, url, ready string }{
		{"profile", ts.base + "/@me", posts + " article.post"},
		{"edit", ts.base + "/edit?post=" + url.QueryEscape(poll.IRI), "fieldset.poll-inputs"},
		{"permalink", permalink, ".focus article.post"},
		{"home", ts.base + "/home", timeline + " article.post"},
		{"compose", ts.base + "/compose?reply_to=" + url.QueryEscape(noteIRI), "form.compose"},
	}
	sizes := []struct {
		name          string
		width, height int64
	}{{"phone", 360, 780}, {"desktop", 1280, 900}}
	for _, size := range sizes {
		browse(t, b, "resize to "+size.name, chromedp.EmulateViewport(size.width, size.height))
		for _, pg := range pages {
			browse(t, b, "open "+pg.name, chromedp.Navigate(pg.url), chromedp.WaitVisible(chromedp.CSS(pg.ready)))
			// Nothing may be wider than the screen: a page that scrolls sideways is broken on a phone.
			if w := read(t, b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > int(size.width) {
				t.Errorf("%s at %d px: the page is %d px wide and scrolls sideways", pg.name, size.width, w)
			}
			// quality 100 makes Chromium encode PNG; below 100 it sends JPEG.
			png := read(t, b, chromedp.FullScreenshot(100))
			file := filepath.Join(dir, pg.name+"-"+size.name+".png")
			if err := os.WriteFile(file, png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("screenshots in %s", dir)

	// d. Signing out from the navigation; /home then asks for the password again.
	browse(t, b, "sign out",
		chromedp.Navigate(ts.base+"/home"),
		chromedp.WaitVisible(chromedp.CSS("nav.owner")),
		chromedp.Click(chromedp.CSS(`nav.owner form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#password")))
	browse(t, b, "open /home after signing out",
		chromedp.Navigate(ts.base+"/home"),
		chromedp.WaitVisible(chromedp.CSS("#password")))
	if loc := read(t, b, chromedp.Location()); !strings.HasPrefix(loc, ts.base+"/login?next=") {
		t.Errorf("signed out, /home went to %s, want the login page", loc)
	}
}

// shownPost is what the browser shows of a post's content.
type shownPost struct {
	Text    string `json:"text"`
	Tag     string `json:"tag"`
	TagHref string `json:"tagHref"`
	Mention string `json:"mention"`
}

type pressedButton struct {
	Text    string `json:"text"`
	Pressed string `json:"pressed"`
}

// chromiumPath finds a Chromium binary, skipping the test without one (failing it under CI=true).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium, chromium-browser or google-chrome on PATH; CI must install Debian's chromium")
	}
	t.Skip("no chromium, chromium-browser or google-chrome on PATH (apt-get install chromium)")
	return ""
}

// newBrowser starts headless Chromium with a fresh profile and returns the context of its tab.
// The flags keep Chromium off the network: this machine's network is closed, and Chromium's
// background connections would be refused at every start.
func newBrowser(t *testing.T, ctx context.Context, chromium string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests may run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(cancelTab)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}
	return bctx
}

// browse runs actions in the browser, failing the test with what was being done.
func browse(t *testing.T, b context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b, actions...); err != nil {
		t.Fatalf("browser: %s: %v", what, err)
	}
}

// read runs one action that returns a value.
func read[T any](t *testing.T, b context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(b, a)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return v
}

// port80Bindable reports whether this process may listen on port 80 of a loopback address, as
// newPeerPort80 needs (which would skip the whole test otherwise).
func port80Bindable() bool {
	var b [2]byte
	rand.Read(b[:])
	l, err := net.Listen("tcp", fmt.Sprintf("127.%d.%d.9:80", b[0], b[1]))
	if err != nil {
		return !errors.Is(err, os.ErrPermission) && !strings.Contains(err.Error(), "permission")
	}
	l.Close()
	return true
}
