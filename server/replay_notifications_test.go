package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"roost/server/activitypub"
	"roost/store"
)

// Replays of real peers' requests about notifications, from testdata/peers (a copy of the captures described in its
// README): each .http file is written to Roost's listener byte for byte, signature headers and
// all, to a Roost that is the capture's receiver, cap.test, with its clock at the request's Date.

// capturedTarget is the Roost post the peers replied to, quoted, liked and boosted in the capture.
const capturedTarget = 117741236695072768

// newReplayServer starts a Roost at https://cap.test, the host the captures were sent to, with the
// post the peers acted on, and the senders' actors (from the captured documents) stored.
func newReplayServer(t *testing.T, actors ...string) *testServer {
	t.Helper()
	ts := newTestServer(t, func(c *Config) { c.Domain, c.Scheme = "cap.test", "https" })
	ctx := context.Background()
	core := ts.srv.App()
	for _, file := range actors {
		doc, err := activitypub.DecodeActor(readPeerFile(t, file))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if _, err := core.Resolve.SaveActor(ctx, doc, nil); err != nil {
			t.Fatalf("save actor %s: %v", file, err)
		}
	}
	owner := ts.owner(t)
	id := int64(capturedTarget)
	p := &store.Post{ID: id, IRI: core.PostIRI(id), URL: core.PostURL(id), AccountID: owner.ID, Type: "Note",
		Visibility: store.Public, Content: "<p>the target post</p>", Source: "the target post",
		Published: store.IDTime(id), To: []string{activitypub.Public}, CC: []string{owner.FollowersURL}}
	if err := ts.st.CreatePost(ctx, p, store.NewPost{}, nil); err != nil {
		t.Fatal(err)
	}
	return ts
}

func readPeerFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(peerTrafficDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// replay writes the captured request file to ts's listener as it is, with the store's clock set
// to the request's Date, and returns the status Roost answered.
func (ts *testServer) replay(t *testing.T, file string) int {
	t.Helper()
	raw := readPeerFile(t, file)
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	sent, err := http.ParseTime(req.Header.Get("Date"))
	if err != nil {
		t.Fatalf("%s: Date: %v", file, err)
	}
	ts.offset.Store(int64(time.Until(sent)))
	conn, err := net.Dial("tcp", ts.ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(waitTimeout))
	if _, err := conn.Write(raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("%s: %d %s", file, resp.StatusCode, body)
	}
	return resp.StatusCode
}

// apiGet calls the client API in process (the server's host is cap.test, which the network
// does not know) with a token of the owner's.
func (c *apiClient) apiGet(t *testing.T, path string, out any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, c.ts.srv.app.Base+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	rec := httptest.NewRecorder()
	c.ts.srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// apiNotification is what the tests read of a client API notification.
type apiNotification struct {
	Type    string `json:"type"`
	Account struct {
		Acct string `json:"acct"`
	} `json:"account"`
	Status *struct {
		ID  string `json:"id"`
		URI string `json:"uri"`
	} `json:"status"`
	Target *struct {
		Acct string `json:"acct"`
	} `json:"target"`
}

// TestReplayWriteFreelyAddressingIsNoMention: WriteFreely addresses each follower in cc, so its
// article names the owner there without mentioning them; Roost keeps the article and notifies
// nothing (Mastodon records a silent mention).
func TestReplayWriteFreelyAddressingIsNoMention(t *testing.T) {
	ts := newReplayServer(t, "writefreely/04-actor.json")
	ts.replay(t, "writefreely/14-Create-Article--publish-article-create-article.http")
	ts.waitInboxIdle(t)
	p := ts.waitPost(t, "https://wf.test/api/posts/kbgqimlwt1")
	if !strings.Contains(p.Content, "A test article from WriteFreely") {
		t.Errorf("article content %q", p.Content)
	}
	c := newAPIClient(t, ts, "read")
	var ns []apiNotification
	c.apiGet(t, "/api/v1/notifications", &ns)
	if len(ns) != 0 {
		t.Errorf("notifications = %+v, want none for being in cc", ns)
	}
}

// TestReplayMisskeyStrangerQuoteAndReply: Misskey's quote of the owner's post and its reply to
// it, from kate, whom the owner does not follow, are kept and notify: a "quote" whose status is
// the quoting post (Mastodon 4.5) and a "mention" for the reply, in the client API and on the
// web UI's notifications page.
func TestReplayMisskeyStrangerQuoteAndReply(t *testing.T) {
	ts := newReplayServer(t, "misskey/04-actor.json")
	ts.replay(t, "misskey/37-Create-Note--quote-roost-post.http")
	ts.replay(t, "misskey/36-Create-Note--reply-to-roost-post.http")
	ts.waitInboxIdle(t)
	quote := ts.waitPost(t, "https://misskey.test/notes/aufv4dpdou7c002e")
	target := ts.srv.App().PostIRI(capturedTarget)
	if quote.Quote != target {
		t.Errorf("quote of %q, want %q", quote.Quote, target)
	}

	c := newAPIClient(t, ts, "read")
	var ns []apiNotification
	c.apiGet(t, "/api/v1/notifications", &ns)
	var kinds []string
	for _, n := range ns {
		kinds = append(kinds, n.Type)
		if n.Account.Acct != "kate@misskey.test" {
			t.Errorf("%s notification from %q, want kate@misskey.test", n.Type, n.Account.Acct)
		}
		if n.Type == "quote" && (n.Status == nil || n.Status.URI != quote.IRI) {
			t.Errorf("quote notification's status = %+v, want the quoting post %s", n.Status, quote.IRI)
		}
	}
	slices.Sort(kinds)
	if !slices.Equal(kinds, []string{"mention", "quote"}) {
		t.Errorf("notifications %q, want a mention (the reply) and a quote", kinds)
	}
	var quotes []apiNotification
	c.apiGet(t, "/api/v1/notifications?types[]=quote", &quotes)
	if len(quotes) != 1 || quotes[0].Type != "quote" {
		t.Errorf("types[]=quote: %+v", quotes)
	}

	doc := signIn(t, ts).page(t, "/notifications")
	var lines []string
	for _, n := range elements(doc, byClass("notification")) {
		lines = append(lines, textOf(n))
	}
	if !anyContains(lines, "quoted your post") || !anyContains(lines, "Quoting the Roost post") {
		t.Errorf("notifications page lacks the quote: %q", lines)
	}
}
