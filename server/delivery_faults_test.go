package server

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"roost/server/app"
	"roost/server/delivery"
	"roost/store"
	"roost/store/queue"
)

// Peers that misbehave, as the delivery worker meets them: one that hangs, dribbles, fails,
// redirects in a loop, answers with an endless body or has a backlog longer than the worker pool
// costs bounded attempts, and the queue keeps moving for every other host meanwhile. Most tests
// pair faulty followers with a healthy one on another host and post to all of them.

// faultAttemptBound is the longest one delivery attempt may take with the default options (the
// worker's and the client's 30 s), plus slack for a loaded machine.
const faultAttemptBound = 35 * time.Second

// faultOutcome is how a faulty peer's answer to one Create ended.
type faultOutcome struct {
	obj     string
	took    time.Duration // from the request to the end of the answer
	written int64         // response bytes the peer managed to write
	hungUp  bool          // Roost closed the connection before the peer was done
}

// faultFunc answers the nth POST of a Create of obj.
type faultFunc func(f *faultyInbox, w http.ResponseWriter, r *http.Request, obj string, n int) faultOutcome

// faultyInbox is the inbox of a follower whose server misbehaves on Creates. The follower's actor
// document is served by a harness peer; its inbox and shared inbox point here, on another port and
// so another delivery host. Anything other than a Create is answered 202 (with the connection
// closed, so that the next delivery dials anew), so following works.
type faultyInbox struct {
	peer  *peer
	srv   *httptest.Server
	url   string // the inbox
	host  string // the delivery host
	fault faultFunc
	stop  chan struct{} // closed at cleanup: every fault gives up
	hold  atomic.Bool   // while set, connections are accepted and never read

	mu       sync.Mutex
	accepts  int
	creates  map[string]int // object id -> Create POSTs
	paths    map[string]int // path -> requests of any kind
	open     int            // Creates being answered now
	maxOpen  int
	finished []faultOutcome
	held     []net.Conn
	released bool
}

// newFaultyFollower makes a follower of the owner whose inbox answers Creates with fault.
func newFaultyFollower(t *testing.T, ts *testServer, name string, fault faultFunc) *faultyInbox {
	t.Helper()
	f := &faultyInbox{peer: newPeer(t, name), fault: fault, stop: make(chan struct{}),
		creates: map[string]int{}, paths: map[string]int{}}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.srv.Listener = &holdListener{Listener: f.srv.Listener, f: f}
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	t.Cleanup(f.release) // before Close, which waits for the handlers
	f.host = f.srv.Listener.Addr().String()
	f.url = f.srv.URL + "/inbox"
	f.peer.setActorField("inbox", f.url)
	f.peer.setActorField("endpoints", map[string]any{"sharedInbox": f.url})

	f.peer.sendAccepted(t, ts, f.peer.activity("Follow", ts.actor))
	waitFor(t, name+" to receive the Accept", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.accepts > 0
	})
	ts.waitQueueEmpty(t)
	return f
}

func (f *faultyInbox) serve(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var act struct {
		Type   string `json:"type"`
		Object any    `json:"object"`
	}
	json.Unmarshal(body, &act)
	f.mu.Lock()
	f.paths[r.URL.Path]++
	if r.Method != http.MethodPost || act.Type != "Create" {
		if act.Type == "Accept" {
			f.accepts++
		}
		f.mu.Unlock()
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusAccepted)
		return
	}
	obj := idOf(act.Object)
	f.creates[obj]++
	n := f.creates[obj]
	f.open++
	f.maxOpen = max(f.maxOpen, f.open)
	f.mu.Unlock()

	o := f.fault(f, w, r, obj, n)
	o.obj, o.took = obj, time.Since(start)
	f.mu.Lock()
	f.open--
	f.finished = append(f.finished, o)
	f.mu.Unlock()
}

// release makes every fault give up and closes the connections held unread.
func (f *faultyInbox) release() {
	close(f.stop)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.released = true
	for _, c := range f.held {
		c.Close()
	}
}

func (f *faultyInbox) attempts(obj string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.creates[obj]
}

func (f *faultyInbox) requests(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.paths[path]
}

func (f *faultyInbox) inFlight() (open, maxOpen int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.open, f.maxOpen
}

func (f *faultyInbox) heldConns() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.held)
}

func (f *faultyInbox) outcomes() []faultOutcome {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]faultOutcome(nil), f.finished...)
}

