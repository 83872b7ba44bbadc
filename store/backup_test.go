package store

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
)

// TestBackupWhileWriting copies the database while another goroutine keeps committing: the copy
// passes the integrity check, opens as a store, and holds every row committed before the backup
// began and none that was not committed by its end.
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t)

	var committed atomic.Int64
	insert := func(i int) error {
		return s.Enqueue(ctx, &Outgoing{IRI: fmt.Sprintf("https://example.com/activities/%d", i), Type: "Create",
			Body: []byte(`{}`), Inboxes: []string{"https://peer.example/inbox"}})
	}
	for i := range 50 {
		if err := insert(i); err != nil {
			t.Fatal(err)
		}
		committed.Add(1)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 50; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := insert(i); err != nil {
				t.Errorf("insert during backup: %v", err)
				return
			}
			committed.Add(1)
		}
	}()

	dir := t.TempDir()
	copyFile := filepath.Join(dir, "copy.db")
	before := committed.Load()
	err := s.Backup(ctx, copyFile)
	after := committed.Load()
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("backup left more than the copy behind: %v", dirNames(entries))
	}

	c := openStore(t, copyFile)
	if err := c.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
	n := int64(count(t, c, `SELECT count(*) FROM activities`))
	if n < before || n > after {
		t.Errorf("copy holds %d activities; %d were committed before the backup began and %d by its end", n, before, after)
	}
	if d := int64(count(t, c, `SELECT count(*) FROM deliveries`)); d != n {
		t.Errorf("copy holds %d activities but %d deliveries: not one consistent snapshot", n, d)
	}
}

func TestBackupRefusesExistingFile(t *testing.T) {
	s, _ := newTestStore(t)
	file := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(file, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := s.Backup(context.Background(), file); err == nil {
		t.Fatal("Backup over a non-empty file succeeded")
	}
	if b, err := os.ReadFile(file); string(b) != "precious" {
		t.Errorf("the existing file was changed: %q, %v", b, err)
	}
}

func TestSize(t *testing.T) {
	s, _ := newTestStore(t)
	n, err := s.Size(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n <= 0 {
		t.Errorf("Size = %d, want > 0", n)
	}
}

// TestSnapshotBeforeMigrate builds a database one migration behind this binary, with a row in
// it, and opens it: the migration runs, and roost.db.before-vN.bak holds the old database intact.
func TestSnapshotBeforeMigrate(t *testing.T) {
	ctx := context.Background()
	n := migrationCount(t)
	if n < 2 {
		t.Fatalf("%d migrations embedded; the test needs at least two", n)
	}
	file := filepath.Join(t.TempDir(), "roost.db")
	createAtVersion(t, file, n-1)
	db := rawDB(t, file, false)
	if _, err := db.Exec(`INSERT INTO hosts (host, failures) VALUES ('old.example', 7)`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s := openStore(t, file)
	if v, _ := s.SchemaVersion(ctx); v != n {
		t.Fatalf("schema version after Open = %d, want %d", v, n)
	}
	if n := count(t, s, `SELECT failures FROM hosts WHERE host = 'old.example'`); n != 7 {
		t.Errorf("migrated database lost its row: failures = %d", n)
	}

	snap := filepath.Join(filepath.Dir(file), fmt.Sprintf("roost.db.before-v%d.bak", n))
	old := rawDB(t, snap, true)
	var version, failures int
	if err := old.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil {
		t.Fatalf("snapshot %s: %v", snap, err)
	}
	if version != n-1 {
		t.Errorf("snapshot is at version %d, want %d", version, n-1)
	}
	if err := old.QueryRow(`SELECT failures FROM hosts WHERE host = 'old.example'`).Scan(&failures); err != nil || failures != 7 {
		t.Errorf("snapshot row: failures %d, err %v", failures, err)
	}
	var ok string
	if err := old.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Errorf("snapshot integrity: %q, %v", ok, err)
	}
	if _, err := os.Stat(snap + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("temporary snapshot left behind: %v", err)
	}
	// It holds the private keys as the database does.
	if fi, err := os.Stat(snap); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("snapshot mode: %v, %v; want 0600", fi.Mode().Perm(), err)
	}
}

// TestNoSnapshot: a new database and one already up to date are not copied.
func TestNoSnapshot(t *testing.T) {
	file := filepath.Join(t.TempDir(), "roost.db")
	s, err := Open(context.Background(), file)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	openStore(t, file)
	if snaps, err := Snapshots(file); err != nil || len(snaps) != 0 {
		t.Errorf("Snapshots = %v, %v; want none", snaps, err)
	}
}

// createAtVersion creates a database with the embedded migrations up to version applied, as an
// older Roost would have left it.
func createAtVersion(t *testing.T, file string, version int) {
	t.Helper()
	db := rawDB(t, file, false)
	if _, err := db.Exec(`PRAGMA journal_mode = WAL`); err != nil {
		t.Fatal(err)
	}
	migrations, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(migrations)
	for _, name := range migrations[:version] {
		body, err := migrationFiles.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if _, err := db.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, version)); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func dirNames(entries []os.DirEntry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}
