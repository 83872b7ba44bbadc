package media

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"roost/server/media/mediatest"
	"roost/store"
)

// testLibrary is a Library on a fresh store, keeping its files in a temporary folder.
func testLibrary(t *testing.T) (*Library, *store.Store) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "roost.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	dir := filepath.Join(t.TempDir(), "media")
	return NewLibrary(dir, "https://roost.example", st, NewProcessor(DefaultMaxUploadBytes), slog.New(slog.DiscardHandler)), st
}

// An upload is stored under names the library makes, with its row, served as the image it is
// (never sniffed into something else, kept out of shared caches when private), and removed.
func TestLibrarySavesServesAndRemoves(t *testing.T) {
	lib, st := testLibrary(t)
	ctx := context.Background()
	m, err := lib.Save(ctx, bytes.NewReader(mediatest.JPEG(t, 1200, 800)), strings.Repeat("é", 2000))
	if err != nil {
		t.Fatal(err)
	}
	if !ValidName(m.Name) || !ValidName(m.ThumbName) || m.Width != 1200 || m.Height != 800 {
		t.Errorf("saved %+v", m)
	}
	if n := utf8.RuneCountInString(m.Description); n != 1500 {
		t.Errorf("description of %d characters, want it cut to 1500", n)
	}
	if got, err := st.MediaByName(ctx, m.ThumbName); err != nil || got.ID != m.ID {
		t.Errorf("row of the thumbnail: %v, %v", got, err)
	}
	entries, _ := os.ReadDir(lib.dir)
	if len(entries) != 2 {
		t.Errorf("media folder holds %d files, want the image and its thumbnail (no temporary file)", len(entries))
	}
	if a := lib.Attachment(m); a.URL != "https://roost.example/media/"+m.Name || a.PreviewURL != lib.URL(m.ThumbName) {
		t.Errorf("attachment %+v", a)
	}

	serve := func(name string, private bool) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		lib.Serve(w, httptest.NewRequest("GET", "/media/"+name, nil), m, name, private)
		return w
	}
	for _, tc := range []struct {
		name    string
		private bool
		cache   string
	}{{m.Name, false, "public"}, {m.ThumbName, true, "private"}} {
		w := serve(tc.name, tc.private)
		h := w.Header()
		if w.Code != 200 || h.Get("Content-Type") != "image/jpeg" || h.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.Contains(h.Get("Content-Security-Policy"), "sandbox") || !strings.HasPrefix(h.Get("Cache-Control"), tc.cache) {
			t.Errorf("%s: %d %v", tc.name, w.Code, h)
		}
	}
	other := strings.Repeat("0", 32) + ".png"
	if w := serve(other, false); w.Code != http.StatusNotFound {
		t.Errorf("a name not the upload's answered %d", w.Code)
	}

	lib.Remove([]string{m.Name, m.ThumbName, "../roost.db"})
	if entries, _ := os.ReadDir(lib.dir); len(entries) != 0 {
		t.Errorf("%d files left after Remove", len(entries))
	}
	if w := serve(m.Name, false); w.Code != http.StatusNotFound {
		t.Errorf("a removed file answered %d", w.Code)
	}
}

// Without a folder, uploads are refused with ErrNotConfigured, which the surfaces answer as the
// server's state rather than the owner's file.
func TestLibraryWithoutFolderRefusesUploads(t *testing.T) {
	_, st := testLibrary(t)
	lib := NewLibrary("", "https://roost.example", st, NewProcessor(DefaultMaxUploadBytes), slog.New(slog.DiscardHandler))
	if _, err := lib.Save(context.Background(), bytes.NewReader(mediatest.JPEG(t, 8, 8)), ""); !errors.Is(err, ErrNotConfigured) {
		t.Errorf("Save = %v, want ErrNotConfigured", err)
	}
}
