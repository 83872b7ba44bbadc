package server

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"roost/server/activitypub"
	"roost/server/app"
	"roost/store"
)

// Replaying the requests real servers sent (testdata/peers, see its README): snac, honk,
// GoToSocial, WriteFreely and Misskey, recorded byte for byte as they reached a Roost at
// https://cap.test, signatures and all. A capServer is a Roost at that address, with the clock of
// the capture, the peers' actors (and their keys) known, and the owner's posts the peers acted on
// at their ids.

// peerTrafficDir is where the captured traffic lives, from this package's folder.
const peerTrafficDir = "../testdata/peers"

// captureTime is a moment just before the capture (20:24 to 20:41 UTC), where the clock of a
// capServer starts: every recorded request's Date is within signature.MaxSkew of it, and the ids
// made before the owner's posts (the owner's own) are older than theirs.
var captureTime = time.Date(2026, 12, 6, 20, 20, 0, 0, time.UTC)

// The owner's posts the peers acted on (README: "Roost objects the peers acted on"), by id.
const (
	capTarget  = 117741236695072768 // replies, likes, boosts
	capTarget2 = 117741245236183040 // honk's, and Misskey's custom emoji reaction
	capPoll    = 117741286458916864 // the poll the peers voted in: Yes or No
)

// capActors are the actor documents whose keys signed the captured requests.
var capActors = []string{"snac/04-actor.json", "honk/03-actor.json", "gotosocial/04-actor.json",
	"gotosocial/05-actor-moved.json", "gotosocial/06-actor-grace.json", "writefreely/04-actor.json",
	"misskey/04-actor.json"}

type capServer struct {
	*testServer
	pinned atomic.Int64 // unix ms the clock is held at; 0: the capture's time, running
	logs   lockedBuffer // what the server logged, at debug level
}

