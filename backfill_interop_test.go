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
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"roost/server"
	"roost/server/auth"
	"roost/server/datadir"
	"roost/store"
	"roost/store/access"
)

// backfillWait bounds how long a thread or a profile may take to fill in: "within seconds".
const backfillWait = 10 * time.Second

// TestFedifyBackfill federates Roost with a Fedify server that has threads, outboxes, pinned
// posts and FEP-7888 context collections, and checks what the owner sees through the client API:
// a reply to a post Roost never saw arrives with its ancestors, linked; opening a thread of three
// levels and ten replies shows all of them within seconds (walking the replies collections), as
// does one offered as a context collection; following an account shows its latest 20 posts and
// its pinned one; a stranger's post with a followed hashtag reaches home.
func TestFedifyBackfill(t *testing.T) {
	node := fedifyNode(t)
	r := startInteropRoost(t)
	peer := startFedify(t, node, r.certFile)
	peer.call("lookup", map[string]any{"handle": "@me@" + r.domain})
	publish := func(args map[string]any) string { return peer.call("publish", args).Note }

	t.Log("a. a reply to a post Roost never saw arrives with its three ancestors, linked")
	root := publish(map[string]any{"author": "bob", "content": "Where do herons sleep?", "age": 300})
	r1 := publish(map[string]any{"author": "carol", "content": "In trees", "inReplyTo": root, "age": 200})
	r2 := publish(map[string]any{"author": "bob", "content": "Which trees?", "inReplyTo": r1, "age": 100})
	r3 := publish(map[string]any{"author": "alice", "content": "Ask the owner", "inReplyTo": r2})
	peer.call("send", map[string]any{"note": r3, "mention": true})
	chain := []string{r3, r2, r1, root}
	interopEventually(t, "the ancestors of "+r3, func() error {
		for i, iri := range chain[:3] {
			p, err := r.st.PostByIRI(t.Context(), iri)
			if err != nil {
				return fmt.Errorf("%s: %w", iri, err)
			}
			parent, err := r.st.PostByIRI(t.Context(), chain[i+1])
			if err != nil {
				return fmt.Errorf("%s: %w", chain[i+1], err)
			}
			if p.ReplyToID != parent.ID {
				return fmt.Errorf("%s not linked to its parent %s", iri, chain[i+1])
			}
		}
		return nil
	})
	var conv struct{ Ancestors, Descendants []map[string]any }
	r.api(t, "GET", "/api/v1/statuses/"+r.postID(t, r3)+"/context", &conv)
	if len(conv.Ancestors) != 3 || conv.Ancestors[0]["uri"] != root {
		t.Errorf("the reply's context has %d ancestors (%v); want 3 from %s", len(conv.Ancestors), conv.Ancestors, root)
	}

	t.Log("b. opening a thread of 3 levels and 10 replies shows them all within seconds")
	top := publish(map[string]any{"author": "bob", "content": "Thread of birds", "age": 1000})
	a := publish(map[string]any{"author": "carol", "content": "a", "inReplyTo": top, "age": 900})
	b := publish(map[string]any{"author": "alice", "content": "b", "inReplyTo": top, "age": 890})
	publish(map[string]any{"author": "bob", "content": "c", "inReplyTo": top, "age": 880})
	a1 := publish(map[string]any{"author": "alice", "content": "a1", "inReplyTo": a, "age": 800})
	publish(map[string]any{"author": "carol", "content": "a2", "inReplyTo": a, "age": 790})
	b1 := publish(map[string]any{"author": "dora", "content": "b1", "inReplyTo": b, "age": 780})
	b2 := publish(map[string]any{"author": "carol", "content": "b2", "inReplyTo": b, "age": 770})
	publish(map[string]any{"author": "bob", "content": "a1x", "inReplyTo": a1, "age": 700})
	publish(map[string]any{"author": "alice", "content": "b1x", "inReplyTo": b1, "age": 690})
	publish(map[string]any{"author": "carol", "content": "b2x", "inReplyTo": b2, "age": 680})
	r.waitDescendants(t, r.resolvePost(t, top), 10)

	t.Log("c. a thread offered as a context collection (and no replies collections) fills in too")
	ctxTop := publish(map[string]any{"author": "carol", "content": "Context root", "context": "conv1", "noReplies": true, "age": 600})
	x := publish(map[string]any{"author": "bob", "content": "x", "inReplyTo": ctxTop, "context": "conv1", "noReplies": true, "age": 500})
	publish(map[string]any{"author": "alice", "content": "y", "inReplyTo": ctxTop, "context": "conv1", "noReplies": true, "age": 490})
	publish(map[string]any{"author": "dora", "content": "x1", "inReplyTo": x, "context": "conv1", "noReplies": true, "age": 480})
	r.waitDescendants(t, r.resolvePost(t, ctxTop), 3)

	t.Log("d. following an account shows its latest 20 posts and its pinned one")
	var dora []string // newest first
	for i := range 25 {
		dora = append(dora, publish(map[string]any{"author": "dora", "content": fmt.Sprintf("dora %d", i), "age": 10 * (i + 1)}))
	}
	pinned := publish(map[string]any{"author": "dora", "content": "dora pinned", "pinned": true, "age": 5000})
	var found struct{ Accounts []map[string]any }
	r.api(t, "GET", "/api/v2/search?resolve=true&type=accounts&q="+url.QueryEscape(peer.origin+"/users/dora"), &found)
	if len(found.Accounts) != 1 {
		t.Fatalf("search for dora found %v", found.Accounts)
	}
	doraID := found.Accounts[0]["id"].(string)
	r.api(t, "POST", "/api/v1/accounts/"+doraID+"/follow", nil)
	peer.wait("dora's follow", func(e peerEvent) bool { return e.Ev == "follow-received" && e.Object == peer.origin+"/users/dora" })
	interopEventually(t, "dora's latest 20 posts and her pinned one", func() error {
		var statuses []map[string]any
		r.api(t, "GET", "/api/v1/accounts/"+doraID+"/statuses?limit=40", &statuses)
		got := map[any]bool{}
		for _, s := range statuses {
			got[s["uri"]] = true
		}
		for _, want := range dora[:20] {
			if !got[want] {
				return fmt.Errorf("%d statuses, without %s", len(statuses), want)
			}
		}
		var pins []map[string]any
		r.api(t, "GET", "/api/v1/accounts/"+doraID+"/statuses?pinned=true", &pins)
		if len(pins) != 1 || pins[0]["uri"] != pinned {
			return fmt.Errorf("pinned = %v", pins)
		}
		return nil
	})

	t.Log("e. a stranger's post with a followed hashtag reaches home")
	r.api(t, "POST", "/api/v1/tags/Roosting/follow", nil)
	tagged := publish(map[string]any{"author": "carol", "content": "Dusk #Roosting", "tags": []string{"Roosting"}})
	peer.call("send", map[string]any{"note": tagged})
	interopEventually(t, "the tagged post in home", func() error {
		var home []map[string]any
		r.api(t, "GET", "/api/v1/timelines/home", &home)
		for _, s := range home {
			if s["uri"] == tagged {
				return nil
			}
		}
		_, err := r.st.PostByIRI(t.Context(), tagged)
		return fmt.Errorf("home has %d statuses, not %s (stored: %v)", len(home), tagged, err)
	})
}

