package cli

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"roost/server"
	"roost/store"
)

// newDataFolder makes a data folder whose owner was created for base (scheme://host), as a first
// `roost serve` there would, and returns it with the store closed.
func newDataFolder(t *testing.T, scheme, host string) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "roost.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, _, err := server.Setup(ctx, st, server.Config{Domain: host, Scheme: scheme, Username: "me"}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// openData opens the store of a data folder for a test to look into, closed when the test ends.
func openData(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(dir, "roost.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// postedID reads the id from what `roost post` printed ("Posted ID: URL").
func postedID(t *testing.T, out string) int64 {
	t.Helper()
	rest, ok := strings.CutPrefix(out, "Posted ")
	id, err := strconv.ParseInt(strings.SplitN(rest, ":", 2)[0], 10, 64)
	if !ok || err != nil {
		t.Fatalf("roost post printed %q", out)
	}
	return id
}

// Flags after the text of a post are flags, not more text: the post is as private as asked and
// carries its content warning. "--" ends the flags, for a text that starts with a dash.
func TestPostFlagsAfterTextAreFlags(t *testing.T) {
	ctx := context.Background()
	dir := newDataFolder(t, "http", "localhost:8080")
	// A direct post needs someone to address: an account Roost knows already (no lookup).
	if _, err := openData(t, dir).UpsertAccount(ctx, &store.Account{IRI: "https://friend.example/users/friend",
		Username: "friend", Host: "friend.example", Inbox: "https://friend.example/users/friend/inbox",
		FetchedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args                 []string
		text, cw, visibility string
	}{
		{[]string{"post", "@friend@friend.example secret plans", "-cw", "spoiler", "-visibility", "direct", "-data", dir}, "@friend@friend.example secret plans", "spoiler", store.Direct},
		{[]string{"post", "-data", dir, "two", "-visibility", "followers", "words"}, "two words", "", store.Private},
		{[]string{"post", "-data", dir, "-visibility", "unlisted", "--", "-5 degrees", "-cw", "x"}, "-5 degrees -cw x", "", store.Unlisted},
	} {
		out, errOut, err := runCmd(ctx, tc.args...)
		if err != nil {
			t.Fatalf("%q: %v\n%s", tc.args, err, errOut)
		}
		p, err := openData(t, dir).PostByID(ctx, postedID(t, out))
		if err != nil {
			t.Fatal(err)
		}
		if p.Source != tc.text || p.Summary != tc.cw || p.Visibility != tc.visibility {
			t.Errorf("%q posted text %q, cw %q, visibility %s; want %q, %q, %s", tc.args, p.Source, p.Summary,
				p.Visibility, tc.text, tc.cw, tc.visibility)
		}
	}
	// The other commands read flags after their arguments too.
	if _, errOut, err := runCmd(ctx, "followers", "-data", dir); err != nil {
		t.Errorf("roost followers -data DIR: %v\n%s", err, errOut)
	}
	if _, _, err := runCmd(ctx, "delete", "12345", "-data", dir); err == nil || strings.Contains(err.Error(), "usage") {
		t.Errorf("roost delete ID -data DIR: %v, want a post-not-found error, not a usage error", err)
	}
}

// serveIn starts `roost serve` in-process on the data folder dir, with extra flags, and waits
// until it serves. It returns a function that stops it, or the error serve returned at once.
func serveIn(t *testing.T, dir string, extra ...string) (stop func(), out *syncBuffer, err error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out = &syncBuffer{}
	done := make(chan error, 1)
	args := append([]string{"serve", "-data", dir, "-listen", freeAddr(t), "-log-level", "warn"}, extra...)
	go func() { done <- run(ctx, args, func(string) string { return "" }, nil, out, out) }()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "Roost is serving"); time.Sleep(10 * time.Millisecond) {
		select {
		case err := <-done:
			cancel()
			return nil, out, err
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not start within 10 s:\n%s", out)
		}
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v\n%s", err, out)
		}
	}
	t.Cleanup(stop)
	return stop, out, nil
}

// The database holds the private keys: its files are the owner's alone (0600, in a 0700
// folder), when the data folder existed before with wider permissions, and when an older Roost
// left them wider.
func TestDatabaseFilesArePrivate(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		want := map[string]os.FileMode{dir: 0o700}
		for _, f := range []string{"roost.db", "roost.db-wal", "roost.db-shm"} {
			want[filepath.Join(dir, f)] = 0o600
		}
		for f, mode := range want {
			fi, err := os.Stat(f)
			if err != nil {
				t.Errorf("%s: %v", when, err)
			} else if fi.Mode().Perm() != mode {
				t.Errorf("%s: %s has mode %v, want %v", when, f, fi.Mode().Perm(), mode)
			}
		}
	}
	stop, out, err := serveIn(t, dir)
	if err != nil {
		t.Fatalf("serve: %v\n%s", err, out)
	}
	check("first start in an existing folder")
	stop()

	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "roost.db"), 0o644); err != nil {
		t.Fatal(err)
	}
	stop, out, err = serveIn(t, dir)
	if err != nil {
		t.Fatalf("serve: %v\n%s", err, out)
	}
	check("start on files an older Roost left readable")
	stop()
}

