package cli

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"roost/server"
	"roost/server/app"
	"roost/store"
)

// runCmd runs the program with args and no environment, returning its output.
func runCmd(ctx context.Context, args ...string) (stdout, stderr string, err error) {
	var out, errOut bytes.Buffer
	err = run(ctx, args, func(string) string { return "" }, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), err
}

// TestBackupRestore backs up a data folder while the server's store is open and a writer keeps
// posting, restores the archive into a new folder and finds the posts and the uploaded file.
func TestBackupRestore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "roost.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := server.Config{Domain: "localhost:8080", Scheme: "http", Username: "me", MediaDir: filepath.Join(dir, "media")}
	if _, _, err := server.Setup(ctx, st, cfg); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(ctx, cfg, st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var posts []string
	for i := range 5 {
		p, err := srv.App().Post(ctx, app.PostInput{Text: fmt.Sprintf("post number %d", i)})
		if err != nil {
			t.Fatal(err)
		}
		posts = append(posts, p.IRI)
	}
	image := []byte("\x89PNG\r\n\x1a\n not really, but the bytes must survive")
	const mediaName = "0123456789abcdef0123456789abcdef.png"
	if err := os.MkdirAll(cfg.MediaDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg.MediaDir, mediaName), image, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := st.AddMedia(ctx, &store.Media{Name: mediaName, MediaType: "image/png", Size: int64(len(image))}); err != nil {
		t.Fatal(err)
	}
	// An upload in progress: not part of a backup.
	if err := os.WriteFile(filepath.Join(cfg.MediaDir, ".upload-123"), []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := srv.App().Post(ctx, app.PostInput{Text: fmt.Sprintf("written during the backup %d", i)}); err != nil {
				t.Errorf("post during backup: %v", err)
				return
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	for _, ext := range []string{".tar", ".tar.gz"} {
		t.Run(ext, func(t *testing.T) {
			out := t.TempDir()
			file := filepath.Join(out, "roost-backup"+ext)
			stdout, stderr, err := runCmd(ctx, "backup", "-data", dir, file)
			if err != nil {
				t.Fatalf("backup: %v\n%s", err, stderr)
			}
			if !strings.Contains(stdout, "Wrote "+file) || !strings.Contains(stdout, "1 media file") {
				t.Errorf("backup printed %q", stdout)
			}
			if entries, _ := os.ReadDir(out); len(entries) != 1 {
				t.Errorf("backup left files beside the archive: %v", entries)
			}
			if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("archive: %v, mode %v; it holds private keys, want 0600", err, fi.Mode())
			}

			restored := filepath.Join(t.TempDir(), "data")
			if _, stderr, err := runCmd(ctx, "restore", "-data", restored, file); err != nil {
				t.Fatalf("restore: %v\n%s", err, stderr)
			}
			rs, err := store.Open(ctx, filepath.Join(restored, "roost.db"))
			if err != nil {
				t.Fatal(err)
			}
			for _, iri := range posts {
				if _, err := rs.PostByIRI(ctx, iri); err != nil {
					t.Errorf("restored database: post %s: %v", iri, err)
				}
			}
			if _, err := rs.MediaByName(ctx, mediaName); err != nil {
				t.Errorf("restored database: media row: %v", err)
			}
			rs.Close()
			if b, err := os.ReadFile(filepath.Join(restored, "media", mediaName)); err != nil || !bytes.Equal(b, image) {
				t.Errorf("restored media file: %q, %v", b, err)
			}
			entries, _ := os.ReadDir(restored)
			for _, e := range entries {
				if e.Name() != "roost.db" && e.Name() != "media" {
					t.Errorf("restore left %s in the data folder", e.Name())
				}
			}
			if _, err := os.Stat(filepath.Join(restored, "media", ".upload-123")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the temporary upload was backed up: %v", err)
			}

			if _, _, err := runCmd(ctx, "restore", "-data", restored, file); err == nil {
				t.Error("restore over an existing database without -force succeeded")
			}
			if _, stderr, err := runCmd(ctx, "restore", "-data", restored, "-force", file); err != nil {
				t.Errorf("restore -force over a stopped database: %v\n%s", err, stderr)
			}
		})
	}
}

// TestRestoreRefusesRunningServer: -force does not replace a database a server has open.
func TestRestoreRefusesRunningServer(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "roost.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	file := filepath.Join(t.TempDir(), "b.tar")
	if _, stderr, err := runCmd(ctx, "backup", "-data", dir, file); err != nil {
		t.Fatalf("backup: %v\n%s", err, stderr)
	}
	_, _, err = runCmd(ctx, "restore", "-data", dir, "-force", file)
	if err == nil || !strings.Contains(err.Error(), "running") {
		t.Errorf("restore -force while the store is open: %v, want a refusal", err)
	}
}

// TestRestoreHostileArchive: entries that would land outside the data folder, links and
// unexpected names fail the restore, and nothing is written anywhere.
func TestRestoreHostileArchive(t *testing.T) {
	type entry struct {
		name     string
		typeflag byte
		link     string
	}
	reg := func(name string) entry { return entry{name: name, typeflag: tar.TypeReg} }
	for _, tc := range []struct {
		name    string
		want    string // in the error
		entries func(parent string) []entry
	}{
		{"dot-dot", "unexpected entry", func(string) []entry { return []entry{reg("roost.db"), reg("../escape")} }},
		{"dot-dot in media", "unexpected entry", func(string) []entry { return []entry{reg("roost.db"), reg("media/../../escape")} }},
		{"media dot-dot", "unexpected entry", func(string) []entry { return []entry{reg("roost.db"), reg("media/..")} }},
		{"absolute", "unexpected entry", func(parent string) []entry {
			return []entry{reg("roost.db"), reg(filepath.Join(parent, "escape"))}
		}},
		{"absolute roost.db", "unexpected entry", func(parent string) []entry { return []entry{reg(filepath.Join(parent, "roost.db"))} }},
		{"symlink", "not a regular file", func(parent string) []entry {
			return []entry{reg("roost.db"), {name: "media/link", typeflag: tar.TypeSymlink, link: parent}}
		}},
		{"symlink then write through it", "not a regular file", func(parent string) []entry {
			return []entry{{name: "media/x", typeflag: tar.TypeSymlink, link: filepath.Join(parent, "escape")}, reg("media/x")}
		}},
		{"hard link", "not a regular file", func(parent string) []entry {
			return []entry{{name: "roost.db", typeflag: tar.TypeLink, link: "/etc/passwd"}}
		}},
		{"other name", "unexpected entry", func(string) []entry { return []entry{reg("roost.db"), reg("config.json")} }},
		{"nested media", "unexpected entry", func(string) []entry { return []entry{reg("roost.db"), reg("media/a/b.png")} }},
		{"duplicate", "appears twice", func(string) []entry { return []entry{reg("roost.db"), reg("roost.db")} }},
		{"no database", "no roost.db", func(string) []entry { return []entry{reg("media/a.png")} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			var buf bytes.Buffer
			tw := tar.NewWriter(&buf)
			for _, e := range tc.entries(parent) {
				body := []byte("not a database")
				hdr := &tar.Header{Name: e.name, Typeflag: e.typeflag, Linkname: e.link, Mode: 0o600}
				if e.typeflag == tar.TypeReg {
					hdr.Size = int64(len(body))
				}
				if err := tw.WriteHeader(hdr); err != nil {
					t.Fatal(err)
				}
				if e.typeflag == tar.TypeReg {
					tw.Write(body)
				}
			}
			tw.Close()
			file := filepath.Join(t.TempDir(), "hostile.tar")
			if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}

			data := filepath.Join(parent, "data")
			_, _, err := runCmd(context.Background(), "restore", "-data", data, file)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("restore of a hostile archive: %v, want an error with %q", err, tc.want)
			}
			var written []string
			filepath.WalkDir(parent, func(path string, d fs.DirEntry, err error) error {
				if path != parent && path != data {
					written = append(written, path)
				}
				return nil
			})
			if len(written) > 0 {
				t.Errorf("the refused restore left files behind: %v", written)
			}
		})
	}
}
