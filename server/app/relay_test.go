package app

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"roost/server/app/apptest"
	"roost/server/app/relay"
	"roost/server/signature"
	"roost/store"
	"roost/store/queue"
	"roost/store/relays"
)

// relayTest is a core subscribed (accepted) to a relay whose actor is https://relay.test/actor,
// with an origin server on loopback serving bob and his notes.
type relayTest struct {
	s      *App
	origin string
	notes  map[string]map[string]any // path -> note as the origin serves it
	relay  *store.Account
	n      int // notes published, each a minute after the one before
}

func newRelayTest(t *testing.T, lim relay.Limits) *relayTest {
	t.Helper()
	ctx := context.Background()
	rt := &relayTest{notes: map[string]map[string]any{}}
	key, err := signature.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := signature.EncodePublicKeyPEM(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var doc any
		switch {
		case r.URL.Path == "/users/bob":
			iri := rt.origin + "/users/bob"
			doc = map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": iri, "type": "Person",
				"preferredUsername": "bob", "inbox": iri + "/inbox",
				"publicKey": map[string]any{"id": iri + "#main-key", "owner": iri, "publicKeyPem": pub}}
		case rt.notes[r.URL.Path] != nil:
			doc = rt.notes[r.URL.Path]
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/activity+json")
		json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(origin.Close)
	rt.origin = origin.URL
	st := apptest.Store(t, OwnerAccount("http://roost.test", "roost.test", "me"), "")
	rt.s, err = New(ctx, Config{Domain: "roost.test", HandleDomain: "roost.test", Scheme: "http", Poll: time.Second,
		AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Relays: lim}, st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	rt.relay = remoteAccount(t, rt.s, "actor", "relay.test")
	rs := relays.New(st)
	r := &relays.Relay{URL: "https://relay.test/inbox", Inbox: "https://relay.test/inbox", FollowIRI: "http://roost.test/actor/relays/1"}
	if err := rs.Add(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := rs.Answered(ctx, r.ID, relays.Accepted, rt.relay.IRI); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { rt.s.Relays.Run(runCtx); close(done) }()
	t.Cleanup(func() { stop(); <-done })
	return rt
}

// publish makes the origin serve a public note of bob's at path with content.
func (rt *relayTest) publish(path, content string) string {
	iri := rt.origin + path
	rt.n++
	published := time.Date(2026, 1, 2, 3, rt.n, 0, 0, time.UTC).Format(time.RFC3339)
	rt.notes[path] = map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": iri, "type": "Note",
		"attributedTo": rt.origin + "/users/bob", "content": content, "published": published,
		"to": []string{"https://www.w3.org/ns/activitystreams#Public"}}
	return iri
}

// receive processes body as an activity the relay signed.
func (rt *relayTest) receive(t *testing.T, body map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	if err := rt.s.handleActivity(context.Background(), slog.New(slog.DiscardHandler),
		queue.InboxItem{ActivityIRI: body["id"].(string), ActorIRI: rt.relay.IRI, Body: raw}); err != nil {
		t.Fatalf("handle %s: %v", body["type"], err)
	}
}

func waitStored(t *testing.T, s *App, iri string) *store.Post {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err := s.st.PostByIRI(context.Background(), iri)
		if err == nil {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not stored: %v", iri, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A Mastodon-style relay forwards a Create signed by itself: what is stored is the note as its
// author's server serves it, not the relay's copy.
func TestRelayForwardedCreateStoresTheOriginsCopy(t *testing.T) {
	rt := newRelayTest(t, relay.Limits{})
	iri := rt.publish("/notes/1", "<p>what bob wrote</p>")
	rt.receive(t, map[string]any{"id": iri + "/activity", "type": "Create", "actor": rt.origin + "/users/bob",
		"to": []string{"https://www.w3.org/ns/activitystreams#Public"},
		"object": map[string]any{"id": iri, "type": "Note", "attributedTo": rt.origin + "/users/bob",
			"content": "<p>what the relay says bob wrote</p>", "to": []string{"https://www.w3.org/ns/activitystreams#Public"}}})
	p := waitStored(t, rt.s, iri)
	if !strings.Contains(p.Content, "what bob wrote") || strings.Contains(p.Content, "relay says") {
		t.Errorf("stored content %q; want the origin's", p.Content)
	}
	if p.Visibility != store.Public {
		t.Errorf("visibility %s", p.Visibility)
	}
	home, err := rt.s.st.HomeTimeline(context.Background(), rt.s.Owner.Account.ID, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range home {
		if e.PostID == p.ID {
			t.Error("the relayed post is in home")
		}
	}
}

// A relay announcing faster than its rate is cut off at its burst; the posts kept only because a
// relay passed them on are capped at Keep, the oldest going first unless the owner liked one.
func TestRelayRateAndCap(t *testing.T) {
	rt := newRelayTest(t, relay.Limits{Rate: 0.001, Burst: 4, Keep: 2})
	var iris []string
	for i := range 5 {
		iri := rt.publish("/notes/r"+string(rune('a'+i)), "<p>note</p>")
		iris = append(iris, iri)
		rt.receive(t, map[string]any{"id": rt.relay.IRI + "/announce/" + string(rune('a'+i)), "type": "Announce",
			"actor": rt.relay.IRI, "object": iri})
	}
	for _, iri := range iris[:4] {
		waitStored(t, rt.s, iri)
	}
	time.Sleep(200 * time.Millisecond)
	if _, err := rt.s.st.PostByIRI(context.Background(), iris[4]); err == nil {
		t.Error("the fifth announce, past the burst, was fetched")
	}
	first, _ := rt.s.st.PostByIRI(context.Background(), iris[0])
	if _, err := rt.s.Like(context.Background(), first.IRI); err != nil {
		t.Fatal(err)
	}
	if err := rt.s.Relays.Prune(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i, iri := range iris[:4] {
		_, err := rt.s.st.PostByIRI(context.Background(), iri)
		// Kept: the liked one and the newest two of the others.
		if kept := i == 0 || i >= 2; kept != (err == nil) {
			t.Errorf("post %d: kept %v, want %v", i, err == nil, kept)
		}
	}
}

// A forwarded Delete removes a relayed post only once its own server no longer serves it; an
// answer to the Follow from an actor that is not the relay's changes nothing, the relay's
// Reject is recorded.
func TestRelayDeleteAndAnswers(t *testing.T) {
	rt := newRelayTest(t, relay.Limits{})
	ctx := context.Background()
	iri := rt.publish("/notes/d", "<p>soon gone</p>")
	rt.receive(t, map[string]any{"id": rt.relay.IRI + "/announce/d", "type": "Announce", "actor": rt.relay.IRI, "object": iri})
	waitStored(t, rt.s, iri)
	del := func(n string) {
		rt.receive(t, map[string]any{"id": iri + "#delete-" + n, "type": "Delete", "actor": rt.origin + "/users/bob",
			"object": map[string]any{"id": iri, "type": "Tombstone"}})
	}
	del("1") // the origin still serves it: the relay's word is not enough
	time.Sleep(300 * time.Millisecond)
	if p, err := rt.s.st.PostByIRI(ctx, iri); err != nil || !p.DeletedAt.IsZero() {
		t.Fatalf("deleted on the relay's word: %v", err)
	}
	delete(rt.notes, "/notes/d")
	del("2")
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err := rt.s.st.PostByIRI(ctx, iri)
		if err != nil || !p.DeletedAt.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a relayed post gone from its origin stays after the forwarded Delete")
		}
		time.Sleep(20 * time.Millisecond)
	}

	rs := relays.New(rt.s.st)
	r := &relays.Relay{URL: "https://other.test/inbox", Inbox: "https://other.test/inbox", FollowIRI: "http://roost.test/actor/relays/2"}
	if err := rs.Add(ctx, r); err != nil {
		t.Fatal(err)
	}
	answer := func(typ string, by *store.Account) {
		raw, _ := json.Marshal(map[string]any{"id": by.IRI + "#" + typ, "type": typ, "actor": by.IRI, "object": r.FollowIRI})
		if err := rt.s.handleActivity(ctx, slog.New(slog.DiscardHandler),
			queue.InboxItem{ActivityIRI: by.IRI + "#" + typ, ActorIRI: by.IRI, Body: raw}); err != nil {
			t.Fatal(err)
		}
	}
	answer("Accept", remoteAccount(t, rt.s, "mallory", "elsewhere.test"))
	if x, _ := rs.ByURL(ctx, r.URL); x.State != relays.Pending {
		t.Errorf("an Accept by another server's actor made it %s", x.State)
	}
	answer("Reject", remoteAccount(t, rt.s, "actor", "other.test"))
	if x, _ := rs.ByURL(ctx, r.URL); x.State != relays.Rejected || x.ActorIRI != "https://other.test/users/actor" {
		t.Errorf("after the relay's Reject: %s by %q", x.State, x.ActorIRI)
	}
}

// The inbox lets a signer other than the actor through only for an accepted relay's actor, and
// only for what relays pass on.
func TestRelayedIsNarrow(t *testing.T) {
	rt := newRelayTest(t, relay.Limits{})
	ctx := context.Background()
	rs := relays.New(rt.s.st)
	pending := &relays.Relay{URL: "https://pending.test/inbox", Inbox: "https://pending.test/inbox",
		ActorIRI: "https://pending.test/actor", FollowIRI: "http://roost.test/actor/relays/3"}
	if err := rs.Add(ctx, pending); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		signer, typ string
		want        bool
	}{
		{rt.relay.IRI, "Create", true},
		{rt.relay.IRI, "Announce", true},
		{rt.relay.IRI, "Delete", true},
		{rt.relay.IRI, "Follow", false},
		{rt.relay.IRI, "Like", false},
		{rt.relay.IRI, "Undo", false},
		{pending.ActorIRI, "Create", false},
		{rt.origin + "/users/bob", "Create", false},
	} {
		if got := rt.s.Relays.Relayed(ctx, c.signer, c.typ); got != c.want {
			t.Errorf("Relayed(%s, %s) = %v, want %v", c.signer, c.typ, got, c.want)
		}
	}
}