// A second `roost serve` on the data folder of a running one refuses to start, with an error
// naming the folder, and leaves the running server's owner as it was (a second server on
// another address would have rewritten its public address). So does a restore over it.
func TestSecondServerOnSameDataRefused(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, out, err := serveIn(t, dir); err != nil {
		t.Fatalf("first serve: %v\n%s", err, out)
	}
	owner, err := openData(t, dir).Owner(ctx)
	if err != nil {
		t.Fatal(err)
	}

	stop, out, err := serveIn(t, dir, "-domain", "other.example", "-tls", "off")
	if err == nil {
		stop()
		t.Fatalf("a second serve on %s started:\n%s", dir, out)
	}
	if !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second serve: %v; want an error saying %s is in use", err, dir)
	}
	again, err := openData(t, dir).Owner(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again.Account.IRI != owner.Account.IRI || again.Account.Host != owner.Account.Host {
		t.Errorf("the owner changed from %s (@%s) to %s (@%s)", owner.Account.IRI, owner.Account.Host,
			again.Account.IRI, again.Account.Host)
	}

	archive := filepath.Join(t.TempDir(), "b.tar")
	if _, errOut, err := runCmd(ctx, "backup", "-data", dir, archive); err != nil {
		t.Fatalf("backup: %v\n%s", err, errOut)
	}
	if _, _, err := runCmd(ctx, "restore", "-force", "-data", dir, archive); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("restore -force over a running server: %v; want an error saying %s is in use", err, dir)
	}
	// The owner's commands work beside the server.
	if _, errOut, err := runCmd(ctx, "post", "-data", dir, "still here"); err != nil {
		t.Errorf("roost post beside the server: %v\n%s", err, errOut)
	}
}

// schemaVersion reads PRAGMA user_version of a database file, or sets it when set >= 0.
func schemaVersion(t *testing.T, file string, set int) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if set >= 0 {
		if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", set)); err != nil {
			t.Fatal(err)
		}
	}
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// Only `roost serve` (and restore) migrate the database: a newer binary's backup reads an older
// server's database as it is, and its owner's commands refuse to write to it, saying what to do,
// instead of changing the schema under the server that still runs.
func TestCommandsOtherThanServeDoNotMigrate(t *testing.T) {
	ctx := context.Background()
	dir := newDataFolder(t, "http", "localhost:8080")
	db := filepath.Join(dir, "roost.db")
	old := schemaVersion(t, db, -1) - 1
	schemaVersion(t, db, old) // as if written by the Roost before the last migration

	archive := filepath.Join(t.TempDir(), "b.tar")
	if _, errOut, err := runCmd(ctx, "backup", "-data", dir, archive); err != nil {
		t.Errorf("backup of an older database: %v\n%s", err, errOut)
	}
	_, _, err := runCmd(ctx, "post", "-data", dir, "hello")
	if err == nil || !strings.Contains(err.Error(), "run roost serve") {
		t.Errorf("post on an older database: %v; want a refusal saying to run roost serve first", err)
	}
	if v := schemaVersion(t, db, -1); v != old {
		t.Errorf("the commands changed the schema version from %d to %d", old, v)
	}
	if snaps, _ := store.Snapshots(db); len(snaps) > 0 {
		t.Errorf("the commands took pre-migration snapshots: %v", snaps)
	}
}