// interopRoost is a Roost served in process on loopback for the Fedify peer (over TLS for https:
// Fedify looks acct: handles up over https only), its workers running, with its data folder (for
// the owner's commands) and an API token of the owner.
type interopRoost struct {
	srv      *server.Server
	ts       *httptest.Server
	st       *store.Store
	domain   string
	certFile string // the TLS certificate (httptest's, the same for every test server), with https
	token    string
	log      *interopBuffer
	data     datadir.Dir
	password string // the owner's, from Setup
}

// startInteropRoost starts an interopRoost over https.
func startInteropRoost(t *testing.T) *interopRoost {
	return startRoostFor(t, "https", filepath.Join(t.TempDir(), "roost.pem"))
}

// startRoostFor starts an interopRoost owned by "me" with scheme, writing its certificate to
// certFile when the scheme is https; its log is shown when the test fails.
func startRoostFor(t *testing.T, scheme, certFile string) *interopRoost {
	t.Helper()
	ctx := t.Context()
	ts := httptest.NewUnstartedServer(nil)
	domain := ts.Listener.Addr().String()
	data := datadir.Dir(t.TempDir())
	cfg := server.Config{Domain: domain, Scheme: scheme, Username: "me", Version: "interop",
		AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Poll: 100 * time.Millisecond,
		MediaDir: data.Media()}
	st, err := store.Open(ctx, data.DB())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	password, _, err := server.Setup(ctx, st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := &interopRoost{ts: ts, st: st, domain: domain, log: &interopBuffer{}, data: data, password: password}
	if r.srv, err = server.New(ctx, cfg, st, slog.New(slog.NewTextHandler(r.log, &slog.HandlerOptions{Level: slog.LevelDebug}))); err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = r.srv.Handler()
	if scheme == "https" {
		ts.StartTLS()
	} else {
		ts.Start()
	}
	t.Cleanup(ts.Close)
	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	runDone := make(chan struct{})
	go func() { r.srv.Run(runCtx); close(runDone) }()
	t.Cleanup(func() { stopRun(); <-runDone })
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("Roost %s's log:\n%s", r.domain, r.log.String())
		}
	})
	if scheme == "https" {
		r.certFile = certFile
		if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	scopes := []string{"read", "write", "follow"}
	oapp := &access.App{ClientID: auth.RandomToken(16), SecretHash: auth.HashToken("secret"), Name: "interop",
		RedirectURIs: []string{"urn:ietf:wg:oauth:2.0:oob"}, Scopes: scopes}
	if err := access.New(st).CreateApp(ctx, oapp); err != nil {
		t.Fatal(err)
	}
	r.token = auth.RandomToken(32)
	if err := access.New(st).CreateToken(ctx, &access.Token{TokenHash: auth.HashToken(r.token), AppID: oapp.ID, Scopes: scopes, Owner: true}); err != nil {
		t.Fatal(err)
	}
	return r
}

