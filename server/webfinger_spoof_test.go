package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"roost/server/activitypub"
	"roost/server/resolve"
	"roost/store"
)

// fingerHost is a fake remote whose WebFinger answers the test writes: a spoofing server, the
// handle domain of a split-domain server, or an actor's server that names another handle domain.
// It also serves actor documents, so an actor can live on it.
type fingerHost struct {
	ts   *httptest.Server
	host string // host:port
	base string // http://host:port

	mu      sync.Mutex
	jrds    map[string]any // resource -> JRD
	docs    map[string]any // path -> ActivityPub document
	fingers map[string]int // resource -> WebFinger requests served
}

func newFingerHost(t *testing.T) *fingerHost {
	t.Helper()
	f := &fingerHost{jrds: map[string]any{}, docs: map[string]any{}, fingers: map[string]int{}}
	f.ts = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.ts.Close)
	f.base = f.ts.URL
	f.host = strings.TrimPrefix(f.ts.URL, "http://")
	return f
}

func (f *fingerHost) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path == "/.well-known/webfinger" {
		res := r.URL.Query().Get("resource")
		f.fingers[res]++
		jrd, ok := f.jrds[res]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/jrd+json")
		json.NewEncoder(w).Encode(jrd)
		return
	}
	doc, ok := f.docs[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", activitypub.ContentType)
	json.NewEncoder(w).Encode(doc)
}

// answer makes WebFinger for acct:user@<this host> answer with subject and a self link to actor.
func (f *fingerHost) answer(user, subject, actor string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jrds["acct:"+user+"@"+f.host] = map[string]any{
		"subject": subject,
		"links":   []map[string]string{{"rel": "self", "type": "application/activity+json", "href": actor}},
	}
}

// addActor serves a minimal Person name at /users/name and returns its IRI.
func (f *fingerHost) addActor(name string) string {
	iri := f.base + "/users/" + name
	f.mu.Lock()
	defer f.mu.Unlock()
	f.docs["/users/"+name] = map[string]any{
		"@context": activitypub.Namespace, "id": iri, "type": "Person", "preferredUsername": name,
		"inbox": iri + "/inbox", "outbox": iri + "/outbox",
	}
	return iri
}

func (f *fingerHost) fingerCount(resource string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fingers[resource]
}

// makeStale backdates the stored account iri, so the next use fetches the actor again.
func makeStale(t *testing.T, ts *testServer, iri string, host string) {
	t.Helper()
	a := ts.account(t, iri)
	if host != "" {
		a.Host = host
	}
	a.FetchedAt = time.Now().Add(-2 * resolve.AccountRefresh)
	if _, err := ts.st.UpsertAccount(context.Background(), a); err != nil {
		t.Fatal(err)
	}
}

// TestWebFingerSpoof: a server answering WebFinger for its own handle with a link to someone
// else's actor must not get that actor under its handle, nor change the actor's stored handle.
func TestWebFingerSpoof(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	evil := newFingerHost(t)
	evil.answer("bob", "acct:bob@"+evil.host, alice.actor)
	spoofed := "bob@" + evil.host

	// Before Roost knows alice: refused, and whatever was stored of her keeps her own host.
	if a, err := ts.srv.app.Resolve.Handle(ctx, spoofed); !errors.Is(err, resolve.ErrHandleUnconfirmed) {
		t.Fatalf("resolveHandle(%s) = %+v, %v; want errHandleUnconfirmed", spoofed, a, err)
	}
	if a, err := ts.st.AccountByIRI(ctx, alice.actor); err == nil && a.Host != alice.host {
		t.Errorf("alice stored with host %q after the spoof, want %q", a.Host, alice.host)
	}
	if n := alice.getCount("/.well-known/webfinger"); n != 1 {
		t.Errorf("alice's server was asked WebFinger %d times, want 1 (the confirmation)", n)
	}

	// Once Roost knows alice@A, the spoof neither resolves nor moves her to the spoofer's host.
	a, err := ts.srv.app.Resolve.Handle(ctx, alice.handle())
	if err != nil {
		t.Fatalf("resolveHandle(alice): %v", err)
	}
	if a.IRI != alice.actor || a.Host != alice.host {
		t.Fatalf("alice = %s on %s", a.IRI, a.Host)
	}
	if _, err := ts.srv.app.Resolve.Handle(ctx, "@"+spoofed); !errors.Is(err, resolve.ErrHandleUnconfirmed) {
		t.Fatalf("resolveHandle(@%s) = %v, want errHandleUnconfirmed", spoofed, err)
	}
	if got := ts.account(t, alice.actor).Host; got != alice.host {
		t.Errorf("alice's host = %q after the spoof, want %q", got, alice.host)
	}
	for _, user := range []string{"bob", "alice"} {
		if a, err := ts.st.AccountByHandle(ctx, user, evil.host); err == nil {
			t.Errorf("%s@%s stored: %s", user, evil.host, a.IRI)
		}
	}

	// The Mastodon API's search resolves nothing for the spoofed handle.
	c := newAPIClient(t, ts, "read")
	res := c.json(t, "GET", "/api/v2/search?resolve=true&q="+url.QueryEscape("@"+spoofed), nil, 200)
	if accts, _ := res["accounts"].([]any); len(accts) != 0 {
		t.Errorf("search @%s = %v, want no account", spoofed, accts)
	}
	if got := ts.account(t, alice.actor).Host; got != alice.host {
		t.Errorf("alice's host = %q after the search, want %q", got, alice.host)
	}

	// A row spoofed before this check existed heals on the next refresh: alice's server does not
	// confirm the spoofer's host.
	makeStale(t, ts, alice.actor, evil.host)
	if a, err := ts.srv.app.Resolve.Account(ctx, alice.actor); err != nil || a.Host != alice.host {
		t.Fatalf("refreshed alice = %+v, %v; want host %q", a, err, alice.host)
	}
}

