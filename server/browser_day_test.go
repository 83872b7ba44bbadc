package server

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"roost/server/activitypub"
	"roost/server/app"
)

// axePath is axe-core's browser build, installed from npm with the Fedify peer
// (testdata/fedify/package.json).
const axePath = "../testdata/fedify/node_modules/axe-core/axe.min.js"

// TestBrowserOwnersDay walks the owner's day in headless Chromium at desktop (1280 px) and
// phone (390 px) widths: sign in, read home with avatars and images (one opened larger), open a thread, reply with
// the visibility the parent sets, like, boost, follow back from a notification, delete a post
// through its confirmation, and change the password from the navigation. On every page it saves
// a screenshot (into $ROOST_SCREENSHOTS when set), checks that the page does not scroll
// sideways, that every image has its description or a reminder that it has none, that form
// fields' borders stand out 3:1 from the page (WCAG 1.4.11, which axe-core does not check), and runs
// axe-core: no serious or critical accessibility violation; a few pages again in dark mode.
func TestBrowserOwnersDay(t *testing.T) {
	chromium := chromiumPath(t)
	axe, err := os.ReadFile(axePath)
	if err != nil {
		msg := fmt.Sprintf("axe-core not installed (%v): run `npm ci --ignore-scripts` in testdata/fedify", err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := os.Getenv("ROOST_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, size := range []struct {
		name          string
		width, height int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		t.Run(size.name, func(t *testing.T) {
			ownersDay(t, chromium, string(axe), dir, size.name, size.width, size.height)
		})
	}
	t.Logf("screenshots in %s", dir)
}

// dayPage is what the walk checks on each page.
type dayPage struct {
	Width      int      `json:"width"`
	Unlabelled []string `json:"unlabelled"` // images with neither a description nor a reminder
	Avatars    int      `json:"avatars"`
	// WeakBorders are form fields whose border is below 3:1 against what is behind them.
	WeakBorders []string `json:"weakBorders"`
}

// axeViolation is one failed axe-core rule.
type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

func ownersDay(t *testing.T, chromium, axe, dir, sizeName string, width, height int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*browserTimeout)
	defer cancel()
	const password, newPassword = "correct horse battery", "a new and longer password"
	ts := newTestServer(t, func(c *Config) { c.MediaDir = t.TempDir() })
	if err := ts.srv.SetPassword(ctx, password, ""); err != nil {
		t.Fatalf("set password: %v", err)
	}

	// The day's material: a friend the owner follows, with a public post with replies and a
	// followers-only post; a stranger who follows the owner; the owner's own posts with images,
	// one described and one not.
	friend := newPeer(t, "friend")
	followedPeer(t, ts, friend)
	send := func(content string, to []string, inReplyTo string) string {
		n := friend.note("<p>"+content+"</p>", to, nil)
		if inReplyTo != "" {
			n["inReplyTo"] = inReplyTo
		}
		friend.setDoc(strings.TrimPrefix(str(n["id"]), friend.base), n)
		friend.sendAccepted(t, ts, friend.create(n))
		ts.waitPost(t, str(n["id"]))
		return str(n["id"])
	}
	root := send("Morning walk by the river, anyone else out today?", []string{activitypub.Public}, "")
	private := send("Only for my followers: the secret picnic spot is behind the mill.",
		[]string{friend.actor + "/followers"}, root)
	send("Same river, other bank!", []string{activitypub.Public}, root)
	stranger := newPeer(t, "stranger")
	followingPeer(t, ts, stranger)

	described, err := ts.srv.app.Media.Save(ctx, bytes.NewReader(pngImage(t, 6, 4)), "Six coloured squares in a grid")
	if err != nil {
		t.Fatal(err)
	}
	bare, err := ts.srv.app.Media.Save(ctx, bytes.NewReader(pngImage(t, 3, 5)), "")
	if err != nil {
		t.Fatal(err)
	}
	mine, err := ts.srv.app.Post(ctx, app.PostInput{Text: "Two pictures, one described #walks",
		MediaIDs: []int64{described.ID, bare.ID}})
	if err != nil {
		t.Fatal(err)
	}
	doomed, err := ts.srv.app.Post(ctx, app.PostInput{Text: "A typo I will delete"})
	if err != nil {
		t.Fatal(err)
	}
	ts.waitInboxIdle(t)

	b := newBrowser(t, ctx, chromium)
	browse(t, b, "resize", chromedp.EmulateViewport(width, height))
	step := 0
	// check looks at the page the browser is on, as a person and a screen reader would.
	check := func(name string) dayPage {
		t.Helper()
		step++
		got := read(t, b, chromedp.Evaluate[dayPage](`(() => ({
			weakBorders: (() => {
				// WCAG 1.4.11: a field's border against what is behind it, at least 3:1.
				const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
				const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
					.reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
				const behind = (el) => {
					for (let e = el.parentElement; e; e = e.parentElement) {
						const c = rgb(getComputedStyle(e).backgroundColor);
						if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
					}
					return [255, 255, 255];
				};
				return [...document.querySelectorAll("input:not([type=hidden]):not([type=checkbox]):not([type=radio]), textarea, select")]
					.filter((el) => el.offsetParent !== null)
					.filter((el) => {
						const a = lum(rgb(getComputedStyle(el).borderTopColor).slice(0, 3)), b = lum(behind(el));
						return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) < 3;
					}).map((el) => el.id || el.name);
			})(),
			width: document.documentElement.scrollWidth,
			avatars: document.querySelectorAll("img.avatar").length,
			unlabelled: [...document.images].filter(img => {
				if (img.alt !== "" && img.alt !== "Image without a description") return false;
				if (img.alt === "" && img.hasAttribute("alt") && (img.classList.contains("avatar") || img.classList.contains("header"))) return false;
				const fig = img.closest("figure");
				return !(fig && fig.querySelector(".alt-missing"));
			}).map(img => img.getAttribute("src")),
		}))()`))
		if got.Width > int(width) {
			t.Errorf("%s at %d px: the page is %d px wide and scrolls sideways", name, width, got.Width)
		}
		if len(got.WeakBorders) > 0 {
			t.Errorf("%s: form fields whose border is under 3:1 against the page (WCAG 1.4.11): %q", name, got.WeakBorders)
		}
		if len(got.Unlabelled) > 0 {
			t.Errorf("%s: images without a description or a reminder: %q", name, got.Unlabelled)
		}
		browse(t, b, "inject axe-core on "+name, chromedp.Evaluate[chromedp.Void](axe))
		violations := read(t, b, chromedp.Evaluate[[]axeViolation](`axe.run(document).then(r => r.violations
			.filter(v => v.impact === "serious" || v.impact === "critical")
			.map(v => ({id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(" "))})))`,
			chromedp.EvalAwaitPromise))
		for _, v := range violations {
			t.Errorf("%s: accessibility (%s, %s): %s at %q", name, v.Impact, v.ID, v.Help, v.Targets)
		}
		png := read(t, b, chromedp.FullScreenshot(100))
		file := filepath.Join(dir, fmt.Sprintf("day-%s-%02d-%s.png", sizeName, step, name))
		if err := os.WriteFile(file, png, 0o644); err != nil {
			t.Fatal(err)
		}
		return got
	}
	text := func(sel string) string {
		t.Helper()
		return strings.TrimSpace(read(t, b, chromedp.Text(chromedp.CSS(sel))))
	}
	postWith := func(iri string) string { return fmt.Sprintf(`.entry:has(input[name="post"][value=%q])`, iri) }

	// Sign in.
	browse(t, b, "open the login page",
		chromedp.Navigate(ts.base+"/home"),
		chromedp.WaitVisible(chromedp.CSS("#password")))
	check("login")
	browse(t, b, "sign in",
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("nav.owner")))

	// Home, with avatars and images.
	if got := check("home"); got.Avatars == 0 {
		t.Error("home shows no avatars")
	}
	if n := read(t, b, chromedp.Evaluate[int](`document.querySelectorAll("figure .alt-missing").length`)); n != 1 {
		t.Errorf("home has %d reminders of a missing description, want 1", n)
	}

	// Choosing an image to post shows it beside its description field (static/roost.js).
	picture := filepath.Join(t.TempDir(), "picture.png")
	if err := os.WriteFile(picture, pngImage(t, 8, 6), 0o644); err != nil {
		t.Fatal(err)
	}
	browse(t, b, "choose an image",
		chromedp.Click(chromedp.CSS(`details.media-inputs > summary`)),
		chromedp.SetUploadFiles(chromedp.CSS("#media_0"), []string{picture}),
		chromedp.WaitVisible(chromedp.CSS(`form.compose img.preview`)))
	if got := read(t, b, chromedp.Evaluate[string](`document.activeElement.id`)); got != "alt_0" {
		t.Errorf("after choosing an image the focus is on %q, want its description field", got)
	}
	check("compose-with-image")

	// An image opens larger, without a script, and closes again.
	browse(t, b, "open an image",
		chromedp.Click(chromedp.CSS(`figure.media > a[href^="#image-"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.lightbox:target img.full`)))
	check("image")
	browse(t, b, "close the image",
		chromedp.Click(chromedp.CSS(`.lightbox:target a[href="#close"]`)),
		chromedp.WaitNotVisible(chromedp.CSS(`.lightbox img.full`)))

	// A thread, from the friend's followers-only reply.
	browse(t, b, "open the thread",
		chromedp.Click(chromedp.CSS(postWith(private)+` a.button[href^="/thread"]`)),
		chromedp.WaitVisible(chromedp.CSS(".focus article.post")))
	if got := text(".ancestors"); !strings.Contains(got, "Morning walk") {
		t.Errorf("the thread's ancestors read %q", got)
	}
	if got := text(".focus"); !strings.Contains(got, "secret picnic") || !strings.Contains(got, "Followers only") {
		t.Errorf("the focused post reads %q, want the followers-only reply, marked", got)
	}
	check("thread")

	// Reply: the form takes the parent's visibility and mentions its author.
	browse(t, b, "open the reply form",
		chromedp.Click(chromedp.CSS(`.focus a.button[href^="/compose"]`)),
		chromedp.WaitVisible(chromedp.CSS("form.compose #text")))
	if got := read(t, b, chromedp.Value(chromedp.CSS("#visibility"))); got != "followers" {
		t.Errorf("a reply to a followers-only post starts as %q, want followers", got)
	}
	if got := read(t, b, chromedp.Value(chromedp.CSS("#text"))); !strings.Contains(got, "@"+friend.handle()) {
		t.Errorf("the reply starts as %q, without a mention of its author", got)
	}
	check("reply")
	// The draft survives a reload (static/roost.js keeps it), and a counter says what is left.
	browse(t, b, "type the reply and reload",
		chromedp.SendKeys(chromedp.CSS("#text"), kb.End+"see you there"),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS("form.compose .counter")))
	if got := read(t, b, chromedp.Value(chromedp.CSS("#text"))); got != "@"+friend.handle()+" see you there" {
		t.Errorf("after a reload the reply reads %q, want the draft kept", got)
	}
	if got := text("form.compose .counter"); !strings.HasSuffix(got, "characters left") {
		t.Errorf("the counter reads %q", got)
	}
	browse(t, b, "send the reply",
		chromedp.Click(chromedp.CSS(`form.compose button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("p.notice")))
	if got := text("p.notice"); got != "Posted." {
		t.Errorf("after replying: %q", got)
	}
	reply := friend.waitPost(t, "the reply", func(r received) bool {
		note, _ := r.Activity["object"].(map[string]any)
		return r.typ() == "Create" && strings.Contains(str(note["content"]), "see you there")
	})
	if note, _ := reply.Activity["object"].(map[string]any); strings.Contains(fmt.Sprint(note["to"], note["cc"]), activitypub.Public) {
		t.Errorf("the reply to a followers-only post went public: to %v cc %v", note["to"], note["cc"])
	}

	// Like and boost the friend's public post.
	like := postWith(root) + ` form[action="/like"] button`
	browse(t, b, "like", chromedp.WaitVisible(chromedp.CSS(like)), chromedp.Click(chromedp.CSS(like)),
		chromedp.WaitVisible(chromedp.CSS(postWith(root)+` form[action="/unlike"] button`)))
	boost := postWith(root) + ` form[action="/boost"] button`
	browse(t, b, "boost", chromedp.Click(chromedp.CSS(boost)),
		chromedp.WaitVisible(chromedp.CSS(postWith(root)+` form[action="/unboost"] button`)))
	check("home-after-like-and-boost")
	friend.waitPost(t, "Like", ofTypeObject("Like", root))
	friend.waitPost(t, "Announce", ofTypeObject("Announce", root))

	// Follow back from the notification.
	browse(t, b, "open the notifications",
		chromedp.Click(chromedp.CSS(`nav.owner a[href="/notifications"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/follow"] button`)))
	check("notifications")
	browse(t, b, "follow back",
		chromedp.Click(chromedp.CSS(`form[action="/follow"]:has(input[value=`+fmt.Sprintf("%q", stranger.actor)+`]) button`)),
		chromedp.WaitVisible(chromedp.CSS("p.notice")))
	stranger.waitPost(t, "the follow back", ofType("Follow"))
	check("after-follow-back")

	// Delete a post, through its confirmation.
	browse(t, b, "open home", chromedp.Navigate(ts.base+"/home"),
		chromedp.WaitVisible(chromedp.CSS(postWith(doomed.IRI))))
	browse(t, b, "ask to delete",
		chromedp.Click(chromedp.CSS(postWith(doomed.IRI)+` form[action="/delete"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form.confirm button`)))
	check("confirm-delete")
	browse(t, b, "delete", chromedp.Click(chromedp.CSS(`form.confirm button`)),
		chromedp.WaitVisible(chromedp.CSS("p.notice")))
	if got := text("p.notice"); got != "Deleted." {
		t.Errorf("after deleting: %q", got)
	}
	if n := read(t, b, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, postWith(doomed.IRI)))); n != 0 {
		t.Error("the deleted post is still on home")
	}

	// The public pages, signed in.
	browse(t, b, "open the profile", chromedp.Navigate(ts.base+"/@me"), chromedp.WaitVisible(chromedp.CSS("article.post")))
	check("profile")

	// Change the password from the navigation.
	browse(t, b, "open the settings",
		chromedp.Click(chromedp.CSS(`nav.owner a[href="/settings/profile"]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.settings`)))
	check("settings")
	browse(t, b, "open Change password",
		chromedp.Click(chromedp.CSS(`nav.settings a[href="/settings/password"]`)),
		chromedp.WaitVisible(chromedp.CSS("#current")))
	browse(t, b, "change the password",
		chromedp.SendKeys(chromedp.CSS("#current"), password),
		chromedp.SendKeys(chromedp.CSS("#new"), newPassword),
		chromedp.SendKeys(chromedp.CSS("#confirm"), newPassword),
		chromedp.Click(chromedp.CSS(`form[action="/settings/password"] button`)),
		chromedp.WaitVisible(chromedp.CSS("p.notice")))
	if got := text("p.notice"); !strings.HasPrefix(got, "Password changed") {
		t.Errorf("after changing the password: %q", got)
	}
	check("password")

	// The rest of the owner's pages, each checked the same way.
	for _, pg := range []struct{ name, path, ready string }{
		{"thread-of-own-post", "/thread?post=" + url.QueryEscape(mine.IRI), ".focus article.post"},
		{"edit", "/edit?post=" + url.QueryEscape(mine.IRI), "form[action='/edit']"},
		{"followers", "/@me/followers", "ul.people"},
		{"following", "/@me/following", "ul.people"},
		{"mutes-and-blocks", "/settings/blocks", "h1"},
		{"blocked-domains", "/settings/domain-blocks", "#domain"},
		{"filters", "/filters", "#filter_title"},
		{"time-zone", "/settings/time", "#tz"},
		{"welcome", "/settings/welcome", ".welcome"},
		{"apps", "/settings/apps", "h1"},
		{"lists", "/lists", "h1"},
		{"bookmarks", "/bookmarks", "h1"},
		{"scheduled", "/scheduled", "h1"},
		{"search", "/search?q=river", "h1"},
		{"status", "/status", "h1"},
		{"tag", "/tags/walks", "h1"},
		{"block-confirmation", "/block?account=" + url.QueryEscape(friend.actor), "form.confirm"},
	} {
		browse(t, b, "open "+pg.name, chromedp.Navigate(ts.base+pg.path), chromedp.WaitVisible(chromedp.CSS(pg.ready)))
		check(pg.name)
	}

	// The same in dark mode, where axe-core's contrast rule meets the other palette.
	browse(t, b, "switch to dark mode", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}})
		return err
	}))
	for _, pg := range []struct{ name, path, ready string }{
		{"dark-home", "/home", "article.post"},
		{"dark-thread", "/thread?post=" + url.QueryEscape(private), ".focus article.post"},
		{"dark-notifications", "/notifications", "h1"},
		{"dark-settings", "/settings/profile", "nav.settings"},
		{"dark-profile", "/@me", "article.post"},
	} {
		browse(t, b, "open "+pg.name, chromedp.Navigate(ts.base+pg.path), chromedp.WaitVisible(chromedp.CSS(pg.ready)))
		check(pg.name)
	}
}