// holdListener hands connections to the HTTP server, except while f.hold is set: then it keeps
// them, unread, as a peer whose process accepts but never gets to the request.
type holdListener struct {
	net.Listener
	f *faultyInbox
}

func (l *holdListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil || !l.f.hold.Load() {
			return c, err
		}
		l.f.mu.Lock()
		if l.f.released {
			c.Close()
		} else {
			l.f.held = append(l.f.held, c)
		}
		l.f.mu.Unlock()
	}
}

// hangFault reads the request and never answers.
func hangFault(f *faultyInbox, w http.ResponseWriter, r *http.Request, _ string, _ int) faultOutcome {
	select {
	case <-r.Context().Done():
		return faultOutcome{hungUp: true}
	case <-f.stop:
		return faultOutcome{}
	}
}

// statusFault answers code, with header, to every attempt.
func statusFault(code int, header func() http.Header) faultFunc {
	return func(_ *faultyInbox, w http.ResponseWriter, _ *http.Request, _ string, _ int) faultOutcome {
		if header != nil {
			for k, v := range header() {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(code)
		return faultOutcome{}
	}
}

// onFirstAttempt answers the first attempt at each object with first, later ones with 202.
func onFirstAttempt(first faultFunc) faultFunc {
	return func(f *faultyInbox, w http.ResponseWriter, r *http.Request, obj string, n int) faultOutcome {
		if n == 1 {
			return first(f, w, r, obj, n)
		}
		w.WriteHeader(http.StatusAccepted)
		return faultOutcome{}
	}
}

// ownerPost publishes a public post as the owner.
func ownerPost(t *testing.T, ts *testServer, text string) *store.Post {
	t.Helper()
	p, err := ts.srv.app.Post(context.Background(), app.PostInput{Text: text})
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	return p
}

// hostQueue returns the queue's count for host (zero when it has no row).
func hostQueue(t *testing.T, ts *testServer, host string) queue.QueueStats {
	t.Helper()
	q, err := ts.srv.App().Queue.DeliveryQueue(context.Background())
	if err != nil {
		t.Fatalf("delivery queue: %v", err)
	}
	for _, h := range q {
		if h.Host == host {
			return h
		}
	}
	return queue.QueueStats{Host: host}
}

func hostFailures(t *testing.T, ts *testServer, host string) int {
	t.Helper()
	h, err := ts.srv.App().Queue.Host(context.Background(), host)
	if err != nil {
		t.Fatalf("host %s: %v", host, err)
	}
	return h.Failures
}

// nextDueIn returns how long until the earliest queued delivery falls due, once the healthy
// peer's are done.
// The healthy peer having received a delivery does not mean its row is gone: until the worker
// records the answer, the row is leased and looks due when the lease ends, so wait for it first.
func nextDueIn(t *testing.T, ts *testServer, healthy *peer) time.Duration {
	t.Helper()
	waitFor(t, "the healthy host's deliveries recorded", func() bool { return hostQueue(t, ts, healthy.host).Queued == 0 })
	next, err := ts.srv.App().Queue.NextDeliveryAt(context.Background())
	if err != nil || next.IsZero() {
		t.Fatalf("next delivery: %v, %v; want a queued row", next, err)
	}
	return time.Until(next)
}

// attemptTimeout restarts ts's workers with a delivery worker whose attempts are cut off after d.
// Config has no field for it (the worker's default is 30 s), and a test of a peer that stalls
// after its headers cannot wait that long.
func attemptTimeout(t *testing.T, ts *testServer, d time.Duration) {
	t.Helper()
	ts.stopRun()
	ts.srv.app.Deliver = delivery.New(ts.srv.app.Queue, ts.srv.app.SendActivity, testLogger().With("sub", "delivery"),
		delivery.Options{Workers: ts.cfg.DeliveryWorkers, Poll: ts.cfg.Poll, Timeout: d})
	ts.run(t)
}

// Peers that stall before their response headers: one accepts the connection and never reads
// the request, one reads it and never answers, one sends its headers a byte every 100 ms. With
// the default options each holds at most four of Roost's connections (the per-host limit), each
// for a bounded time (the client's 10 s wait for response headers, however steadily bytes come),
// while a healthy peer gets every post at once; the stalled attempts count as failures and wait
// for their retry.
func TestDeliveryFaultHang(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	healthy := newPeer(t, "healthy")
	followingPeer(t, ts, healthy)
	silent := newFaultyFollower(t, ts, "silent", hangFault)
	silent.hold.Store(true)
	mute := newFaultyFollower(t, ts, "mute", hangFault)
	dribbler := newFaultyFollower(t, ts, "dribbler", func(f *faultyInbox, w http.ResponseWriter, _ *http.Request, _ string, _ int) faultOutcome {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return faultOutcome{}
		}
		defer conn.Close()
		head := "HTTP/1.1 202 Accepted\r\nX-Slow: " + strings.Repeat("a", 1<<20)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		var o faultOutcome
		for i := range len(head) {
			select {
			case <-f.stop:
				return o
			case <-tick.C:
			}
			conn.SetWriteDeadline(time.Now().Add(time.Second))
			if _, err := conn.Write([]byte{head[i]}); err != nil {
				o.hungUp = true
				return o
			}
			o.written++
		}
		return o
	})
	bad := []*faultyInbox{silent, mute, dribbler}

	start := time.Now()
	var posts []*store.Post
	for i := range 6 {
		posts = append(posts, ownerPost(t, ts, "post "+strconv.Itoa(i)))
	}
	waitFor(t, "four stalled attempts per peer", func() bool {
		open, _ := mute.inFlight()
		open2, _ := dribbler.inFlight()
		return silent.heldConns() == 4 && open == 4 && open2 == 4
	})
	for _, p := range posts {
		healthy.waitPost(t, "post "+p.IRI, ofTypeObject("Create", p.IRI))
	}
	t.Logf("healthy peer got 6 posts %v after the first, 12 attempts stalled", time.Since(start).Round(time.Millisecond))
	if n := silent.heldConns(); n != 4 {
		t.Errorf("%s: %d connections held, want the per-host limit of 4", silent.peer.name, n)
	}
	for _, f := range []*faultyInbox{mute, dribbler} {
		if open, maxOpen := f.inFlight(); open != 4 || maxOpen != 4 {
			t.Errorf("%s: %d attempts stalled (at most %d), want the per-host limit of 4", f.peer.name, open, maxOpen)
		}
	}
	for _, f := range bad {
		if q := hostQueue(t, ts, f.host); q.Queued != 6 || q.Failing != 0 {
			t.Fatalf("%s: queue %+v while attempts are stalled, want 6 rows, none failed yet", f.peer.name, q)
		}
	}

	for _, f := range bad {
		waitWithin(t, f.peer.name+"'s stalled attempts to end", faultAttemptBound, func() bool {
			return hostFailures(t, ts, f.host) >= 4
		})
		t.Logf("%s: stalled attempts given up %v after the first post", f.peer.name, time.Since(start).Round(time.Millisecond))
		if q := hostQueue(t, ts, f.host); q.Queued != 6 || q.Failing < 4 {
			t.Errorf("%s: queue %+v, want all 6 rows kept, 4 of them failed once", f.peer.name, q)
		}
	}
	for _, f := range []*faultyInbox{mute, dribbler} {
		waitFor(t, f.peer.name+" to see Roost hang up", func() bool { return len(f.outcomes()) >= 4 })
		for _, o := range f.outcomes() {
			if !o.hungUp {
				t.Errorf("%s: attempt at %s ended without Roost hanging up", f.peer.name, o.obj)
			}
			t.Logf("%s: Roost hung up after %v and %d response bytes", f.peer.name, o.took.Round(time.Millisecond), o.written)
		}
	}
}

// A hanging peer with more rows due than the worker has slots (256) takes only a few of them:
// a delivery to a healthy peer queued behind that backlog goes out while the hung attempts are
// still waiting for their answer, not after they time out.
func TestDeliveryFaultBacklog(t *testing.T) {
	t.Parallel()
	const backlog = 300
	ts := newTestServer(t)
	bad := newFaultyFollower(t, ts, "backlog", hangFault)
	healthy := newPeer(t, "healthy")
	ts.stopRun()
	for i := range backlog {
		ownerPost(t, ts, "post "+strconv.Itoa(i))
	}
	if _, err := ts.srv.app.Follow(context.Background(), healthy.actor); err != nil {
		t.Fatalf("follow %s: %v", healthy.actor, err)
	}
	if q := hostQueue(t, ts, bad.host); q.Queued != backlog {
		t.Fatalf("hanging peer's queue %+v, want %d rows", q, backlog)
	}

	start := time.Now()
	ts.run(t)
	healthy.waitPost(t, "the Follow", ofTypeObject("Follow", healthy.actor))
	t.Logf("healthy peer served %v after the workers started on a backlog of %d", time.Since(start).Round(time.Millisecond), backlog)
	if n := hostFailures(t, ts, bad.host); n != 0 {
		t.Errorf("healthy peer served only after %d hung attempts had ended", n)
	}
	if _, maxOpen := bad.inFlight(); maxOpen > 4 {
		t.Errorf("%d attempts at the hanging peer at once, want at most 4", maxOpen)
	}
}

// Stopping the workers while a peer hangs cuts the attempt short (it does not wait for the
// client's timeouts, which would record a failure), and the cut-short attempt does not count:
// the row is queued as before and the next run sends it again.
func TestDeliveryFaultShutdown(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	bad := newFaultyFollower(t, ts, "hangs", onFirstAttempt(hangFault))
	p := ownerPost(t, ts, "last words")
	waitFor(t, "the hanging attempt", func() bool { open, _ := bad.inFlight(); return open == 1 })

	start := time.Now()
	ts.stopRun()
	t.Logf("workers stopped %v after shutdown began, an attempt hanging", time.Since(start).Round(time.Millisecond))
	if n := hostFailures(t, ts, bad.host); n != 0 {
		t.Errorf("host failures %d: the attempt ran into a timeout instead of being cut short", n)
	}
	if q := hostQueue(t, ts, bad.host); q.Queued != 1 || q.Failing != 0 {
		t.Errorf("queue %+v after shutdown, want the row kept with no attempt counted", q)
	}
	waitFor(t, "the peer to see Roost hang up", func() bool { return len(bad.outcomes()) == 1 })
	if o := bad.outcomes()[0]; !o.hungUp {
		t.Error("the hanging attempt ended without Roost hanging up")
	}

	ts.restart(t)
	waitFor(t, "the attempt after restart", func() bool { return bad.attempts(p.IRI) == 2 })
	ts.waitQueueEmpty(t)
}

// A peer that answers 202 at once and then sends its body one byte a second holds an attempt no
// longer than the attempt timeout; the 202 stands, so the row is done.
func TestDeliveryFaultSlowBody(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	attemptTimeout(t, ts, 2*time.Second)
	healthy := newPeer(t, "healthy")
	followingPeer(t, ts, healthy)
	const size = 1000
	bad := newFaultyFollower(t, ts, "dribbles", func(f *faultyInbox, w http.ResponseWriter, r *http.Request, _ string, _ int) faultOutcome {
		rc := http.NewResponseController(w)
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.WriteHeader(http.StatusAccepted)
		var o faultOutcome
		if rc.Flush() != nil {
			return o
		}
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for o.written < size {
			select {
			case <-r.Context().Done():
				o.hungUp = true
				return o
			case <-f.stop:
				return o
			case <-tick.C:
			}
			w.Write([]byte{'x'})
			if rc.Flush() != nil {
				o.hungUp = true
				return o
			}
			o.written++
		}
		return o
	})

	start := time.Now()
	p := ownerPost(t, ts, "take your time")
	healthy.waitPost(t, "the post", ofTypeObject("Create", p.IRI))
	t.Logf("healthy peer served %v after posting", time.Since(start).Round(time.Millisecond))

	waitFor(t, "the slow attempt to end", func() bool { return len(bad.outcomes()) == 1 })
	o := bad.outcomes()[0]
	t.Logf("slow body: Roost hung up after %v and %d of %d bytes", o.took.Round(time.Millisecond), o.written, size)
	if !o.hungUp || o.written >= size {
		t.Errorf("the slow peer wrote %d of %d bytes (hung up: %v), want Roost to stop reading", o.written, size, o.hungUp)
	}
	ts.waitQueueEmpty(t)
	if n := hostFailures(t, ts, bad.host); n != 0 {
		t.Errorf("host failures %d after a 202, want 0", n)
	}
}

// A 500 is retried after the backoff, not before: the row stays queued with a later due time,
// and the failure counts against the host.
func TestDeliveryFaultServerError(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	healthy := newPeer(t, "healthy")
	followingPeer(t, ts, healthy)
	bad := newFaultyFollower(t, ts, "fails", onFirstAttempt(statusFault(http.StatusInternalServerError, nil)))

	p := ownerPost(t, ts, "first")
	healthy.waitPost(t, "the post", ofTypeObject("Create", p.IRI))
	waitFor(t, "the failure recorded", func() bool { return hostFailures(t, ts, bad.host) == 1 })
	if q := hostQueue(t, ts, bad.host); q.Queued != 1 || q.Failing != 1 {
		t.Fatalf("failing peer's queue %+v, want 1 row waiting for a retry", q)
	}
	if d := nextDueIn(t, ts, healthy); d < 20*time.Second || d > 38*time.Second {
		t.Errorf("retry due in %v, want the first backoff (30 s ± 25%%)", d)
	}

	// The worker runs again (a second post) before the retry is due: the first row waits.
	p2 := ownerPost(t, ts, "second")
	healthy.waitPost(t, "the second post", ofTypeObject("Create", p2.IRI))
	waitFor(t, "the second failure", func() bool { return hostFailures(t, ts, bad.host) == 2 })
	if n := bad.attempts(p.IRI); n != 1 {
		t.Fatalf("%d attempts at the first post before its retry was due, want 1", n)
	}

	ts.advance(time.Minute)
	waitFor(t, "the retries", func() bool { return bad.attempts(p.IRI) == 2 && bad.attempts(p2.IRI) == 2 })
	ts.waitQueueEmpty(t)
	if n := hostFailures(t, ts, bad.host); n != 0 {
		t.Errorf("host failures %d after a success, want 0", n)
	}
}

// A 401 is retried after the backoff, as Mastodon does (the peer may not have been able to fetch
// our key yet), and does not count the host as down; the retry that succeeds ends the row.
func TestDeliveryFaultUnauthorized(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	healthy := newPeer(t, "healthy")
	followingPeer(t, ts, healthy)
	bad := newFaultyFollower(t, ts, "refuses", onFirstAttempt(statusFault(http.StatusUnauthorized, nil)))

	p := ownerPost(t, ts, "who am I?")
	healthy.waitPost(t, "the post", ofTypeObject("Create", p.IRI))
	waitFor(t, "the 401 recorded", func() bool { return hostQueue(t, ts, bad.host).Failing == 1 })
	if d := nextDueIn(t, ts, healthy); d < 20*time.Second || d > 38*time.Second {
		t.Errorf("retry due in %v, want the first backoff (30 s ± 25%%)", d)
	}
	if n := hostFailures(t, ts, bad.host); n != 0 {
		t.Errorf("a 401 counted against the host (%d failures)", n)
	}
	ts.advance(time.Minute)
	waitFor(t, "the retry", func() bool { return bad.attempts(p.IRI) == 2 })
	ts.waitQueueEmpty(t)
}

// A 410 is final: the row is dropped at once, never retried, and the host is not counted as down.
func TestDeliveryFaultGone(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	healthy := newPeer(t, "healthy")
	followingPeer(t, ts, healthy)
	bad := newFaultyFollower(t, ts, "gone", statusFault(http.StatusGone, nil))

	p := ownerPost(t, ts, "hello?")
	healthy.waitPost(t, "the post", ofTypeObject("Create", p.IRI))
	waitFor(t, "the attempt", func() bool { return bad.attempts(p.IRI) == 1 })
	ts.waitQueueEmpty(t)

	ts.advance(72 * time.Hour)
	p2 := ownerPost(t, ts, "still there?")
	healthy.waitPost(t, "the second post", ofTypeObject("Create", p2.IRI))
	waitFor(t, "the second attempt", func() bool { return bad.attempts(p2.IRI) == 1 })
	ts.waitQueueEmpty(t)
	if n := bad.attempts(p.IRI); n != 1 {
		t.Errorf("%d attempts after a 410, want 1", n)
	}
	if n := hostFailures(t, ts, bad.host); n != 0 {
		t.Errorf("a 410 counted against the host (%d failures)", n)
	}
}

// A 429 with Retry-After (seconds or an HTTP date) puts the next attempt no earlier than that,
// even when the backoff would allow it sooner; it does not count the host as down.
func TestDeliveryFaultRetryAfter(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	healthy := newPeer(t, "healthy")
	followingPeer(t, ts, healthy)
	busy := func(value func() string) faultFunc {
		return onFirstAttempt(statusFault(http.StatusTooManyRequests,
			func() http.Header { return http.Header{"Retry-After": {value()}} }))
	}
	bad := []*faultyInbox{
		newFaultyFollower(t, ts, "seconds", busy(func() string { return "3600" })),
		newFaultyFollower(t, ts, "date", busy(func() string {
			return time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
		})),
	}
	failing := func(n int) func() bool {
		return func() bool {
			for _, f := range bad {
				if hostQueue(t, ts, f.host).Failing != n {
					return false
				}
			}
			return true
		}
	}

	p := ownerPost(t, ts, "when you can")
	healthy.waitPost(t, "the post", ofTypeObject("Create", p.IRI))
	waitFor(t, "the 429s recorded", failing(1))
	if d := nextDueIn(t, ts, healthy); d < 58*time.Minute || d > 61*time.Minute {
		q, _ := ts.srv.App().Queue.DeliveryQueue(context.Background())
		t.Errorf("retry due in %v, want after the hour Retry-After asks for; queue: %+v", d, q)
	}

	// Half an hour on, past any backoff but not Retry-After: the worker runs, the rows wait.
	ts.advance(30 * time.Minute)
	p2 := ownerPost(t, ts, "meanwhile")
	healthy.waitPost(t, "the second post", ofTypeObject("Create", p2.IRI))
	waitFor(t, "the second 429s", failing(2))
	for _, f := range bad {
		if n := f.attempts(p.IRI); n != 1 {
			t.Errorf("%s: %d attempts before Retry-After passed, want 1", f.peer.name, n)
		}
		if n := hostFailures(t, ts, f.host); n != 0 {
			t.Errorf("%s: a 429 counted against the host (%d failures)", f.peer.name, n)
		}
	}

	ts.advance(31 * time.Minute)
	for _, f := range bad {
		waitFor(t, f.peer.name+"'s retry", func() bool { return f.attempts(p.IRI) == 2 })
	}
	ts.waitQueueEmpty(t)
}

// A POST is never redirected: a redirect to itself or between two URLs ends the attempt with
// one request, and nothing loops in the background. As with Mastodon, the delivery is tried
// again after the backoff (a server under maintenance often redirects to a page saying so),
// without counting the host as down.
func TestDeliveryFaultRedirectLoop(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	healthy := newPeer(t, "healthy")
	followingPeer(t, ts, healthy)
	var otherHits atomic.Int64
	var back atomic.Pointer[string] // the inbox the other host sends back to, once it exists
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherHits.Add(1)
		http.Redirect(w, r, *back.Load(), http.StatusTemporaryRedirect)
	}))
	t.Cleanup(other.Close)
	redirect := func(code int, to func(f *faultyInbox, r *http.Request) string) faultFunc {
		return func(f *faultyInbox, w http.ResponseWriter, r *http.Request, _ string, _ int) faultOutcome {
			http.Redirect(w, r, to(f, r), code)
			return faultOutcome{}
		}
	}
	itself := func(f *faultyInbox, _ *http.Request) string { return f.url }
	bad := []*faultyInbox{
		newFaultyFollower(t, ts, "moved", redirect(http.StatusMovedPermanently, itself)),
		newFaultyFollower(t, ts, "found", redirect(http.StatusFound, itself)),
		newFaultyFollower(t, ts, "temporary", redirect(http.StatusTemporaryRedirect, itself)),
		newFaultyFollower(t, ts, "pingpong", redirect(http.StatusFound, func(f *faultyInbox, r *http.Request) string {
			if r.URL.Path == "/inbox" {
				return f.srv.URL + "/elsewhere"
			}
			return f.url
		})),
		newFaultyFollower(t, ts, "twohosts", redirect(http.StatusTemporaryRedirect, func(*faultyInbox, *http.Request) string {
			return other.URL + "/inbox"
		})),
	}
	back.Store(&bad[4].url)

	p := ownerPost(t, ts, "follow me")
	healthy.waitPost(t, "the post", ofTypeObject("Create", p.IRI))
	for _, f := range bad {
		waitFor(t, f.peer.name+"'s attempt", func() bool { return f.attempts(p.IRI) == 1 })
	}
	waitFor(t, "the redirects recorded", func() bool {
		for _, f := range bad {
			if hostQueue(t, ts, f.host).Failing != 1 {
				return false
			}
		}
		return true
	})
	if d := nextDueIn(t, ts, healthy); d < 20*time.Second || d > 40*time.Second {
		t.Errorf("retry due in %v, want the first backoff (30 s, give or take a quarter)", d)
	}

	// Past the backoff: exactly one more request each, and still no hop.
	ts.advance(time.Minute)
	for _, f := range bad {
		waitFor(t, f.peer.name+"'s second attempt", func() bool { return f.attempts(p.IRI) == 2 })
	}
	for _, f := range bad {
		if n := f.requests("/elsewhere"); n != 0 {
			t.Errorf("%s: redirect followed to /elsewhere %d times", f.peer.name, n)
		}
		if n := hostFailures(t, ts, f.host); n != 0 {
			t.Errorf("%s: a redirect counted against the host (%d failures)", f.peer.name, n)
		}
	}
	if n := otherHits.Load(); n != 0 {
		t.Errorf("redirect followed to the other host %d times", n)
	}
}