// TestWebFingerSplitDomain: a handle on one host (H) with the actor on another (A) resolves under
// H when A's WebFinger confirms it, as a Mastodon with LOCAL_DOMAIN H and WEB_DOMAIN A does, and
// the handle survives refreshes while A keeps confirming it.
func TestWebFingerSplitDomain(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	h, web := newFingerHost(t), newFingerHost(t)
	actor := web.addActor("alice")
	h.answer("alice", "acct:alice@"+h.host, actor)
	web.answer("alice", "acct:alice@"+h.host, actor)

	a, err := ts.srv.app.Resolve.Handle(ctx, "alice@"+h.host)
	if err != nil {
		t.Fatalf("resolveHandle: %v", err)
	}
	if a.IRI != actor || a.Host != h.host || a.Username != "alice" {
		t.Fatalf("resolved %s as %s@%s, want alice@%s", a.IRI, a.Username, a.Host, h.host)
	}
	if n := web.fingerCount("acct:alice@" + web.host); n != 1 {
		t.Errorf("actor's server asked %d times, want 1", n)
	}
	if got, err := ts.st.AccountByHandle(ctx, "alice", h.host); err != nil || got.IRI != actor {
		t.Errorf("AccountByHandle(alice, H) = %+v, %v", got, err)
	}

	// The actor's own handle resolves to the same account without a second confirmation.
	if a, err := ts.srv.app.Resolve.Handle(ctx, "alice@"+web.host); err != nil || a.IRI != actor || a.Host != h.host {
		t.Errorf("resolveHandle(alice@A) = %+v, %v", a, err)
	}
	if n := web.fingerCount("acct:alice@" + web.host); n != 2 {
		t.Errorf("actor's server asked %d times, want 2 (the lookup itself)", n)
	}

	// A refresh keeps the confirmed handle host.
	makeStale(t, ts, actor, "")
	if a, err := ts.srv.app.Resolve.Account(ctx, actor); err != nil || a.Host != h.host {
		t.Fatalf("refreshed = %+v, %v; want host %q", a, err, h.host)
	}

	// Once the actor's server stops naming H, the next refresh drops it.
	web.answer("alice", "acct:alice@"+web.host, actor)
	makeStale(t, ts, actor, "")
	if a, err := ts.srv.app.Resolve.Account(ctx, actor); err != nil || a.Host != web.host {
		t.Fatalf("refreshed = %+v, %v; want host %q", a, err, web.host)
	}
}

// TestWebFingerSplitDomainUnconfirmed: a handle host pointing at an actor elsewhere is refused
// unless the actor's server answers with that handle as subject and a link back to the actor.
func TestWebFingerSplitDomainUnconfirmed(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	h, web := newFingerHost(t), newFingerHost(t)
	actor := web.addActor("alice")
	other := web.addActor("carol")
	h.answer("alice", "acct:alice@"+h.host, actor)

	tests := []struct {
		name    string
		subject string // "" for no WebFinger answer at all
		self    string
	}{
		{"subject on the actor's host", "acct:alice@" + web.host, actor},
		{"another user on the handle host", "acct:mallory@" + h.host, actor},
		{"link to another actor", "acct:alice@" + h.host, other},
		{"no subject", "-", actor},
		{"no answer", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			web.mu.Lock()
			delete(web.jrds, "acct:alice@"+web.host)
			web.mu.Unlock()
			switch tt.subject {
			case "":
			case "-":
				web.answer("alice", "", tt.self)
			default:
				web.answer("alice", tt.subject, tt.self)
			}
			a, err := ts.srv.app.Resolve.Handle(ctx, "alice@"+h.host)
			if err == nil {
				t.Fatalf("resolveHandle = %s@%s, want an error", a.Username, a.Host)
			}
			if tt.subject != "" && !errors.Is(err, resolve.ErrHandleUnconfirmed) {
				t.Errorf("err = %v, want errHandleUnconfirmed", err)
			}
			if got := ts.account(t, actor).Host; got != web.host {
				t.Errorf("actor stored with host %q, want %q", got, web.host)
			}
			if _, err := ts.st.AccountByHandle(ctx, "alice", h.host); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("AccountByHandle(alice, H) = %v, want ErrNotFound", err)
			}
		})
	}
}
