package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// run runs one command line as roost's main does for every command but version and help.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	return Run(ctx, Env{Getenv: getenv, Stdin: stdin, Stdout: stdout, Stderr: stderr, Version: "test"}, args[0], args[1:])
}

// syncBuffer is a bytes.Buffer safe to read while the program writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// skipUnlessCI skips the test for why (a missing tool or permission), except under CI=true,
// where whatever a test needs must be there.
func skipUnlessCI(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why)
}

// startServe runs `roost serve` in-process, as `go run . serve` would, on a free loopback port
// with its data in a temporary folder. It returns the base URL, the data folder and the output.
func startServe(t *testing.T, extra ...string) (base, dir string, stdout *syncBuffer) {
	t.Helper()
	// Each try has a fresh data folder too: a first start prints what later ones do not.
	onFreePort(t, func(addr string) (err error) {
		base, dir, stdout, err = tryServe(t, addr, extra)
		return err
	})
	return base, dir, stdout
}

// onFreePort calls try with a free loopback address, and again with another, up to three times,
// while it fails with EADDRINUSE: the port freeAddr found free can be taken before serve listens
// on it (by another test package's outgoing connection, say), and serve then stops at once.
// Any other error fails the test.
func onFreePort(t *testing.T, try func(addr string) error) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		err := try(freeAddr(t))
		if err == nil {
			return
		}
		if !errors.Is(err, syscall.EADDRINUSE) || attempt == 3 {
			t.Fatal(err)
		}
	}
}

// tryServe is one try of startServe, on addr. An error means serve is not running.
func tryServe(t *testing.T, addr string, extra []string) (base, dir string, stdout *syncBuffer, err error) {
	t.Helper()
	dir = t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	args := append([]string{"serve", "-listen", addr}, extra...)
	getenv := func(k string) string {
		if k == "ROOST_DATA" {
			return dir
		}
		return ""
	}
	go func() { done <- run(ctx, args, getenv, nil, stdout, stderr) }()
	base = "http://" + addr
	client := &http.Client{Timeout: time.Second} // whatever took the port may never answer
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := client.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case err := <-done:
			cancel()
			return "", "", nil, fmt.Errorf("serve exited early: %w\nstderr:\n%s", err, stderr)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			return "", "", nil, fmt.Errorf("server did not answer /healthz within 10 s; stderr:\n%s", stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v after shutdown; stderr:\n%s", err, stderr)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("serve did not shut down within 30 s")
		}
	})
	return base, dir, stdout, nil
}