// api calls the client API as the owner and decodes the answer into out (when not nil), failing
// the test unless it is 200.
func (r *interopRoost) api(t *testing.T, method, path string, out any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, r.ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+r.token)
	resp, err := r.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, body)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, body)
		}
	}
}

// postID is the API id of a stored post.
func (r *interopRoost) postID(t *testing.T, iri string) string {
	t.Helper()
	p, err := r.st.PostByIRI(t.Context(), iri)
	if err != nil {
		t.Fatalf("%s: %v", iri, err)
	}
	return fmt.Sprint(p.ID)
}

// resolvePost has the owner look a post up by its IRI, as an app's search box does, and returns
// its API id.
func (r *interopRoost) resolvePost(t *testing.T, iri string) string {
	t.Helper()
	var found struct{ Statuses []map[string]any }
	r.api(t, "GET", "/api/v2/search?resolve=true&type=statuses&q="+url.QueryEscape(iri), &found)
	if len(found.Statuses) != 1 {
		t.Fatalf("search for %s found %v", iri, found.Statuses)
	}
	return found.Statuses[0]["id"].(string)
}

// waitDescendants opens a thread as an app does (its context) until it shows n replies, failing
// after backfillWait.
func (r *interopRoost) waitDescendants(t *testing.T, id string, n int) {
	t.Helper()
	start := time.Now()
	for {
		var conv struct{ Descendants []map[string]any }
		r.api(t, "GET", "/api/v1/statuses/"+id+"/context", &conv)
		if len(conv.Descendants) == n {
			t.Logf("the thread showed its %d replies after %s", n, time.Since(start).Round(time.Millisecond))
			return
		}
		if len(conv.Descendants) > n || time.Since(start) > backfillWait {
			var got []string
			for _, d := range conv.Descendants {
				got = append(got, fmt.Sprint(d["content"]))
			}
			t.Fatalf("the thread shows %d replies (%s) after %s; want %d", len(got), strings.Join(got, ", "), time.Since(start).Round(time.Millisecond), n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