// A peer that answers with a 100 MB body gets read no further than the 64 KiB Roost drains: the
// peer manages to write only what the socket buffers hold, and Roost's allocations stay far below
// the body's size. Not parallel: it measures the whole process's allocations.
func TestDeliveryFaultHugeBody(t *testing.T) {
	const size = 100 << 20
	ts := newTestServer(t)
	healthy := newPeer(t, "healthy")
	followingPeer(t, ts, healthy)
	bad := newFaultyFollower(t, ts, "huge", func(_ *faultyInbox, w http.ResponseWriter, _ *http.Request, _ string, _ int) faultOutcome {
		http.NewResponseController(w).SetWriteDeadline(time.Now().Add(waitTimeout))
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.WriteHeader(http.StatusOK)
		buf := make([]byte, 32<<10)
		var o faultOutcome
		for o.written < size {
			n, err := w.Write(buf)
			o.written += int64(n)
			if err != nil {
				o.hungUp = true
				break
			}
		}
		return o
	})

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	p := ownerPost(t, ts, "say a lot")
	healthy.waitPost(t, "the post", ofTypeObject("Create", p.IRI))
	t.Logf("healthy peer served %v after posting", time.Since(start).Round(time.Millisecond))
	waitFor(t, "the huge answer to end", func() bool { return len(bad.outcomes()) == 1 })
	ts.waitQueueEmpty(t)
	runtime.ReadMemStats(&after)

	o := bad.outcomes()[0]
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("huge body: Roost hung up after %v; the peer wrote %d KiB of %d MiB; %d KiB allocated meanwhile",
		o.took.Round(time.Millisecond), o.written>>10, size>>20, allocated>>10)
	if !o.hungUp || o.written >= size/2 {
		t.Errorf("the peer wrote %d of %d bytes (hung up: %v), want Roost to stop reading early", o.written, size, o.hungUp)
	}
	if allocated > 32<<20 {
		t.Errorf("%d MiB allocated during a delivery with a %d MiB answer, want far less", allocated>>20, size>>20)
	}
}