// A database with a damaged page does not start: serve stops before anything is written to it
// and says to restore from a backup.
func TestServeRefusesDamagedDatabase(t *testing.T) {
	ctx := context.Background()
	dir := newDataFolder(t, "http", "localhost:8080")
	st := openData(t, dir)
	owner, err := st.Owner(ctx)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Repeat("words to fill pages with ", 40)
	for range 200 {
		id := st.NewID()
		p := &store.Post{ID: id, IRI: fmt.Sprintf("%s/statuses/%d", owner.Account.IRI, id), AccountID: owner.Account.ID,
			Visibility: store.Public, Content: text, Source: text, Published: time.Now()}
		if err := st.CreatePost(ctx, p, store.NewPost{}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	// Overwrite one page in the middle of the file (the posts' leaves) with garbage.
	db := filepath.Join(dir, "roost.db")
	f, err := os.OpenFile(db, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	const page = 4096
	garbage := bytes.Repeat([]byte{0xA5}, page)
	if _, err := f.WriteAt(garbage, (fi.Size()/page/2)*page); err != nil {
		t.Fatal(err)
	}
	f.Close()

	ctx, cancel := context.WithTimeout(ctx, 20*time.Second) // a serve that starts stops here
	defer cancel()
	out := &syncBuffer{}
	err = run(ctx, []string{"serve", "-data", dir, "-listen", freeAddr(t)}, func(string) string { return "" }, nil, out, out)
	if err == nil || !strings.Contains(err.Error(), "damaged") || !strings.Contains(err.Error(), "roost restore") {
		t.Fatalf("serve on a damaged database: %v; want an error saying it is damaged and how to restore\n%s", err, out)
	}
	t.Logf("serve: %v", err)
	if strings.Contains(out.String(), "Roost is serving") {
		t.Logf("the check finished only after serving began (a slow machine):\n%s", out)
	}
}

// countRows runs a count query on the database file of a data folder.
func countRows(t *testing.T, dir, query string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "roost.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Starting with another -domain on data created elsewhere (a local trial) does not silently keep
// or half-change the owner's ids: serve refuses and says what would change. -change-domain moves
// every id, the posts' and activities' too, while nothing federated, and is refused after.
func TestDomainChangeIsExplicit(t *testing.T) {
	ctx := context.Background()
	dir := newDataFolder(t, "http", "localhost:8080")
	if _, errOut, err := runCmd(ctx, "post", "-data", dir, "first post"); err != nil {
		t.Fatalf("post: %v\n%s", err, errOut)
	}
	const oldBase, newBase = "http://localhost:8080", "https://social.example.com"
	stale := `SELECT (SELECT count(*) FROM accounts WHERE local = 1 AND instr(iri || inbox || key_id, '` + oldBase + `/') > 0)
		+ (SELECT count(*) FROM posts WHERE instr(iri || url, '` + oldBase + `/') > 0)
		+ (SELECT count(*) FROM activities WHERE instr(iri || CAST(body AS TEXT), '` + oldBase + `/') > 0)`

	stop, out, err := serveIn(t, dir, "-domain", "social.example.com", "-tls", "off")
	if err == nil {
		stop()
		t.Fatalf("serve with another -domain started:\n%s", out)
	}
	for _, want := range []string{oldBase, newBase, "-change-domain", "new -data folder"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not mention %q: %v", want, err)
		}
	}
	if n := countRows(t, dir, stale); n != 3 {
		t.Fatalf("after the refusal %d rows are at %s, want the account, the post and its activity", n, oldBase)
	}

	stop, out, err = serveIn(t, dir, "-domain", "social.example.com", "-tls", "off", "-change-domain")
	if err != nil {
		t.Fatalf("serve -change-domain: %v\n%s", err, out)
	}
	stop()
	if n := countRows(t, dir, stale); n != 0 {
		t.Errorf("after -change-domain %d rows are still at %s", n, oldBase)
	}
	owner, err := openData(t, dir).Owner(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if owner.Account.IRI != newBase+"/users/me" || owner.Account.Host != "social.example.com" {
		t.Errorf("owner after -change-domain: %s @%s", owner.Account.IRI, owner.Account.Host)
	}

	// Once another server follows the account, its ids stay.
	st := openData(t, dir)
	follower, err := st.UpsertAccount(ctx, &store.Account{IRI: "https://friend.example/users/friend",
		Username: "friend", Host: "friend.example", Inbox: "https://friend.example/users/friend/inbox"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddFollower(ctx, &store.Follow{IRI: "https://friend.example/follows/1", FollowerID: follower.ID,
		FolloweeID: owner.Account.ID, State: store.Accepted}, nil); err != nil {
		t.Fatal(err)
	}
	stop, out, err = serveIn(t, dir, "-domain", "other.example", "-tls", "off", "-change-domain")
	if err == nil {
		stop()
		t.Fatalf("serve -change-domain with a follower started:\n%s", out)
	}
	if !strings.Contains(err.Error(), "followers") {
		t.Errorf("the refusal does not say why: %v", err)
	}
	if again, _ := st.Owner(ctx); again.Account.IRI != owner.Account.IRI {
		t.Errorf("the refused change moved the owner to %s", again.Account.IRI)
	}
}

// When the background work cannot start (releasing the leases of a previous run fails), nothing
// would ever be processed or delivered while the inbox kept answering 202: serve stops with the
// error instead of serving on.
func TestServeStopsWhenBackgroundWorkFails(t *testing.T) {
	addr := freeAddr(t)
	dir := newDataFolder(t, "http", addr)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "roost.db"))
	if err != nil {
		t.Fatal(err)
	}
	// An activity received by a previous run, held back until later: the start releases it, and
	// the trigger makes that release fail.
	for _, q := range []string{
		`INSERT INTO inbox (activity_iri, actor_iri, body, received_at, next_at)
			VALUES ('https://peer.example/activities/1', 'https://peer.example/users/a', X'7B7D', 1, 9000000000000)`,
		`CREATE TRIGGER refuse_release BEFORE UPDATE ON inbox BEGIN SELECT RAISE(ABORT, 'release refused'); END`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a serve that keeps serving stops here
	defer cancel()
	out := &syncBuffer{}
	err = run(ctx, []string{"serve", "-data", dir, "-listen", addr}, func(string) string { return "" }, nil, out, out)
	if err == nil || !strings.Contains(err.Error(), "release refused") {
		t.Fatalf("serve whose background work failed: %v; want that failure as its error\n%s", err, out)
	}
}
