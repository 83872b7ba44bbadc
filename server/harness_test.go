package server

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"roost/server/activitypub"
	"roost/server/auth"
	"roost/server/signature"
	"roost/store"
)

// The harness: a Roost on an httptest server with a real SQLite file, fake peers on loopback that
// sign what they send and verify what Roost delivers, and helpers that wait on effects with a
// deadline (never a fixed sleep).

// waitTimeout bounds every wait for a background effect (inbox processing, a delivery).
const waitTimeout = 10 * time.Second

// testLogger discards logs unless ROOST_TEST_LOG is set, since background workers may log after a
// test has finished, when t.Log would panic.
func testLogger() *slog.Logger {
	if os.Getenv("ROOST_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// testServer is a running Roost.
type testServer struct {
	srv    *Server
	st     *store.Store
	ts     *httptest.Server
	cfg    Config
	dbPath string
	base   string // http://127.0.0.1:port
	actor  string // the owner's actor IRI

	handler atomic.Pointer[http.Handler] // swapped on restart, so the listener and domain stay
	offset  atomic.Int64                 // added to the store's clock, to make retries due
	stopRun func()                       // stops the background workers and waits for them
	log     *slog.Logger                 // the server's logger; nil: testLogger
}

type serverOption func(*Config)

// newTestServer starts a Roost owned by "me" on loopback, with its background workers running.
func newTestServer(t *testing.T, opts ...serverOption) *testServer {
	t.Helper()
	ts := &testServer{dbPath: filepath.Join(t.TempDir(), "roost.db")}
	ts.ts = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := ts.handler.Load()
		if h == nil {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		(*h).ServeHTTP(w, r)
	}))
	ts.cfg = Config{
		Domain:       ts.ts.Listener.Addr().String(),
		Scheme:       "http",
		Username:     "me",
		AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Poll:         50 * time.Millisecond,
	}
	for _, o := range opts {
		o(&ts.cfg)
	}
	ts.ts.Start()
	t.Cleanup(ts.ts.Close)
	ts.base = "http://" + ts.cfg.Domain
	ts.actor = ts.base + "/users/me"
	ts.open(t)
	ts.run(t)
	return ts
}

// open opens the store (creating the owner on first use) and builds the Server on it.
func (ts *testServer) open(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, ts.dbPath)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	st.SetClock(func() time.Time { return time.Now().Add(time.Duration(ts.offset.Load())) })
	if _, _, err := Setup(ctx, st, ts.cfg); err != nil {
		t.Fatalf("setup: %v", err)
	}
	log := ts.log
	if log == nil {
		log = testLogger()
	}
	srv, err := New(ctx, ts.cfg, st, log)
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	ts.st, ts.srv = st, srv
	h := srv.Handler()
	ts.handler.Store(&h)
}

// run starts the background workers; they stop at cleanup or on stop.
func (ts *testServer) run(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); ts.srv.Run(ctx) }()
	var once sync.Once
	ts.stopRun = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(ts.stopRun)
}

// restart stops the workers, closes the store, and starts a new Server on the reopened file,
// answering on the same address.
func (ts *testServer) restart(t *testing.T) {
	t.Helper()
	ts.stopRun()
	if err := ts.st.Close(); err != nil {
		t.Fatalf("close store: %v", err)
	}
	ts.open(t)
	ts.run(t)
}

// advance moves the store's clock forward, so that rows due later become due now.
func (ts *testServer) advance(d time.Duration) { ts.offset.Add(int64(d)) }

func (ts *testServer) owner(t *testing.T) *store.Account {
	t.Helper()
	a, err := ts.st.AccountByID(context.Background(), ts.srv.Owner().ID)
	if err != nil {
		t.Fatalf("owner account: %v", err)
	}
	return a
}

// get GETs path (or an absolute URL) with an Accept header and returns the response and body.
func (ts *testServer) get(t *testing.T, path, accept string) (*http.Response, []byte) {
	t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = ts.base + path
	}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return doNoRedirect(t, req)
}

func doNoRedirect(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	c := &http.Client{Timeout: waitTimeout, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", req.URL, err)
	}
	return resp, b
}

// waitFor polls cond until it holds or waitTimeout passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	waitWithin(t, what, waitTimeout, cond)
}