// A burst of deliveries to one healthy host (here 100 posts queued while the workers were
// stopped) goes out at the host's pace: rows over the per-host cap are left for the next claim,
// not parked until their lease runs out.
func TestDeliveryFaultBurstToOneHost(t *testing.T) {
	t.Parallel()
	const burst = 100
	ts := newTestServer(t)
	fast := newFaultyFollower(t, ts, "burst", statusFault(http.StatusAccepted, nil))
	ts.stopRun()
	var posts []*store.Post
	for i := range burst {
		posts = append(posts, ownerPost(t, ts, "burst "+strconv.Itoa(i)))
	}
	start := time.Now()
	ts.run(t)
	// Each row waits at most one lease (4 attempt timeouts, 2 minutes) if parked; the whole burst
	// at the host's pace takes well under a second.
	waitWithin(t, "the whole burst delivered", 30*time.Second, func() bool {
		return hostQueue(t, ts, fast.host).Queued == 0
	})
	t.Logf("%d deliveries to one host in %v", burst, time.Since(start).Round(time.Millisecond))
	for _, p := range posts {
		if fast.attempts(p.IRI) != 1 {
			t.Errorf("%s: %d attempts, want 1", p.IRI, fast.attempts(p.IRI))
		}
	}
	if _, maxOpen := fast.inFlight(); maxOpen > 4 {
		t.Errorf("%d deliveries at once to one host, want at most 4", maxOpen)
	}
}
