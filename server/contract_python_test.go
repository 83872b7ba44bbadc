package server

import (
	"bufio"
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"roost/store/access"
)

// The contract with real clients nobody here wrote, as Debian ships them: Mastodon.py (the
// python3-mastodon package, under most bots and scripts) and toot (a command-line client). Each
// drives a running Roost as its users would; .ci/run installs both.

// debianPython returns Debian's python3 when it can import module, skipping the test otherwise
// (failing it under CI=true, where .ci/run installs the package).
func debianPython(t *testing.T, module, pkg string) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(py)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import "+module).Run() == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("python3 cannot import %s; CI must install Debian's %s", module, pkg)
	}
	t.Skipf("python3 cannot import %s (apt-get install %s)", module, pkg)
	return ""
}

// ownerBrowser is the owner signed in to Roost's web interface: a session cookie, with which it
// approves an app on the consent page and reads the code an out-of-band app shows.
type ownerBrowser struct {
	ts     *testServer
	cookie *http.Cookie
}

func newOwnerBrowser(t *testing.T, ts *testServer) *ownerBrowser {
	t.Helper()
	token := randomToken(32)
	se := &access.Session{ID: hashToken(token), CSRF: randomToken(24), ExpiresAt: time.Now().Add(24 * time.Hour)}
	if err := access.New(ts.st).CreateSession(context.Background(), se); err != nil {
		t.Fatalf("create session: %v", err)
	}
	return &ownerBrowser{ts: ts, cookie: &http.Cookie{Name: ts.srv.app.CookieName(), Value: token}}
}

var (
	hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)"`)
	codeInput   = regexp.MustCompile(`id="code"[^>]*value="([^"]+)"`)
)

// approve opens the authorize URL an app built, as the owner's browser would, approves it, and
// returns the out-of-band code the page shows.
func (b *ownerBrowser) approve(t *testing.T, authorizeURL string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, authorizeURL, nil)
	req.AddCookie(b.cookie)
	resp, page := doNoRedirect(t, req)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("consent page %s: %d %.300s", authorizeURL, resp.StatusCode, page)
	}
	form := url.Values{"decision": {"approve"}}
	for _, m := range hiddenInput.FindAllStringSubmatch(string(page), -1) {
		form.Set(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	req, _ = http.NewRequest(http.MethodPost, b.ts.base+"/oauth/authorize", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(b.cookie)
	resp, page = doNoRedirect(t, req)
	m := codeInput.FindStringSubmatch(string(page))
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("approve: %d, no code on the page: %.300s", resp.StatusCode, page)
	}
	return html.UnescapeString(m[1])
}

// clientEvent is a line a driver script writes: a step done, a request for the test to act (a
// peer to post, the clock to move, the server to restart), a failure, or the end.
type clientEvent struct {
	Ev      string  `json:"ev"`
	Step    string  `json:"step"`
	What    string  `json:"what"`
	Text    string  `json:"text"`
	URL     string  `json:"url"`
	Seconds float64 `json:"seconds"`
	Error   string  `json:"error"`
}

// TestContractMastodonPy drives Roost with Mastodon.py 1.8 (testdata/clients/mastodon_py.py):
// sign-in through the consent page, scheduled posts (hidden until their time, then published
// once, also across a restart), a sensitive image, notifications (v1 and grouped v2), search by
// name, word and hashtag, a list and its timeline, a followed tag, and a push subscription whose
// messages the script decrypts with its private key.
func TestContractMastodonPy(t *testing.T) {
	py := debianPython(t, "mastodon", "python3-mastodon")
	ts := newTestServer(t, func(c *Config) { c.MediaDir = t.TempDir() })
	browser := newOwnerBrowser(t, ts)
	dave, erin, gina := newPeer(t, "dave"), newPeer(t, "erin"), newPeer(t, "gina")
	followedPeer(t, ts, erin) // the list's member

	script, err := filepath.Abs("../testdata/clients/mastodon_py.py")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, script)
	cmd.Env = append(os.Environ(), "URL="+ts.base, "PEER="+erin.name+"@"+erin.host)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	timer := time.AfterFunc(3*time.Minute, func() { cmd.Process.Kill() })
	defer timer.Stop()

	answer := func(v any) {
		b, _ := json.Marshal(v)
		if _, err := stdin.Write(append(b, '\n')); err != nil {
			t.Fatalf("answer the script: %v", err)
		}
	}
	steps, done := []string{}, false
	lines := bufio.NewScanner(stdout)
	lines.Buffer(nil, 1<<20)
	for lines.Scan() {
		var ev clientEvent
		if err := json.Unmarshal(lines.Bytes(), &ev); err != nil {
			t.Logf("script: %s", lines.Bytes())
			continue
		}
		switch ev.Ev {
		case "step":
			steps = append(steps, ev.Step)
			t.Logf("%s: %s", time.Now().Format("15:04:05.000"), ev.Step)
		case "failed":
			t.Fatalf("Mastodon.py after steps %v: %s\nstderr: %s", steps, ev.Error, stderr.String())
		case "done":
			done = true
		case "need":
			switch ev.What {
			case "consent":
				answer(map[string]string{"code": browser.approve(t, ev.URL)})
			case "advance": // the clock moves on; the scheduled publisher looks again
				ts.advance(time.Duration(ev.Seconds * float64(time.Second)))
				ts.srv.app.WakeScheduled()
				answer(map[string]bool{"ok": true})
			case "restart": // the server stops, time passes, it starts again
				ts.advance(time.Duration(ev.Seconds * float64(time.Second)))
				ts.restart(t)
				answer(map[string]bool{"ok": true})
			case "mention": // a stranger mentions the owner
				mentionOwner(t, ts, dave, ev.Text)
				answer(map[string]bool{"ok": true})
			case "member_post": // the list's member posts publicly
				erin.sendAccepted(t, ts, erin.create(erin.note("<p>"+ev.Text+"</p>", []string{publicIRI}, []string{erin.actor + "/followers"})))
				answer(map[string]bool{"ok": true})
			case "tag_post": // an account the owner does not follow posts with a hashtag
				n := gina.note("<p>"+ev.Text+"</p>", []string{publicIRI}, nil)
				n["tag"] = []any{map[string]any{"type": "Hashtag", "name": "#roostfollowed", "href": gina.base + "/tags/roostfollowed"}}
				gina.sendAccepted(t, ts, gina.create(n))
				answer(map[string]bool{"ok": true})
			default:
				t.Fatalf("script asked for %q", ev.What)
			}
		}
	}
	err = cmd.Wait()
	if !done || err != nil {
		t.Fatalf("Mastodon.py script ended (%v) after steps %v without finishing\nstderr: %s", err, steps, stderr.String())
	}
	t.Logf("Mastodon.py steps: %s", strings.Join(steps, ", "))
}