// lockedBuffer is a bytes.Buffer that the server's goroutines may write while a test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// logSink is where a capServer's log goes besides its buffer: stderr with ROOST_TEST_LOG set.
func logSink() io.Writer {
	if os.Getenv("ROOST_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}

// newCapServer starts a Roost owned by me@cap.test on loopback, its clock at the capture's time.
func newCapServer(t *testing.T) *capServer {
	t.Helper()
	if _, err := os.Stat(peerTrafficDir); err != nil {
		t.Fatalf("the captured peer traffic is missing: %v", err)
	}
	c := &capServer{testServer: &testServer{dbPath: filepath.Join(t.TempDir(), "roost.db")}}
	c.log = slog.New(slog.NewTextHandler(io.MultiWriter(&c.logs, logSink()), &slog.HandlerOptions{Level: slog.LevelDebug}))
	ts := c.testServer
	ts.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := ts.handler.Load()
		if h == nil {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		(*h).ServeHTTP(w, r)
	}))
	t.Cleanup(ts.ts.Close)
	ts.cfg = Config{
		Domain:   "cap.test",
		Scheme:   "https",
		Username: "me",
		Poll:     50 * time.Millisecond,
	}
	ts.base = "http://" + ts.ts.Listener.Addr().String()
	ts.actor = "https://cap.test/users/me"
	start := time.Now()
	ts.offset.Store(int64(captureTime.Sub(start)))
	ts.open(t)
	ts.st.SetClock(func() time.Time {
		if ms := c.pinned.Load(); ms != 0 {
			return time.UnixMilli(ms)
		}
		return captureTime.Add(time.Since(start))
	})
	ts.run(t)

	ctx := context.Background()
	core := ts.srv.App()
	for _, f := range capActors {
		doc, err := activitypub.DecodeActor(readCapture(t, f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if _, err := core.Resolve.SaveActor(ctx, doc, nil); err != nil {
			t.Fatalf("save actor %s: %v", f, err)
		}
	}
	c.postAt(t, capTarget, app.PostInput{Text: "First target post for the peers"})
	c.postAt(t, capTarget2, app.PostInput{Text: "Second target post"})
	c.postAt(t, capPoll, app.PostInput{Text: "A poll", Poll: &app.PollInput{Options: []string{"Yes", "No"}, ExpiresIn: 24 * time.Hour}})
	return c
}

// postAt publishes the owner's post with the given id: the clock is held at the id's millisecond.
func (c *capServer) postAt(t *testing.T, id int64, in app.PostInput) {
	t.Helper()
	c.pinned.Store(store.IDTime(id).UnixMilli())
	defer c.pinned.Store(0)
	p, err := c.srv.App().Post(context.Background(), in)
	if err != nil {
		t.Fatalf("post %d: %v", id, err)
	}
	if p.ID != id {
		t.Fatalf("post got id %d, want %d", p.ID, id)
	}
}

// follows makes the owner follow the account actor (accepted), as the owner had in the capture.
func (c *capServer) follows(t *testing.T, actor string) {
	t.Helper()
	ctx := context.Background()
	a := c.account(t, actor)
	f := &store.Follow{IRI: "https://cap.test/users/me#follows/" + a.Username, FollowerID: c.srv.Owner().ID, FolloweeID: a.ID}
	if err := c.st.FollowAccount(ctx, f, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.st.SetFollowState(ctx, f.ID, store.Accepted, nil); err != nil {
		t.Fatal(err)
	}
}

// replay sends the captured request file (peer/NN-....http) to Roost exactly as it was recorded,
// and returns the status of the answer once the inbox has processed what it stored.
func (c *capServer) replay(t *testing.T, file string) int {
	t.Helper()
	code, _ := c.replayBody(t, file)
	return code
}

// replayBody is replay that also returns the body of the answer (decompressed).
func (c *capServer) replayBody(t *testing.T, file string) (int, []byte) {
	t.Helper()
	raw := readCapture(t, file)
	conn, err := net.Dial("tcp", c.ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(raw); err != nil {
		t.Fatalf("replay %s: %v", file, err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("replay %s: %v", file, err)
	}
	defer resp.Body.Close()
	var body io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		if body, err = gzip.NewReader(resp.Body); err != nil {
			t.Fatalf("replay %s: %v", file, err)
		}
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("replay %s: %v", file, err)
	}
	c.waitInboxIdle(t)
	return resp.StatusCode, b
}

// replayAccepted replays a captured inbox POST and fails unless Roost answered 202.
func (c *capServer) replayAccepted(t *testing.T, files ...string) {
	t.Helper()
	for _, f := range files {
		if code := c.replay(t, f); code != http.StatusAccepted {
			t.Fatalf("replay %s: %d, want 202", f, code)
		}
	}
}

// readCapture reads a file of the captured traffic; a name without its folder's full file name
// ("snac/30") is completed from the folder.
func readCapture(t *testing.T, name string) []byte {
	t.Helper()
	path := filepath.Join(peerTrafficDir, name)
	if _, err := os.Stat(path); err != nil {
		m, _ := filepath.Glob(path + "-*.http")
		if len(m) != 1 {
			t.Fatalf("captured request %s: %d files match", name, len(m))
		}
		path = m[0]
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// captureBody returns the body of a captured request.
func captureBody(t *testing.T, name string) []byte {
	t.Helper()
	raw := readCapture(t, name)
	i := bytes.Index(raw, []byte("\r\n\r\n"))
	if i < 0 {
		t.Fatalf("%s: no end of headers", name)
	}
	return raw[i+4:]
}

// capStatus returns the owner's view of a post through the Mastodon API, by its IRI.
func (c *capServer) capStatus(t *testing.T, api *apiClient, iri string) map[string]any {
	t.Helper()
	p := c.waitPost(t, iri)
	return api.json(t, "GET", "/api/v1/statuses/"+strconv.FormatInt(p.ID, 10), nil, http.StatusOK)
}
