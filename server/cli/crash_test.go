package cli

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"roost/server"
	"roost/server/signature"
	"roost/store"
	"roost/store/queue"
)

// These tests kill -9 the real server process in the middle of its work, start it again on the
// same data folder, and check that nothing acknowledged was lost: every queued delivery still
// happens, every activity answered 202 is in the store, and the database is intact.

// buildOnce compiles the program (the module's main package) once per test binary run.
var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "roost-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "roost")
	out, err := exec.Command("go", "build", "-o", bin, "roost").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// proc is a running roost serve process.
type proc struct {
	cmd  *exec.Cmd
	base string
	out  *syncBuffer
}

func startProc(t *testing.T, dir, addr string) *proc {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{base: "http://" + addr, out: &syncBuffer{}}
	p.cmd = exec.Command(bin, "serve", "-data", dir, "-listen", addr, "-log-level", "warn")
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(p.base + "/healthz"); err == nil {
			resp.Body.Close()
			return p
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("roost did not start:\n%s", p.out)
	return nil
}

func (p *proc) kill9(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
}

// TestCrashDuringFanOut kills the server while it delivers one post to 2,000 inboxes on 200 hosts
// and checks that after a restart every inbox gets the post, with duplicates only for deliveries
// that were in flight at the kill.
func TestCrashDuringFanOut(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a real server process")
	}
	const hosts, perHost = 200, 10
	// One listener on all loopback addresses answers for 200 hosts (127.0.1.1 ... 127.0.1.200),
	// slowly, so the kill lands mid fan-out.
	ln, err := net.Listen("tcp", "0.0.0.0:0")
	if err != nil {
		skipUnlessCI(t, fmt.Sprintf("cannot listen on all addresses: %v", err))
	}
	port := ln.Addr().(*net.TCPAddr).Port
	var mu sync.Mutex
	got := map[string]int{}
	var total atomic.Int64
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		got[r.Host+r.URL.Path]++
		mu.Unlock()
		total.Add(1)
		w.WriteHeader(http.StatusAccepted)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	dir := t.TempDir()
	addr := freeAddr(t)
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "roost.db"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := server.Config{Domain: addr, Scheme: "http", Username: "me"}
	if _, _, err := server.Setup(ctx, st, cfg); err != nil {
		t.Fatal(err)
	}
	owner, err := st.Owner(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for h := range hosts {
		host := fmt.Sprintf("127.0.1.%d:%d", h+1, port)
		for i := range perHost {
			iri := fmt.Sprintf("http://%s/users/u%d", host, i)
			a, err := st.UpsertAccount(ctx, &store.Account{IRI: iri, Username: fmt.Sprintf("u%d", i), Host: host,
				Inbox: iri + "/inbox"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.AddFollower(ctx, &store.Follow{IRI: iri + "/follow", FollowerID: a.ID,
				FolloweeID: owner.Account.ID, State: store.Accepted}, nil); err != nil {
				t.Fatal(err)
			}
			want = append(want, host+"/users/u"+fmt.Sprint(i)+"/inbox")
		}
	}
	st.Close()

	p := startProc(t, dir, addr)
	var out, errOut bytes.Buffer
	getenv := func(string) string { return "" }
	if err := run(ctx, []string{"post", "-data", dir, "fan-out under fire"}, getenv, nil, &out, &errOut); err != nil {
		t.Fatalf("roost post: %v\n%s", err, errOut.String())
	}
	// Kill once a few hundred deliveries have landed.
	deadline := time.Now().Add(60 * time.Second)
	for total.Load() < 300 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	before := total.Load()
	p.kill9(t)
	t.Logf("killed after %d of %d deliveries", before, len(want))
	if before >= int64(len(want)) {
		t.Fatalf("the fan-out finished before the kill; nothing was tested")
	}

	startProc(t, dir, addr)
	deadline = time.Now().Add(90 * time.Second)
	for {
		mu.Lock()
		missing := 0
		for _, w := range want {
			if got[w] == 0 {
				missing++
			}
		}
		mu.Unlock()
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d inboxes never got the post after the restart", missing)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	dups := 0
	for _, n := range got {
		dups += n - 1
	}
	mu.Unlock()
	t.Logf("every inbox got the post; %d duplicate deliveries (in flight at the kill)", dups)
	if dups > 256+8 { // at most the deliveries in flight: the worker pool, plus a claimed batch
		t.Errorf("%d duplicates: more than were in flight", dups)
	}
	checkIntegrity(t, dir)
}

// TestCrashDuringInboxFlood kills the server while a peer floods its inbox, and checks that every
// activity it answered 202 is in the store after a restart.
func TestCrashDuringInboxFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a real server process")
	}
	key, err := signature.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	peer := newFloodPeer(t, key)
	dir := t.TempDir()
	addr := freeAddr(t)
	p := startProc(t, dir, addr)
	target := p.base + "/inbox"

	// The kill must land on an inbox that is taking the flood: a run with fewer activities
	// acknowledged proves nothing about them.
	const minAcked = 300
	var acked sync.Map
	var n, refused atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("%s/activities/%d-%d", peer.actor, w, i)
				body, _ := json.Marshal(map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
					"id": id, "type": "Like", "actor": peer.actor, "object": p.base + "/users/me/statuses/1"})
				req, _ := http.NewRequest("POST", target, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/activity+json")
				if err := signature.Sign(req, body, peer.actor+"#main-key", key); err != nil {
					return
				}
				resp, err := client.Do(req)
				if err != nil {
					return // the server died under us
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusAccepted {
					acked.Store(id, true)
					n.Add(1)
				} else {
					refused.Add(1)
				}
			}
		}()
	}
	deadline := time.Now().Add(60 * time.Second)
	for n.Load() < minAcked && refused.Load() < minAcked && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	p.kill9(t)
	close(stop)
	wg.Wait()
	t.Logf("killed after %d acknowledged activities", n.Load())
	if n.Load() < minAcked {
		t.Fatalf("only %d activities acknowledged (%d refused) before the kill, want at least %d:\n%s",
			n.Load(), refused.Load(), minAcked, p.out)
	}

	startProc(t, dir, addr).kill9(t) // a second unclean stop, during start-up work
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "roost.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	copies, err := queue.New(st).InboxCopies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lost := 0
	acked.Range(func(k, _ any) bool {
		if copies[k.(string)] != 1 {
			lost++
		}
		return true
	})
	if lost > 0 {
		t.Errorf("%d of %d acknowledged activities are missing after the crash", lost, n.Load())
	}
	if err := st.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
}

type floodPeer struct{ actor string }

func newFloodPeer(t *testing.T, key *rsa.PrivateKey) *floodPeer {
	t.Helper()
	pem, err := signature.EncodePublicKeyPEM(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &floodPeer{actor: "http://" + ln.Addr().String() + "/users/flood"}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		json.NewEncoder(w).Encode(map[string]any{
			"@context": []string{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"},
			"id":       p.actor, "type": "Person", "preferredUsername": "flood", "inbox": p.actor + "/inbox",
			"publicKey": map[string]string{"id": p.actor + "#main-key", "owner": p.actor, "publicKeyPem": pem},
		})
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return p
}

func checkIntegrity(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "roost.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}
}
