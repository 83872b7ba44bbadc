package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"roost/server/activitypub"
	"roost/store"
)

// Benchmarks of the pages a busy Roost serves most, on a store of 100,000 posts (half the owner's,
// half by the 200 accounts the owner follows). The dataset is built once per test binary through
// the store's own methods, kept in memory as a database file, and written to a fresh directory for
// each benchmark. Run them with
//
//	go test ./server/ -run '^$' -bench 'Page|Permalink' -benchtime 200x

const (
	benchPosts    = 100_000
	benchFollowed = 200
	benchDomain   = "bench.example"
)

func benchConfig() Config {
	return Config{Domain: benchDomain, Scheme: "https", Username: "me"}
}

// benchData is the built dataset.
type benchData struct {
	db        []byte // the checkpointed SQLite file
	permalink int64  // an owner's post in the middle of the timeline, with an ancestor and replies
	built     time.Duration
}

var benchDataset = sync.OnceValues(buildBenchData)

// benchScratch is where the dataset is built: tmpfs when there is one, since the store commits
// every post with synchronous=FULL and nothing here needs to survive a power cut.
func benchScratch() string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if f, err := os.CreateTemp("/dev/shm", "roost-probe-"); err == nil {
			f.Close()
			os.Remove(f.Name())
			return "/dev/shm"
		}
	}
	return os.TempDir()
}

func buildBenchData() (*benchData, error) {
	start := time.Now()
	ctx := context.Background()
	dir, err := os.MkdirTemp(benchScratch(), "roost-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "roost.db")
	st, err := store.Open(ctx, file)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	// One post a minute, ending now: IDs and published times spread as on a real server.
	base := time.Now().Add(-benchPosts * time.Minute)
	var tick atomic.Int64
	st.SetClock(func() time.Time { return base.Add(time.Duration(tick.Load()) * time.Minute) })

	cfg := benchConfig()
	if _, _, err := Setup(ctx, st, cfg); err != nil {
		return nil, err
	}
	srv, err := New(ctx, cfg, st, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	owner := srv.Owner()

	accts := make([]*store.Account, benchFollowed)
	for i := range accts {
		host := fmt.Sprintf("peer%d.example", i%25)
		name := fmt.Sprintf("user%d", i)
		iri := "https://" + host + "/users/" + name
		a, err := st.UpsertAccount(ctx, &store.Account{IRI: iri, Type: "Person", Username: name, Host: host,
			DisplayName: "User " + strconv.Itoa(i), Summary: "<p>Posting about <a href=\"https://" + host +
				"/tags/go\">#go</a> and other things.</p>", URL: "https://" + host + "/@" + name,
			Inbox: iri + "/inbox", SharedInbox: "https://" + host + "/inbox", Outbox: iri + "/outbox",
			FollowersURL: iri + "/followers", FollowingURL: iri + "/following", KeyID: iri + "#main-key",
			AvatarURL: "https://" + host + "/avatars/" + name + ".png"})
		if err != nil {
			return nil, err
		}
		f := &store.Follow{IRI: srv.activityIRI(st.NewID()), FollowerID: owner.ID, FolloweeID: a.ID}
		if err := st.FollowAccount(ctx, f, nil); err != nil {
			return nil, err
		}
		if err := st.SetFollowState(ctx, f.ID, store.Accepted, nil); err != nil {
			return nil, err
		}
		accts[i] = a
	}

	remotePost := func(i int, inReplyTo string) error {
		a := accts[i%benchFollowed]
		published := st.Now().UTC()
		iri := fmt.Sprintf("%s/statuses/%d", a.IRI, i)
		p := &store.Post{ID: store.IDAt(published, iri), IRI: iri, AccountID: a.ID, URL: iri, Type: "Note",
			Visibility: store.Public, InReplyTo: inReplyTo,
			Content: fmt.Sprintf(`<p>Remote post %d from <span class="h-card"><a href="%s">@%s</a></span>: `+
				`a paragraph of ordinary length, with a link to <a href="https://example.com/%d">an article</a> `+
				`and a <a href="https://%s/tags/fediverse">#fediverse</a> tag.</p>`, i, a.URL, a.Username, i, a.Host),
			To: []string{activitypub.Public}, CC: []string{a.FollowersURL}, Published: published,
			Tags: []store.Tag{{Type: "Hashtag", Name: "#fediverse", Href: "https://" + a.Host + "/tags/fediverse"}}}
		return st.InsertRemotePost(ctx, p, nil)
	}

	// The owner's posts are stored as Server.Post stores them, less the Markdown parsing and the
	// Create activity (the owner has no followers, so nothing would be delivered): both would
	// double the build time and neither is read by the pages measured.
	ownerPost := func(i int) error {
		vis, to, cc := store.Public, []string{activitypub.Public}, []string{owner.FollowersURL}
		if i%20 == 0 {
			vis, to, cc = store.Unlisted, cc, to
		}
		id := st.NewID()
		source := fmt.Sprintf("Post number %d of the owner's, with some **Markdown**, a "+
			"[link](https://example.com/%d) and a #roost tag. Long enough to look like something a "+
			"person would write on an ordinary day.", i, i)
		p := &store.Post{ID: id, IRI: srv.postIRI(id), AccountID: owner.ID, URL: srv.postURL(id), Type: "Note",
			Visibility: vis, Source: source, Published: store.IDTime(id).UTC(), To: to, CC: cc,
			Content: string(srv.md.Render(source, nil, srv.tagURL)),
			Tags:    []store.Tag{{Type: "Hashtag", Name: "#roost", Href: srv.tagURL("roost")}}}
		return st.CreatePost(ctx, p, nil, nil)
	}

	d := &benchData{}
	for i := range benchPosts {
		tick.Add(1)
		switch {
		case i == benchPosts/2:
			// The permalink: a reply to the owner's previous post, with remote replies below it.
			root, err := srv.Post(ctx, PostInput{Text: "The start of a thread about **benchmarks**."})
			if err != nil {
				return nil, err
			}
			tick.Add(1)
			p, err := srv.Post(ctx, PostInput{Text: "Continuing the thread: numbers follow. #benchmarks",
				InReplyTo: root.IRI})
			if err != nil {
				return nil, err
			}
			d.permalink = p.ID
			for j := range 5 {
				tick.Add(1)
				if err := remotePost(benchPosts+j, p.IRI); err != nil {
					return nil, err
				}
			}
		case i%2 == 0:
			if err := ownerPost(i); err != nil {
				return nil, err
			}
		default:
			if err := remotePost(i, ""); err != nil {
				return nil, err
			}
		}
	}
	if err := st.Close(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(file + "-wal"); err == nil {
		return nil, errors.New("the write-ahead log survived closing the store: the copy would be incomplete")
	}
	if d.db, err = os.ReadFile(file); err != nil {
		return nil, err
	}
	d.built = time.Since(start)
	return d, nil
}

// benchServer is a Roost on a fresh copy of the dataset, without background workers.
type benchServer struct {
	srv  *Server
	st   *store.Store
	h    http.Handler
	data *benchData
}

func newBenchServer(b *testing.B) *benchServer {
	b.Helper()
	if testing.Short() {
		b.Skip("building the 100,000-post dataset takes a while; skipped in -short")
	}
	d, err := benchDataset()
	if err != nil {
		b.Fatalf("build dataset: %v", err)
	}
	b.Logf("dataset: %d posts, %d followed accounts, %d MB, built in %v", benchPosts, benchFollowed,
		len(d.db)>>20, d.built.Round(time.Second))
	ctx := context.Background()
	file := filepath.Join(b.TempDir(), "roost.db")
	if err := os.WriteFile(file, d.db, 0o600); err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(ctx, file)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	srv, err := New(ctx, benchConfig(), st, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	return &benchServer{srv: srv, st: st, h: srv.Handler(), data: d}
}

// run benchmarks GET path with req's headers, after checking once that the answer is a 200
// holding want.
func (bs *benchServer) run(b *testing.B, req *http.Request, want string) {
	b.Helper()
	rec := httptest.NewRecorder()
	bs.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s: status %d; body %.300s", req.URL, rec.Code, rec.Body.String())
	}
	if !strings.Contains(rec.Body.String(), want) {
		b.Fatalf("GET %s: answer lacks %q: %.500s", req.URL, want, rec.Body.String())
	}
	b.SetBytes(int64(rec.Body.Len()))
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		bs.h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: status %d", req.URL, rec.Code)
		}
	}
}

func benchRequest(path, accept string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, "https://"+benchDomain+path, nil)
	req.Header.Set("Accept", accept)
	return req
}

const htmlAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

func BenchmarkProfilePage(b *testing.B) {
	bs := newBenchServer(b)
	bs.run(b, benchRequest("/@me", htmlAccept), "Older posts")
}

func BenchmarkHomeTimelinePage(b *testing.B) {
	bs := newBenchServer(b)
	token := randomToken(32)
	se := &store.Session{ID: hashToken(token), CSRF: randomToken(24), ExpiresAt: time.Now().Add(time.Hour)}
	if err := bs.st.CreateSession(context.Background(), se); err != nil {
		b.Fatal(err)
	}
	req := benchRequest("/home", htmlAccept)
	req.AddCookie(&http.Cookie{Name: bs.srv.cookieName(), Value: token})
	// Both the owner's posts and followed accounts' posts must be on the page.
	rec := httptest.NewRecorder()
	bs.h.ServeHTTP(rec, req)
	if body := rec.Body.String(); !strings.Contains(body, "Remote post") || !strings.Contains(body, "Post number") {
		b.Fatalf("/home lacks the owner's or followed accounts' posts: %.500s", body)
	}
	bs.run(b, req, "Older")
}

func BenchmarkOutboxPage(b *testing.B) {
	bs := newBenchServer(b)
	bs.run(b, benchRequest("/users/me/outbox?page=true", activitypub.ContentType), `"OrderedCollectionPage"`)
}

func BenchmarkPermalink(b *testing.B) {
	bs := newBenchServer(b)
	bs.run(b, benchRequest("/@me/"+strconv.FormatInt(bs.data.permalink, 10), htmlAccept), "5 replies")
}
