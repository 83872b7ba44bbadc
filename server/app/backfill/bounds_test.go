package backfill_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"roost/server/app"
	"roost/server/app/apptest"
	"roost/server/app/backfill"
	"roost/store"
)

// boundsPeer serves an endless chain of replies (/n/K answers /n/K+1) and an endless context
// collection (/context?page=P leads to page P+1), counting the GETs of each kind.
type boundsPeer struct {
	*httptest.Server
	notes, pages atomic.Int64
}

func newBoundsPeer(t *testing.T) *boundsPeer {
	p := &boundsPeer{}
	var base string
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		var doc any
		switch path := r.URL.Path; {
		case path == "/users/a":
			doc = map[string]any{"id": base + path, "type": "Person", "preferredUsername": "a", "inbox": base + "/inbox"}
		case strings.HasPrefix(path, "/n/"):
			p.notes.Add(1)
			k, _ := strconv.Atoi(strings.TrimPrefix(path, "/n/"))
			doc = map[string]any{"id": base + path, "type": "Note", "attributedTo": base + "/users/a", "content": "<p>hi</p>",
				"inReplyTo": base + "/n/" + strconv.Itoa(k+1), "context": base + "/context",
				"to": []string{"https://www.w3.org/ns/activitystreams#Public"}}
		case path == "/context":
			p.pages.Add(1)
			pg, _ := strconv.Atoi(r.URL.Query().Get("page"))
			doc = map[string]any{"id": base + "/context?page=" + strconv.Itoa(pg), "type": "OrderedCollectionPage",
				"next": base + "/context?page=" + strconv.Itoa(pg+1), "orderedItems": []string{base + "/n/" + strconv.Itoa(1000+pg)}}
		default:
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(doc)
	}))
	base = p.URL
	t.Cleanup(p.Close)
	return p
}

func newCore(t *testing.T, lim backfill.Limits) (*app.App, *store.Store) {
	st := apptest.Store(t, app.OwnerAccount("http://roost.test", "roost.test", "me"), "")
	core, err := app.New(t.Context(), app.Config{Domain: "roost.test", HandleDomain: "roost.test", Scheme: "http",
		Poll: time.Second, AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Backfill: lim},
		st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return core, st
}

// A post with an endless line of ancestors gets AncestorDepth of them; an endless context
// collection is read for Pages pages; both within the job's time.
func TestThreadBounds(t *testing.T) {
	peer := newBoundsPeer(t)
	core, st := newCore(t, backfill.Limits{AncestorDepth: 5, Pages: 7, HostRate: 1000, HostBurst: 1000})
	p, err := core.FetchPost(t.Context(), peer.URL+"/n/0")
	if err != nil {
		t.Fatal(err)
	}
	if err := core.Backfill.ThreadNow(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	for k := 1; k <= 5; k++ {
		if _, err := st.PostByIRI(t.Context(), peer.URL+"/n/"+strconv.Itoa(k)); err != nil {
			t.Errorf("ancestor %d: %v", k, err)
		}
	}
	if _, err := st.PostByIRI(t.Context(), peer.URL+"/n/6"); err == nil {
		t.Error("a sixth ancestor was fetched; the depth is 5")
	}
	// The first page and 7 more (Pages counts the pages after the first).
	if n := peer.pages.Load(); n != 8 {
		t.Errorf("%d context pages fetched, want 8", n)
	}
}

// The per-host rate holds fetches back once the burst is spent: with a rate of 10 a second and
// a burst of 2, five fetches of one host take at least 0.3 s.
func TestHostRate(t *testing.T) {
	peer := newBoundsPeer(t)
	core, _ := newCore(t, backfill.Limits{AncestorDepth: 4, Pages: 1, HostRate: 10, HostBurst: 2})
	p, err := core.FetchPost(t.Context(), peer.URL+"/n/0") // not through the limiter
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	start := time.Now()
	if err := core.Backfill.ThreadNow(ctx, p); err != nil {
		t.Fatal(err)
	}
	// Four ancestors, the root's document, the context's first page and one more: 7 fetches,
	// 5 of them past the burst.
	if d := time.Since(start); d < 450*time.Millisecond {
		t.Errorf("7 fetches took %s; at 10 a second after a burst of 2 they take at least 0.5 s", d)
	}
}

// A replies collection embedding a post of another server is not taken at its word: that post is
// fetched from its own server.
func TestEmbeddedItemFromAnotherOrigin(t *testing.T) {
	var otherBase, base string
	doc := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/activity+json")
		json.NewEncoder(w).Encode(v)
	}
	public := []string{"https://www.w3.org/ns/activitystreams#Public"}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/users/v":
			doc(w, map[string]any{"id": otherBase + "/users/v", "type": "Person", "preferredUsername": "v", "inbox": otherBase + "/inbox"})
		case "/n/real":
			doc(w, map[string]any{"id": otherBase + "/n/real", "type": "Note", "attributedTo": otherBase + "/users/v",
				"content": "<p>what v wrote</p>", "inReplyTo": base + "/n/root", "to": public})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(other.Close)
	otherBase = other.URL
	forger := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/users/a":
			doc(w, map[string]any{"id": base + "/users/a", "type": "Person", "preferredUsername": "a", "inbox": base + "/inbox"})
		case "/n/root":
			doc(w, map[string]any{"id": base + "/n/root", "type": "Note", "attributedTo": base + "/users/a", "content": "<p>root</p>",
				"to": public, "replies": map[string]any{"id": otherBase + "/n/root/replies", "type": "Collection",
					"items": []any{map[string]any{"id": otherBase + "/n/real", "type": "Note", "attributedTo": otherBase + "/users/v",
						"content": "<p>words put in v's mouth</p>", "inReplyTo": base + "/n/root", "to": public}}}})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(forger.Close)
	base = forger.URL

	core, st := newCore(t, backfill.Limits{})
	root, err := core.FetchPost(t.Context(), base+"/n/root")
	if err != nil {
		t.Fatal(err)
	}
	if err := core.Backfill.ThreadNow(t.Context(), root); err != nil {
		t.Fatal(err)
	}
	p, err := st.PostByIRI(t.Context(), otherBase+"/n/real")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.Content, "what v wrote") {
		t.Errorf("the reply was stored as %q; want what its own server serves", p.Content)
	}
}