func get(t *testing.T, url, accept string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// TestServeFreshInstance does what the README promises: `roost serve` on a fresh data folder
// creates the owner with a printed password and answers WebFinger, the actor (JSON and HTML) and
// NodeInfo; `roost post` while it runs shows up in the outbox.
func TestServeFreshInstance(t *testing.T) {
	base, dir, stdout := startServe(t)
	host := strings.TrimPrefix(base, "http://")
	if out := stdout.String(); !strings.Contains(out, "Password (shown only this once): ") {
		t.Errorf("first start did not print the generated password:\n%s", out)
	}

	resp, body := get(t, base+"/.well-known/webfinger?resource=acct:me@"+host, "")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/jrd+json") {
		t.Fatalf("webfinger: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var jrd struct {
		Subject string
		Links   []struct{ Rel, Type, Href string }
	}
	if err := json.Unmarshal(body, &jrd); err != nil {
		t.Fatal(err)
	}
	if jrd.Subject != "acct:me@"+host {
		t.Errorf("webfinger subject = %q", jrd.Subject)
	}
	actorURL := ""
	for _, l := range jrd.Links {
		if l.Rel == "self" && l.Type == "application/activity+json" {
			actorURL = l.Href
		}
	}
	if actorURL != base+"/users/me" {
		t.Fatalf("webfinger self link = %q, want %s/users/me", actorURL, base)
	}

	resp, body = get(t, actorURL, "application/activity+json")
	var actor map[string]any
	if err := json.Unmarshal(body, &actor); err != nil || resp.StatusCode != 200 {
		t.Fatalf("actor: %d %v %s", resp.StatusCode, err, body)
	}
	if actor["type"] != "Person" || actor["preferredUsername"] != "me" || actor["inbox"] != actorURL+"/inbox" {
		t.Errorf("actor = %v", actor)
	}
	key, _ := actor["publicKey"].(map[string]any)
	if pem, _ := key["publicKeyPem"].(string); !strings.Contains(pem, "BEGIN PUBLIC KEY") || key["id"] != actorURL+"#main-key" {
		t.Errorf("actor publicKey = %v", key)
	}

	resp, _ = get(t, actorURL, "text/html,application/xhtml+xml")
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != base+"/@me" {
		t.Errorf("actor for a browser: %d Location %q, want a redirect to the profile", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body = get(t, base+"/@me", "text/html")
	if resp.StatusCode != 200 || !strings.Contains(string(body), "@me@"+host) {
		t.Errorf("profile page: %d\n%s", resp.StatusCode, body)
	}

	resp, body = get(t, base+"/.well-known/nodeinfo", "")
	if resp.StatusCode != 200 || !strings.Contains(string(body), base+"/nodeinfo/2.1") {
		t.Errorf("nodeinfo discovery: %d %s", resp.StatusCode, body)
	}
	resp, body = get(t, base+"/nodeinfo/2.0", "")
	var ni struct {
		Version  string
		Software struct{ Name string }
	}
	if json.Unmarshal(body, &ni); resp.StatusCode != 200 || ni.Version != "2.0" || ni.Software.Name != "roost" {
		t.Errorf("nodeinfo 2.0: %d %s", resp.StatusCode, body)
	}

	// The owner posts from the command line while the server runs.
	var out, errOut bytes.Buffer
	getenv := func(k string) string { return map[string]string{"ROOST_DATA": dir}[k] }
	if err := run(context.Background(), []string{"post", "Hello, fediverse"}, getenv, nil, &out, &errOut); err != nil {
		t.Fatalf("roost post: %v\n%s", err, errOut.String())
	}
	resp, body = get(t, actorURL+"/outbox?page=true", "application/activity+json")
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Hello, fediverse") || !strings.Contains(string(body), `"totalItems":1`) {
		t.Errorf("outbox after roost post: %d %s", resp.StatusCode, body)
	}
	// A move needs a new account that names this one as an alias; taking it back needs nothing.
	out.Reset()
	if err := run(context.Background(), []string{"move", ""}, getenv, nil, &out, &errOut); err != nil ||
		!strings.Contains(out.String(), "no longer points") {
		t.Errorf("roost move '': %v %q", err, out.String())
	}
	if err := run(context.Background(), []string{"move", "@nobody@127.0.0.1"}, getenv, nil, &out, &errOut); err == nil {
		t.Errorf("roost move to an account that cannot be fetched succeeded")
	}
}

// TestRestartKeepsAccount checks that a second start reuses the account and does not print a
// new password.
func TestRestartKeepsAccount(t *testing.T) {
	dir := t.TempDir()
	getenv := func(k string) string { return map[string]string{"ROOST_DATA": dir}[k] }
	for i := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		var out, errOut syncBuffer
		done := make(chan error, 1)
		go func() { done <- run(ctx, []string{"serve", "-listen", freeAddr(t)}, getenv, nil, &out, &errOut) }()
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(out.String(), "Roost is serving") && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("start %d: %v\n%s", i+1, err, errOut.String())
		}
		printed := strings.Contains(out.String(), "Password")
		if printed != (i == 0) {
			t.Errorf("start %d printed a password: %v\n%s", i+1, printed, out.String())
		}
	}
}

// TestServeDomain takes -domain as people type it and serves it as peers and browsers write it:
// lower case, an international name in its xn-- form. A URL or a path instead of a host name is
// refused before anything is created.
func TestServeDomain(t *testing.T) {
	for _, v := range []string{"https://social.example", "social.example/roost", "me@social.example",
		"social example", "social.example:99999", "xn--.example", "a..example", "exa_mple.com"} {
		dir := t.TempDir()
		getenv := func(k string) string { return map[string]string{"ROOST_DATA": dir}[k] }
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second) // should it serve
		err := run(ctx, []string{"serve", "-domain", v, "-tls", "off", "-listen", freeAddr(t)},
			getenv, nil, io.Discard, &syncBuffer{})
		cancel()
		if err == nil || !strings.Contains(err.Error(), "-domain") {
			t.Errorf("-domain %q: %v", v, err)
		}
		if _, serr := os.Stat(filepath.Join(dir, "roost.db")); serr == nil {
			t.Errorf("-domain %q: created a database first", v)
		}
	}

	base, _, stdout := startServe(t, "-domain", "Bücher.Example:8443", "-tls", "off")
	if !strings.Contains(stdout.String(), "https://xn--bcher-kva.example:8443/") {
		t.Errorf("serve printed %q", stdout.String())
	}
	_, body := get(t, base+"/.well-known/webfinger?resource=acct:me@xn--bcher-kva.example:8443", "")
	if !strings.Contains(string(body), `"https://xn--bcher-kva.example:8443/users/`) {
		t.Errorf("WebFinger: %s", body)
	}
}