// waitWithin is waitFor with a deadline of its own, for effects slower than waitTimeout.
func waitWithin(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitInboxIdle waits until every received activity has been processed (or given up on).
func (ts *testServer) waitInboxIdle(t *testing.T) {
	t.Helper()
	waitFor(t, "inbox processed", func() bool {
		n, err := ts.srv.App().Queue.InboxPending(context.Background())
		return err == nil && n == 0
	})
}

// waitQueueEmpty waits until the delivery queue holds no row.
func (ts *testServer) waitQueueEmpty(t *testing.T) {
	t.Helper()
	waitFor(t, "delivery queue empty", func() bool { return ts.queued(t) == 0 })
}

func (ts *testServer) queued(t *testing.T) int {
	t.Helper()
	q, err := ts.srv.App().Queue.DeliveryQueue(context.Background())
	if err != nil {
		t.Fatalf("delivery queue: %v", err)
	}
	n := 0
	for _, h := range q {
		n += h.Queued
	}
	return n
}

// waitPost waits until the store holds the post iri.
func (ts *testServer) waitPost(t *testing.T, iri string) *store.Post {
	t.Helper()
	var p *store.Post
	waitFor(t, "post "+iri, func() bool {
		var err error
		p, err = ts.st.PostByIRI(context.Background(), iri)
		return err == nil
	})
	return p
}

// account returns the stored account iri, failing the test when there is none.
func (ts *testServer) account(t *testing.T, iri string) *store.Account {
	t.Helper()
	a, err := ts.st.AccountByIRI(context.Background(), iri)
	if err != nil {
		t.Fatalf("account %s: %v", iri, err)
	}
	return a
}

// counted are the tables whose rows say that something was stored or queued.
var counted = []string{"accounts", "posts", "post_tags", "post_mentions", "follows", "likes", "boosts",
	"blocks", "activities", "deliveries", "inbox", "notifications", "moves"}

// rowCounts counts the rows of every table in counted, through a read-only connection, so tests can
// show that an attack stored nothing anywhere.
func (ts *testServer) rowCounts(t *testing.T) map[string]int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+ts.dbPath+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string]int{}
	for _, table := range counted {
		var n int
		if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

// assertUnchanged fails when any table other than those in except gained or lost rows.
func assertUnchanged(t *testing.T, before, after map[string]int, except ...string) {
	t.Helper()
	for table, n := range before {
		if after[table] != n && !contains(except, table) {
			t.Errorf("table %s: %d rows before, %d after; want nothing stored", table, n, after[table])
		}
	}
}

func contains(l []string, v string) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

// peerKeys caches RSA keys, handed to peers in turn: generating one per peer costs time. No test
// starts more peers than there are keys, so peers of one test never share a key.
var peerKeys = sync.OnceValues(func() ([]*rsa.PrivateKey, error) {
	var keys []*rsa.PrivateKey
	for range 6 {
		k, err := signature.GenerateKey()
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
})

var peerKeyN atomic.Int64

// received is one POST a peer got on an inbox.
type received struct {
	Path      string
	Header    http.Header
	Body      []byte
	Activity  map[string]any
	Verified  bool
	VerifyErr error
}

func (r received) typ() string { return str(r.Activity["type"]) }

// object returns the activity's object id, whether embedded or a bare IRI.
func (r received) objectID() string { return idOf(r.Activity["object"]) }

// peer is a fake remote server with one actor.
type peer struct {
	name  string
	ts    *httptest.Server
	base  string // http://host:port
	host  string // host:port
	key   *rsa.PrivateKey
	actor string
	keyID string

	mu       sync.Mutex
	posts    []received
	docs     map[string]any // path -> document served with the AS2 type (status 200)
	status   map[string]int // path -> status served instead
	actorDoc map[string]any // extra or replaced fields of the actor document
	// inboxStatus chooses the answer to a POST (default 202).
	inboxStatus func(r received, n int) int
	roostKeys   map[string]crypto.PublicKey
	gets        map[string]int // path -> GETs served
}

// newPeer starts a fake remote server on 127.0.0.1 with actor /users/name.
func newPeer(t *testing.T, name string) *peer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return startPeer(t, name, l)
}

// newPeerPort80 starts a fake remote on a random loopback address on port 80, so that a handle
// @name@127.x.y.z (a mention has no room for a port) can be resolved through WebFinger. It skips
// the test when port 80 cannot be bound, and fails it then under CI=true.
func newPeerPort80(t *testing.T, name string) *peer {
	t.Helper()
	for range 5 {
		var b [3]byte
		rand.Read(b[:])
		if b[2] == 0 || b[2] == 255 {
			b[2] = 7
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.%d.%d.%d:80", b[0], b[1], b[2]))
		if err == nil {
			return startPeer(t, name, l)
		}
		if errors.Is(err, os.ErrPermission) || strings.Contains(err.Error(), "permission") {
			skipUnlessCI(t, fmt.Sprintf("cannot listen on port 80: %v", err))
		}
	}
	skipUnlessCI(t, "no free loopback address on port 80")
	return nil
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

func startPeer(t *testing.T, name string, l net.Listener) *peer {
	t.Helper()
	keys, err := peerKeys()
	if err != nil {
		t.Fatal(err)
	}
	p := &peer{name: name, key: keys[int(peerKeyN.Add(1))%len(keys)], docs: map[string]any{},
		status: map[string]int{}, actorDoc: map[string]any{}, roostKeys: map[string]crypto.PublicKey{},
		gets: map[string]int{}}
	p.ts = httptest.NewUnstartedServer(http.HandlerFunc(p.serve))
	p.ts.Listener.Close()
	p.ts.Listener = l
	p.ts.Start()
	t.Cleanup(p.ts.Close)
	p.host = l.Addr().String()
	if strings.HasSuffix(p.host, ":80") {
		p.host = strings.TrimSuffix(p.host, ":80")
	}
	p.base = "http://" + p.host
	p.actor = p.base + "/users/" + name
	p.keyID = p.actor + "#main-key"
	return p
}

func (p *peer) handle() string { return p.name + "@" + p.host }

// setDoc serves doc at path with the ActivityPub content type.
func (p *peer) setDoc(path string, doc any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.docs[path] = doc
	delete(p.status, path)
}

// getCount returns how many GETs of path the peer served.
func (p *peer) getCount(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.gets[path]
}

// setKey replaces the peer's key, as a key rotation does.
func (p *peer) setKey(k *rsa.PrivateKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.key = k
}

func (p *peer) setStatus(path string, code int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status[path] = code
}

func (p *peer) setActorField(k string, v any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.actorDoc[k] = v
}

func (p *peer) publicKeyPEM() string {
	pem, err := signature.EncodePublicKeyPEM(&p.key.PublicKey)
	if err != nil {
		panic(err)
	}
	return pem
}

func (p *peer) actorJSON() map[string]any {
	doc := map[string]any{
		"@context":          []any{activitypub.Namespace, "https://w3id.org/security/v1"},
		"id":                p.actor,
		"type":              "Person",
		"preferredUsername": p.name,
		"name":              strings.ToUpper(p.name[:1]) + p.name[1:],
		"inbox":             p.actor + "/inbox",
		"outbox":            p.actor + "/outbox",
		"followers":         p.actor + "/followers",
		"following":         p.actor + "/following",
		"url":               p.base + "/@" + p.name,
		"endpoints":         map[string]any{"sharedInbox": p.base + "/inbox"},
		"publicKey":         map[string]any{"id": p.keyID, "owner": p.actor, "publicKeyPem": p.publicKeyPEM()},
	}
	for k, v := range p.actorDoc {
		doc[k] = v
	}
	return doc
}

func (p *peer) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && (r.URL.Path == "/inbox" || r.URL.Path == "/users/"+p.name+"/inbox") {
		p.receive(w, r)
		return
	}
	if r.Method != http.MethodGet {
		http.Error(w, "method", http.StatusMethodNotAllowed)
		return
	}
	p.mu.Lock()
	p.gets[r.URL.Path]++
	code, hasStatus := p.status[r.URL.Path]
	doc, hasDoc := p.docs[r.URL.Path]
	p.mu.Unlock()
	switch {
	case hasStatus:
		http.Error(w, http.StatusText(code), code)
	case r.URL.Path == "/.well-known/webfinger":
		if r.URL.Query().Get("resource") != "acct:"+p.handle() {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/jrd+json")
		json.NewEncoder(w).Encode(map[string]any{
			"subject": "acct:" + p.handle(),
			"links": []map[string]string{
				{"rel": "self", "type": "application/activity+json", "href": p.actor},
			},
		})
	case hasDoc:
		w.Header().Set("Content-Type", activitypub.ContentType)
		json.NewEncoder(w).Encode(doc)
	case r.URL.Path == "/users/"+p.name:
		p.mu.Lock()
		doc := p.actorJSON()
		p.mu.Unlock()
		w.Header().Set("Content-Type", activitypub.ContentType)
		json.NewEncoder(w).Encode(doc)
	default:
		http.NotFound(w, r)
	}
}

// receive records a delivery and checks Roost's signature on it with the key Roost publishes.
func (p *peer) receive(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := received{Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
	json.Unmarshal(body, &rec.Activity)
	rec.VerifyErr = p.verify(r, body, rec.Activity)
	rec.Verified = rec.VerifyErr == nil
	p.mu.Lock()
	p.posts = append(p.posts, rec)
	n := len(p.posts)
	hook := p.inboxStatus
	p.mu.Unlock()
	code := http.StatusAccepted
	if hook != nil {
		code = hook(rec, n)
	}
	w.WriteHeader(code)
}

func (p *peer) verify(r *http.Request, body []byte, act map[string]any) error {
	params, err := signature.Check(r, body, []string{p.host, p.host + ":80"}, time.Now())
	if err != nil {
		return err
	}
	pub, owner, err := p.roostKey(params.KeyID)
	if err != nil {
		return err
	}
	if err := signature.Verify(r, pub); err != nil {
		return err
	}
	if a := str(act["actor"]); a != owner {
		return fmt.Errorf("signed by %s for actor %s", owner, a)
	}
	return nil
}

// roostKey fetches the key a keyId names, as a peer would: the document at the keyId URL.
func (p *peer) roostKey(keyID string) (crypto.PublicKey, string, error) {
	req, err := http.NewRequest(http.MethodGet, keyID, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Accept", activitypub.ContentType)
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	var doc struct {
		ID        string `json:"id"`
		PublicKey struct {
			ID           string `json:"id"`
			Owner        string `json:"owner"`
			PublicKeyPem string `json:"publicKeyPem"`
		} `json:"publicKey"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return nil, "", fmt.Errorf("key %s: %w", keyID, err)
	}
	if doc.PublicKey.ID != keyID || doc.PublicKey.Owner != doc.ID {
		return nil, "", fmt.Errorf("key %s: document names key %s of %s", keyID, doc.PublicKey.ID, doc.PublicKey.Owner)
	}
	pub, err := signature.ParsePublicKeyPEM(doc.PublicKey.PublicKeyPem)
	return pub, doc.ID, err
}

// received returns a copy of what the peer got so far.
func (p *peer) received() []received {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]received(nil), p.posts...)
}

// waitPost waits for a delivered activity matching pred.
func (p *peer) waitPost(t *testing.T, what string, pred func(received) bool) received {
	t.Helper()
	var got received
	waitFor(t, p.name+" to receive "+what, func() bool {
		for _, r := range p.received() {
			if pred(r) {
				got = r
				return true
			}
		}
		return false
	})
	return got
}

// count counts the deliveries matching pred.
func (p *peer) count(pred func(received) bool) int {
	n := 0
	for _, r := range p.received() {
		if pred(r) {
			n++
		}
	}
	return n
}

func ofType(typ string) func(received) bool {
	return func(r received) bool { return r.typ() == typ }
}

func ofTypeObject(typ, object string) func(received) bool {
	return func(r received) bool { return r.typ() == typ && r.objectID() == object }
}

var idN atomic.Int64

// newID returns a fresh IRI on the peer's origin.
func (p *peer) newID(kind string) string {
	return fmt.Sprintf("%s/%s/%d", p.base, kind, idN.Add(1))
}

// note builds a Note by the peer.
func (p *peer) note(content string, to, cc []string) map[string]any {
	id := p.newID("notes")
	return map[string]any{
		"id": id, "type": "Note", "attributedTo": p.actor, "content": content,
		"published": time.Now().UTC().Format(time.RFC3339), "to": to, "cc": cc,
		"url": id,
	}
}

// activity builds an activity by the peer.
func (p *peer) activity(typ string, object any) map[string]any {
	return map[string]any{
		"@context": activitypub.Namespace,
		"id":       p.newID("activities"),
		"type":     typ,
		"actor":    p.actor,
		"object":   object,
	}
}

// create wraps note in a Create with the note's addressing.
func (p *peer) create(note map[string]any) map[string]any {
	a := p.activity("Create", note)
	a["to"], a["cc"] = note["to"], note["cc"]
	return a
}

// inboxRequest builds a POST of body to Roost's owner inbox, unsigned.
func inboxRequest(t *testing.T, ts *testServer, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.actor+"/inbox", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", activitypub.ContentType)
	return req
}

// send signs activity as the peer and POSTs it to Roost's owner inbox, returning the status.
func (p *peer) send(t *testing.T, ts *testServer, activity any) int {
	t.Helper()
	body, err := json.Marshal(activity)
	if err != nil {
		t.Fatal(err)
	}
	req := inboxRequest(t, ts, body)
	if err := signature.Sign(req, body, p.keyID, p.key); err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

// sendAccepted sends and fails unless Roost answered 202.
func (p *peer) sendAccepted(t *testing.T, ts *testServer, activity any) {
	t.Helper()
	if code := p.send(t, ts, activity); code != http.StatusAccepted {
		t.Fatalf("%s sent %v: status %d, want 202", p.name, activity.(map[string]any)["type"], code)
	}
}

func do(t *testing.T, req *http.Request) int {
	t.Helper()
	resp, _ := doNoRedirect(t, req)
	return resp.StatusCode
}

// signRaw signs req the draft-cavage way over exactly the headers given, without any of Sign's
// policy: the harness signer that can produce deliberately incomplete signatures.
func signRaw(t *testing.T, req *http.Request, keyID string, key *rsa.PrivateKey, headers []string) {
	t.Helper()
	if req.Header.Get("Date") == "" {
		req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	var lines []string
	for _, h := range headers {
		switch h {
		case "(request-target)":
			target := req.URL.EscapedPath()
			if req.URL.RawQuery != "" {
				target += "?" + req.URL.RawQuery
			}
			lines = append(lines, h+": "+strings.ToLower(req.Method)+" "+target)
		case "host":
			lines = append(lines, "host: "+host)
		default:
			lines = append(lines, h+": "+req.Header.Get(h))
		}
	}
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Signature", fmt.Sprintf(`keyId="%s",algorithm="rsa-sha256",headers="%s",signature="%s"`,
		keyID, strings.Join(headers, " "), base64.StdEncoding.EncodeToString(sig)))
}

func digestOf(body []byte) string {
	sum := sha256.Sum256(body)
	return "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
}

// followedPeer makes the owner follow p: Roost sends the Follow, the peer accepts it.
func followedPeer(t *testing.T, ts *testServer, p *peer) {
	t.Helper()
	if _, err := ts.srv.app.Follow(context.Background(), p.actor); err != nil {
		t.Fatalf("follow %s: %v", p.actor, err)
	}
	f := p.waitPost(t, "Follow", ofTypeObject("Follow", p.actor))
	if !f.Verified {
		t.Fatalf("Follow signature: %v", f.VerifyErr)
	}
	p.sendAccepted(t, ts, p.activity("Accept", f.Activity))
	acct := ts.account(t, p.actor)
	waitFor(t, "follow accepted", func() bool {
		ok, _ := ts.st.IsFollowing(context.Background(), ts.srv.Owner().ID, acct.ID)
		return ok
	})
}

// followingPeer makes p follow the owner and waits for Roost's Accept.
func followingPeer(t *testing.T, ts *testServer, p *peer) string {
	t.Helper()
	follow := p.activity("Follow", ts.actor)
	p.sendAccepted(t, ts, follow)
	p.waitPost(t, "Accept", func(r received) bool { return r.typ() == "Accept" && r.objectID() == follow["id"] })
	return follow["id"].(string)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// idOf returns v when it is a string, else v["id"].
func idOf(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		return str(v["id"])
	}
	return ""
}

// strs returns a JSON array (or single string) of strings.
func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func decodeJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decode %q: %v", truncate(string(b), 200), err)
	}
	return m
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// signGet signs a GET as p.
func signGet(req *http.Request, p *peer) error {
	return signature.Sign(req, nil, p.keyID, p.key)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signGetOrPost signs req (with body, for a POST) as p.
func signGetOrPost(req *http.Request, body []byte, p *peer) error {
	return signature.Sign(req, body, p.keyID, p.key)
}

// signAs signs req under keyID with signer's key: a forgery when keyID is not signer's.
func signAs(req *http.Request, body []byte, keyID string, signer *peer) error {
	return signature.Sign(req, body, keyID, signer.key)
}

// ownerKey is the owner's private key, to forge what only the owner could sign.
func ownerKey(t *testing.T, ts *testServer) *rsa.PrivateKey {
	t.Helper()
	k, err := signature.ParsePrivateKeyPEM(ts.srv.app.Owner.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// The core's credential helpers under short names, for tests whose locals are named app.
func randomToken(n int) string                 { return auth.RandomToken(n) }
func hashToken(token string) string            { return auth.HashToken(token) }
func hashPassword(password string) string      { return auth.HashPassword(password) }
func checkPassword(hash, password string) bool { return auth.CheckPassword(hash, password) }

// The core's OAuth rules under short names, for tests whose locals are named app.
const (
	oobRedirect = auth.OOBRedirect
	authCodeTTL = auth.AuthCodeTTL
)

func s256(verifier string) string { return auth.S256(verifier) }

// idString is an ID as the client API writes it.
func idString(id int64) string { return strconv.FormatInt(id, 10) }
