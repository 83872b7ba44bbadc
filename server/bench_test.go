package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
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
	"roost/server/app"
	"roost/store"
	"roost/store/access"
)

// Benchmarks of the pages a busy Roost serves most, on a store of 1,000,000 posts (half the
// owner's, half by the 10,000 accounts the owner follows). The dataset is built once per test
// binary: 50,000 posts through the store's own methods, then copied 19 times further back in time
// with one INSERT ... SELECT per table (through the store's methods a million posts take over four
// minutes). Each benchmark gets a fresh copy of the file. Run them with
//
//	go test ./server/ -run '^$' -bench 'Page|Permalink' -benchtime 200x

const (
	benchSeedPosts = 50_000 // written through the store
	benchCopies    = 20     // the seed and its copies
	benchPosts     = benchSeedPosts * benchCopies
	benchFollowed  = 10_000
	benchDomain    = "bench.example"
)

func benchConfig() Config {
	return Config{Domain: benchDomain, Scheme: "https", Username: "me"}
}

// benchData is the built dataset.
type benchData struct {
	file      string // the checkpointed SQLite file
	permalink int64  // an owner's post in the middle of the timeline, with an ancestor and replies
	built     time.Duration
}

var (
	benchDataset    = sync.OnceValues(buildBenchData)
	benchDatasetDir atomic.Pointer[string] // where buildBenchData put it, once it has run
)

// TestMain removes the benchmark dataset, which lives outside the tests' temporary directories.
func TestMain(m *testing.M) {
	code := m.Run()
	if dir := benchDatasetDir.Load(); dir != nil {
		os.RemoveAll(*dir)
	}
	os.Exit(code)
}

// copyFile copies src to a new file dst and returns its size.
func copyFile(dst, src string) (int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return n, err
}

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
	benchDatasetDir.Store(&dir)
	file := filepath.Join(dir, "roost.db")
	st, err := store.Open(ctx, file)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	// One post a minute, ending now: IDs and published times spread as on a real server.
	base := time.Now().Add(-benchSeedPosts * time.Minute)
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
		host := fmt.Sprintf("peer%d.example", i%2000)
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
		f := &store.Follow{IRI: srv.app.ActivityIRI(st.NewID()), FollowerID: owner.ID, FolloweeID: a.ID}
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
		p := &store.Post{ID: id, IRI: srv.app.PostIRI(id), AccountID: owner.ID, URL: srv.app.PostURL(id), Type: "Note",
			Visibility: vis, Source: source, Published: store.IDTime(id).UTC(), To: to, CC: cc,
			Content: string(srv.app.Markdown.Render(source, nil, srv.app.TagURL)),
			Tags:    []store.Tag{{Type: "Hashtag", Name: "#roost", Href: srv.app.TagURL("roost")}}}
		return st.CreatePost(ctx, p, store.NewPost{}, nil)
	}

	d := &benchData{file: file}
	for i := range benchSeedPosts {
		tick.Add(1)
		switch {
		case i == benchSeedPosts*3/4:
			// The permalink: a reply to the owner's previous post, with remote replies below it.
			root, err := srv.app.Post(ctx, app.PostInput{Text: "The start of a thread about **benchmarks**."})
			if err != nil {
				return nil, err
			}
			tick.Add(1)
			p, err := srv.app.Post(ctx, app.PostInput{Text: "Continuing the thread: numbers follow. #benchmarks",
				InReplyTo: root.IRI})
			if err != nil {
				return nil, err
			}
			d.permalink = p.ID
			for j := range 5 {
				tick.Add(1)
				if err := remotePost(benchSeedPosts+j, p.IRI); err != nil {
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
	if err := copyBenchPosts(ctx, file, time.Duration(tick.Load()+1)*time.Minute); err != nil {
		return nil, fmt.Errorf("copy posts: %w", err)
	}
	if _, err := os.Stat(file + "-wal"); err == nil {
		return nil, errors.New("the write-ahead log survived closing the database: the copy would be incomplete")
	}
	d.built = time.Since(start)
	return d, nil
}

// copyBenchPosts adds benchCopies-1 copies of every top-level post in the file, each copy span
// further back in time than the last, in one transaction; the counter triggers keep the
// per-account counts right. The SQL names the posts table's columns, so a schema change that
// breaks it fails the benchmark rather than measuring something else.
func copyBenchPosts(ctx context.Context, file string, span time.Duration) error {
	db, err := sql.Open("sqlite", "file:"+file+"?_pragma=journal_mode(wal)&_pragma=synchronous(off)")
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	const cols = `account_id, url, type, visibility, in_reply_to, reply_to_id, summary, sensitive, content,
		source, language, recipients, tags, attachments, extra, published, updated, pinned_at, deleted_at, created_at`
	for k := int64(1); k < benchCopies; k++ {
		shiftMS := k * span.Milliseconds()
		if _, err := tx.ExecContext(ctx, `INSERT INTO posts (id, iri, `+cols+`)
			SELECT id - (?1 << 16), iri || '/copy/' || ?2, account_id, url, type, visibility, in_reply_to,
				reply_to_id, summary, sensitive, content, source, language, recipients, tags, attachments,
				extra, published - ?1, updated, pinned_at, deleted_at, created_at - ?1
			FROM posts WHERE in_reply_to = '' AND iri NOT LIKE '%/copy/%'`, shiftMS, k); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO post_tags (tag, post_id)
			SELECT t.tag, t.post_id - (?1 << 16) FROM post_tags t JOIN posts p ON p.id = t.post_id
			WHERE p.in_reply_to = '' AND p.iri NOT LIKE '%/copy/%'`, shiftMS); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return err
	}
	conn.Close()
	if _, err := db.ExecContext(ctx, `PRAGMA journal_mode = DELETE`); err != nil {
		return err
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM posts`).Scan(&n); err != nil {
		return err
	}
	if n < benchPosts {
		return fmt.Errorf("%d posts after copying, want at least %d", n, benchPosts)
	}
	return nil
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
		b.Skip("building the 1,000,000-post dataset takes a while; skipped in -short")
	}
	d, err := benchDataset()
	if err != nil {
		b.Fatalf("build dataset: %v", err)
	}
	ctx := context.Background()
	file := filepath.Join(b.TempDir(), "roost.db")
	size, err := copyFile(file, d.file)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("dataset: %d posts, %d followed accounts, %d MB, built in %v", benchPosts, benchFollowed,
		size>>20, d.built.Round(time.Second))
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
	se := &access.Session{ID: hashToken(token), CSRF: randomToken(24), ExpiresAt: time.Now().Add(time.Hour)}
	if err := access.New(bs.st).CreateSession(context.Background(), se); err != nil {
		b.Fatal(err)
	}
	req := benchRequest("/home", htmlAccept)
	req.AddCookie(&http.Cookie{Name: bs.srv.app.CookieName(), Value: token})
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
