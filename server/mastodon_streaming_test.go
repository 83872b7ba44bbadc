package server

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"roost/server/activitypub"
	"roost/server/app"
)

// sseEvent is one server-sent event.
type sseEvent struct {
	event, data string
}

// openSSE opens an event stream at path with the client's token and returns its events. The
// stream is closed at cleanup.
func openSSE(t *testing.T, c *apiClient, path string) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.ts.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("GET %s: Content-Type %q", path, ct)
	}
	events := make(chan sseEvent, 64)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var ev sseEvent
		fields := 0 // lines since the last blank one, comments not counted
		for sc.Scan() {
			line := sc.Text()
			if line != "" && !strings.HasPrefix(line, ":") {
				fields++
			}
			switch {
			case line == "" && fields == 0:
				// An event of nothing: Mastodon.py's reader refuses it and drops the stream.
				events <- sseEvent{event: malformedSSE}
			case line == "":
				if ev.event != "" {
					events <- ev
				}
				ev, fields = sseEvent{}, 0
			case strings.HasPrefix(line, "event: "):
				ev.event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data += strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return events
}

// malformedSSE is the event openSSE reports for an event with no field.
const malformedSSE = "malformed"

// nextSSE returns the first event for which match is true, skipping others, within waitTimeout.
func nextSSE(t *testing.T, events <-chan sseEvent, what string, match func(sseEvent) bool) sseEvent {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		select {
		case ev, ok := <-events:
			if ev.event == malformedSSE {
				t.Fatalf("waiting for %s: the stream sent a blank line after no field (a comment ends in one newline)", what)
			}
			if !ok {
				t.Fatalf("stream closed waiting for %s", what)
			}
			if match(ev) {
				return ev
			}
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestStreamingHealth(t *testing.T) {
	ts := newTestServer(t)
	resp, err := http.Get(ts.base + "/api/v1/streaming/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(b) != "OK" {
		t.Fatalf("health: %d %q", resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("health Content-Type %q", ct)
	}
}

func TestStreamSSEUser(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	before, err := ts.srv.app.Post(ctx, app.PostInput{Text: "posted before the stream opened"})
	if err != nil {
		t.Fatal(err)
	}
	c := newAPIClient(t, ts, "read")
	events := openSSE(t, c, "/api/v1/streaming/user")

	p, err := ts.srv.app.Post(ctx, app.PostInput{Text: "hello stream"})
	if err != nil {
		t.Fatal(err)
	}
	ev := nextSSE(t, events, "update", func(ev sseEvent) bool { return ev.event == "update" })
	st := decodeJSON(t, []byte(ev.data))
	if st["id"] != idString(p.ID) || !strings.Contains(str(st["content"]), "hello stream") {
		t.Fatalf("first update is %v %q, want the new post %d (not %d, which came before)",
			st["id"], st["content"], p.ID, before.ID)
	}

	alice := newPeer(t, "alice")
	followingPeer(t, ts, alice)
	alice.sendAccepted(t, ts, alice.activity("Like", p.IRI))
	ev = nextSSE(t, events, "favourite notification", func(ev sseEvent) bool {
		return ev.event == "notification" && strings.Contains(ev.data, `"favourite"`)
	})
	n := decodeJSON(t, []byte(ev.data))
	account, _ := n["account"].(map[string]any)
	status, _ := n["status"].(map[string]any)
	if account["url"] != alice.base+"/@alice" || status["id"] != idString(p.ID) {
		t.Errorf("notification: account %v, status %v", account["url"], status["id"])
	}

	if _, err := ts.srv.app.EditPost(ctx, app.EditInput{Post: p.IRI, Text: "hello edited stream"}); err != nil {
		t.Fatal(err)
	}
	ev = nextSSE(t, events, "status.update", func(ev sseEvent) bool { return ev.event == "status.update" })
	if st := decodeJSON(t, []byte(ev.data)); !strings.Contains(str(st["content"]), "hello edited stream") {
		t.Errorf("status.update content %q", st["content"])
	}

	if err := ts.srv.app.DeletePost(ctx, p.IRI); err != nil {
		t.Fatal(err)
	}
	ev = nextSSE(t, events, "delete", func(ev sseEvent) bool { return ev.event == "delete" })
	if ev.data != idString(p.ID) {
		t.Errorf("delete data %q, want %d", ev.data, p.ID)
	}
}

// TestStreamSSERemoteDelete checks that a peer's Delete of a post in the home timeline reaches the
// user stream, and that its post, delivered after the stream opened, arrives as an update.
func TestStreamSSERemoteDelete(t *testing.T) {
	ts := newTestServer(t)
	bob := newPeer(t, "bob")
	followedPeer(t, ts, bob)
	c := newAPIClient(t, ts, "read:statuses")
	events := openSSE(t, c, "/api/v1/streaming/user")

	// Published before the stream opened, its ID sorts below the stream's start: a late delivery.
	note := bob.note("a note from bob", []string{activitypub.Public}, []string{bob.actor + "/followers"})
	note["published"] = time.Now().Add(-30 * time.Second).UTC().Format(time.RFC3339)
	bob.sendAccepted(t, ts, bob.create(note))
	ev := nextSSE(t, events, "update of bob's note", func(ev sseEvent) bool { return ev.event == "update" })
	st := decodeJSON(t, []byte(ev.data))
	if st["uri"] != note["id"] {
		t.Fatalf("update uri %v, want %v", st["uri"], note["id"])
	}
	bob.sendAccepted(t, ts, bob.activity("Delete", map[string]any{"id": note["id"], "type": "Tombstone"}))
	ev = nextSSE(t, events, "delete", func(ev sseEvent) bool { return ev.event == "delete" })
	if ev.data != st["id"] {
		t.Errorf("delete data %q, want %v", ev.data, st["id"])
	}
}

func TestStreamSSEHashtag(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := newAPIClient(t, ts, "read:statuses")
	events := openSSE(t, c, "/api/v1/streaming/hashtag?tag=RoostTest")
	if _, err := ts.srv.app.Post(ctx, app.PostInput{Text: "untagged"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.srv.app.Post(ctx, app.PostInput{Text: "tagged #roosttest"}); err != nil {
		t.Fatal(err)
	}
	ev := nextSSE(t, events, "update", func(ev sseEvent) bool { return ev.event == "update" })
	if st := decodeJSON(t, []byte(ev.data)); !strings.Contains(str(st["content"]), "tagged") ||
		strings.Contains(str(st["content"]), "untagged") {
		t.Errorf("hashtag stream sent %q", st["content"])
	}
}

// dialStream opens the WebSocket at /api/v1/streaming with query (and the token in the
// Authorization header when header is true).
func dialStream(t *testing.T, c *apiClient, query url.Values, header bool) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	opts := &websocket.DialOptions{HTTPHeader: http.Header{}}
	if header {
		opts.HTTPHeader.Set("Authorization", "Bearer "+c.token)
	}
	u := "ws" + strings.TrimPrefix(c.ts.base, "http") + "/api/v1/streaming?" + query.Encode()
	conn, resp, err := websocket.Dial(ctx, u, opts)
	if err != nil {
		code := 0
		if resp != nil {
			code = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", u, err, code)
	}
	t.Cleanup(func() { conn.CloseNow() })
	return conn
}

// wsMessage is one message of the streaming WebSocket.
type wsMessage struct {
	Stream  []string `json:"stream"`
	Event   string   `json:"event"`
	Payload string   `json:"payload"`
	Error   string   `json:"error"`
	Status  int      `json:"status"`
}

// nextWS reads messages until match is true, within waitTimeout.
func nextWS(t *testing.T, conn *websocket.Conn, what string, match func(wsMessage) bool) wsMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	for {
		typ, b, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if typ != websocket.MessageText {
			t.Fatalf("message type %v", typ)
		}
		var m wsMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("message %s: %v", b, err)
		}
		if match(m) {
			return m
		}
	}
}

// wsBarrier returns once the server has read every message sent before: it answers messages in
// order, and this one with an error. A subscription takes effect when the server reads it.
func wsBarrier(t *testing.T, conn *websocket.Conn) {
	t.Helper()
	wsSend(t, conn, map[string]string{"type": "subscribe", "stream": "nonsense"})
	if m := nextWS(t, conn, "error", func(m wsMessage) bool { return m.Error != "" }); m.Status != http.StatusBadRequest {
		t.Fatalf("unknown stream: status %d, want 400", m.Status)
	}
}

func wsSend(t *testing.T, conn *websocket.Conn, v any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := conn.Write(ctx, websocket.MessageText, mustJSON(t, v)); err != nil {
		t.Fatal(err)
	}
}

// statusOf decodes an update's payload: a JSON string holding the status.
func statusOf(t *testing.T, m wsMessage) map[string]any {
	t.Helper()
	return decodeJSON(t, []byte(m.Payload))
}

func TestStreamWebSocketQuery(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read")
	conn := dialStream(t, c, url.Values{"stream": {"user"}, "access_token": {c.token}}, false)
	p, err := ts.srv.app.Post(context.Background(), app.PostInput{Text: "over the socket"})
	if err != nil {
		t.Fatal(err)
	}
	m := nextWS(t, conn, "update", func(m wsMessage) bool { return m.Event == "update" })
	if len(m.Stream) != 1 || m.Stream[0] != "user" {
		t.Errorf("stream %v, want [user]", m.Stream)
	}
	st := statusOf(t, m)
	if st["id"] != idString(p.ID) || !strings.Contains(str(st["content"]), "over the socket") {
		t.Errorf("update payload: id %v content %q", st["id"], st["content"])
	}
}

func TestStreamWebSocketSubscribe(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	c := newAPIClient(t, ts, "read")
	conn := dialStream(t, c, nil, true)

	wsSend(t, conn, map[string]string{"type": "subscribe", "stream": "user"})
	wsSend(t, conn, map[string]string{"type": "subscribe", "stream": "user"}) // a duplicate is ignored
	wsBarrier(t, conn)
	first, err := ts.srv.app.Post(ctx, app.PostInput{Text: "first"})
	if err != nil {
		t.Fatal(err)
	}
	m := nextWS(t, conn, "user update", func(m wsMessage) bool { return m.Event == "update" })
	if st := statusOf(t, m); st["id"] != idString(first.ID) || strings.Join(m.Stream, ",") != "user" {
		t.Fatalf("got %v %v, want the first post on [user]", m.Stream, st["id"])
	}

	wsSend(t, conn, map[string]string{"type": "unsubscribe", "stream": "user"})
	wsSend(t, conn, map[string]string{"type": "subscribe", "stream": "hashtag", "tag": "socket"})
	wsBarrier(t, conn)
	second, err := ts.srv.app.Post(ctx, app.PostInput{Text: "second #socket"})
	if err != nil {
		t.Fatal(err)
	}
	nextWS(t, conn, "hashtag update", func(m wsMessage) bool {
		id := statusOf(t, m)["id"]
		if id == idString(first.ID) {
			t.Fatalf("the first post came again, on %v", m.Stream)
		}
		return strings.Join(m.Stream, ",") == "hashtag,socket" && id == idString(second.ID)
	})
	// By now the unsubscribe has been handled: a third post, not tagged, reaches no stream, and
	// the fourth, tagged, comes alone.
	third, err := ts.srv.app.Post(ctx, app.PostInput{Text: "third"})
	if err != nil {
		t.Fatal(err)
	}
	fourth, err := ts.srv.app.Post(ctx, app.PostInput{Text: "fourth #socket"})
	if err != nil {
		t.Fatal(err)
	}
	nextWS(t, conn, "fourth post", func(m wsMessage) bool {
		id := statusOf(t, m)["id"]
		if id == idString(third.ID) {
			t.Fatalf("the third post came on %v after unsubscribing", m.Stream)
		}
		return id == idString(fourth.ID)
	})

	if err := ts.srv.app.DeletePost(ctx, fourth.IRI); err != nil {
		t.Fatal(err)
	}
	m = nextWS(t, conn, "delete", func(m wsMessage) bool { return m.Event == "delete" })
	if m.Payload != idString(fourth.ID) || strings.Join(m.Stream, ",") != "hashtag,socket" {
		t.Errorf("delete: %v %q, want %d on [hashtag socket]", m.Stream, m.Payload, fourth.ID)
	}
}

// TestStreamWebSocketProtocolToken checks the token given as the subprotocol, as Mastodon's web
// app sends it, and that the server echoes it (browsers drop the socket otherwise).
func TestStreamWebSocketProtocolToken(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read:statuses")
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.base, "http")+"/api/v1/streaming?stream=public:local",
		&websocket.DialOptions{Subprotocols: []string{c.token}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	if conn.Subprotocol() != c.token {
		t.Errorf("subprotocol %q, want the token echoed", conn.Subprotocol())
	}
	if _, err := ts.srv.app.Post(context.Background(), app.PostInput{Text: "local and public"}); err != nil {
		t.Fatal(err)
	}
	m := nextWS(t, conn, "update", func(m wsMessage) bool { return m.Event == "update" })
	if strings.Join(m.Stream, ",") != "public:local" {
		t.Errorf("stream %v", m.Stream)
	}
}

func TestStreamAuth(t *testing.T) {
	ts := newTestServer(t)
	write := newAPIClient(t, ts, "write")
	notes := newAPIClient(t, ts, "read:notifications")
	read := newAPIClient(t, ts, "read")
	for _, tc := range []struct {
		name, path, token string
		want              int
	}{
		{"no token", "/api/v1/streaming/user", "", http.StatusUnauthorized},
		{"invalid token", "/api/v1/streaming/user", "not-a-token", http.StatusUnauthorized},
		{"invalid query token", "/api/v1/streaming/user?access_token=not-a-token", "", http.StatusUnauthorized},
		{"socket without token", "/api/v1/streaming?stream=user", "", http.StatusUnauthorized},
		{"write only", "/api/v1/streaming/user", write.token, http.StatusForbidden},
		{"write only, public", "/api/v1/streaming/public", write.token, http.StatusForbidden},
		{"write only, socket", "/api/v1/streaming?stream=user", write.token, http.StatusForbidden},
		{"notifications only, user", "/api/v1/streaming/user", notes.token, http.StatusForbidden},
		{"notifications only, socket user", "/api/v1/streaming?stream=user", notes.token, http.StatusForbidden},
		{"hashtag without tag", "/api/v1/streaming/hashtag", read.token, http.StatusBadRequest},
		{"unknown stream", "/api/v1/streaming?stream=nonsense", read.token, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &apiClient{ts: ts, token: tc.token}
			resp, b := c.do(t, http.MethodGet, tc.path, nil)
			if resp.StatusCode != tc.want {
				t.Fatalf("%d %s, want %d", resp.StatusCode, b, tc.want)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			if m := decodeJSON(t, b); str(m["error"]) == "" {
				t.Errorf("no error in %s", b)
			}
		})
	}

	t.Run("socket with a write-only token", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		_, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.base, "http")+"/api/v1/streaming?access_token="+write.token, nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("dial: %v, %v; want 403", err, resp)
		}
	})

	t.Run("notifications stream with a notifications token", func(t *testing.T) {
		openSSE(t, notes, "/api/v1/streaming/user/notification")
	})
}

// TestStreamShutdown checks that open streams end when their http.Server shuts down, which
// would otherwise wait for them until its deadline.
func TestStreamShutdown(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: ts.srv.Handler()}
	go hs.Serve(l)
	t.Cleanup(func() { hs.Close() })
	other := &testServer{srv: ts.srv, st: ts.st, base: "http://" + l.Addr().String()}
	events := openSSE(t, &apiClient{ts: other, token: c.token}, "/api/v1/streaming/user")
	conn := dialStream(t, &apiClient{ts: other, token: c.token}, url.Values{"stream": {"user"}}, true)

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := hs.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v (a stream held it)", err)
	}
	for open := true; open; {
		select {
		case _, open = <-events:
		case <-ctx.Done():
			t.Fatal("the event stream is still open after shutdown")
		}
	}
	if _, _, err := conn.Read(ctx); err == nil {
		t.Error("the WebSocket is still open after shutdown")
	}
}