// publicIRI is ActivityPub's public collection.
const publicIRI = "https://www.w3.org/ns/activitystreams#Public"

// TestContractToot drives Roost with toot 0.34 as its user would: `toot login` (the browser flow
// with an out-of-band code, the way toot signs in now that Mastodon has no password grant),
// then post, timeline and search.
func TestContractToot(t *testing.T) {
	tootBin, err := exec.LookPath("toot")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("no toot on PATH; CI must install Debian's toot")
		}
		t.Skip("no toot on PATH (apt-get install toot)")
	}
	ts := newTestServer(t, func(c *Config) { c.MediaDir = t.TempDir() })
	browser := newOwnerBrowser(t, ts)
	hankPeer := newPeer(t, "hank")
	followingPeer(t, ts, hankPeer)
	env := append(os.Environ(), "XDG_CONFIG_HOME="+t.TempDir(), "NO_COLOR=1", "TERM=dumb")
	host := strings.TrimPrefix(ts.base, "http://")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	login := exec.CommandContext(ctx, tootBin, "login", "--instance", host, "--disable-https")
	login.Env = env
	stdin, _ := login.StdinPipe()
	stdout, _ := login.StdoutPipe()
	var stderr strings.Builder
	login.Stderr = &stderr
	if err := login.Start(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		line := strings.TrimSpace(lines.Text())
		out.WriteString(line + "\n")
		if strings.HasPrefix(line, ts.base+"/oauth/authorize") {
			code := browser.approve(t, line)
			io.WriteString(stdin, "n\n"+code+"\n")
		}
	}
	if err := login.Wait(); err != nil || !strings.Contains(out.String(), "Successfully logged in") {
		t.Fatalf("toot login: %v\n%s\nstderr: %s", err, out.String(), stderr.String())
	}

	toot := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, tootBin, args...)
		cmd.Env = env
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("toot %s: %v\n%s", strings.Join(args, " "), err, b)
		}
		t.Logf("toot %s:\n%s", strings.Join(args, " "), b)
		return string(b)
	}
	if got := toot("whoami"); !strings.Contains(got, "@me") {
		t.Errorf("toot whoami: %s", got)
	}
	if got := toot("post", "Hello from toot #roosttoot"); !strings.Contains(got, "Toot posted") {
		t.Errorf("toot post: %s", got)
	}
	if got := toot("timeline", "--once"); !strings.Contains(got, "Hello from toot") {
		t.Errorf("toot timeline does not show the post: %s", got)
	}
	if got := toot("search", "roosttoot"); !strings.Contains(got, "roosttoot") {
		t.Errorf("toot search roosttoot finds no hashtag: %s", got)
	}
	if got := toot("search", "hank"); !strings.Contains(got, "hank@") {
		t.Errorf("toot search hank finds no account: %s", got)
	}
	hank := "hank@" + strings.TrimPrefix(hankPeer.base, "http://")
	if got := toot("whois", hank); !strings.Contains(got, "Hank") {
		t.Errorf("toot whois %s: %s", hank, got)
	}
	if got := toot("notifications"); !strings.Contains(got, "hank") || !strings.Contains(got, "follow") {
		t.Errorf("toot notifications does not show hank's follow: %s", got)
	}
	if got := toot("followers", "me"); !strings.Contains(got, "hank") {
		t.Errorf("toot followers me: %s", got)
	}
	if got := toot("instance", "--disable-https"); !strings.Contains(got, host) {
		t.Errorf("toot instance: %s", got)
	}

	// A post's life: favourite, boost, who boosted, pin, bookmark, thread, delete.
	id := regexp.MustCompile(`/@me/(\d+)`).FindStringSubmatch(toot("post", "a post for toot's buttons"))
	if id == nil {
		t.Fatal("toot post printed no URL")
	}
	for _, cmd := range []string{"favourite", "reblog", "pin", "bookmark"} {
		toot(cmd, id[1])
	}
	if got := toot("reblogged_by", id[1]); !strings.Contains(got, "@me") {
		t.Errorf("toot reblogged_by: %s", got)
	}
	if got := toot("bookmarks", "--once"); !strings.Contains(got, "a post for toot's buttons") {
		t.Errorf("toot bookmarks: %s", got)
	}
	if got := toot("thread", id[1]); !strings.Contains(got, "a post for toot's buttons") {
		t.Errorf("toot thread: %s", got)
	}
	for _, cmd := range []string{"unbookmark", "unpin", "unreblog", "unfavourite", "delete"} {
		toot(cmd, id[1])
	}
	if p, err := ts.st.PostByID(context.Background(), mustID(t, id[1])); err != nil || p.DeletedAt.IsZero() {
		t.Errorf("toot delete left post %s: %+v, %v", id[1], p, err)
	}

	// An image, sensitive, with a description; and a post scheduled ten minutes ahead.
	img := filepath.Join(t.TempDir(), "square.png")
	if err := os.WriteFile(img, pngImage(t, 16, 16), 0o600); err != nil {
		t.Fatal(err)
	}
	got := toot("post", "--media", img, "--description", "a red square", "--sensitive", "a sensitive square")
	if m := regexp.MustCompile(`/@me/(\d+)`).FindStringSubmatch(got); m == nil {
		t.Errorf("toot post --media: %s", got)
	} else if p, err := ts.st.PostByID(context.Background(), mustID(t, m[1])); err != nil || !p.Sensitive || len(p.Attachments) != 1 ||
		p.Attachments[0].Name != "a red square" {
		t.Errorf("toot post --media --sensitive stored %+v, %v", p, err)
	}
	if got := toot("post", "--scheduled-in", "10m", "later, from toot"); !strings.Contains(got, "Toot scheduled for") {
		t.Errorf("toot post --scheduled-in: %s", got)
	}
	if got := toot("timeline", "--once"); strings.Contains(got, "later, from toot") {
		t.Errorf("a scheduled post shows in the timeline before its time: %s", got)
	}

	// Accounts: follow and unfollow, mute and block and back.
	for _, cmd := range []string{"follow", "unfollow", "mute", "unmute", "block", "unblock"} {
		toot(cmd, hank)
	}
	if got := toot("following", "me"); strings.Contains(got, "hank") {
		t.Errorf("toot following after unfollow: %s", got)
	}

	// Followed tags.
	cmd := exec.CommandContext(ctx, tootBin, "tags_follow", "roosttoot")
	cmd.Env = env
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("toot tags_follow: %v: %s", err, b)
	} else if got := toot("tags_followed"); !strings.Contains(got, "roosttoot") {
		t.Errorf("toot tags_followed: %s", got)
	}
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
