package media

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"roost/store"
)

// ErrNotConfigured refuses an upload to a server without a media folder.
var ErrNotConfigured = &RefusedError{Msg: "uploads are not configured"}

var nameRE = regexp.MustCompile(`^[0-9a-f]{32}\.(png|jpg|gif)$`)

// ValidName reports whether name has the shape of the names Library gives its files.
func ValidName(name string) bool { return nameRE.MatchString(name) }

var typeExt = map[string]string{"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif"}

// Library keeps the owner's uploads in one folder: each cleaned by a Processor and stored under a
// name it makes, with its row in the store, served at base/media/name, removed once its post is gone.
type Library struct {
	dir  string // empty: uploads are refused
	base string // scheme://domain
	st   *store.Store
	proc *Processor
	log  *slog.Logger
}

// NewLibrary returns the Library of the folder dir (empty: none), whose files are served under
// base (scheme://domain) and whose uploads proc cleans.
func NewLibrary(dir, base string, st *store.Store, proc *Processor, log *slog.Logger) *Library {
	return &Library{dir: dir, base: base, st: st, proc: proc, log: log}
}

// Configured reports whether the library has a folder: without one, uploads are refused and no
// file is served.
func (l *Library) Configured() bool { return l.dir != "" }

// Save processes an uploaded image and stores it (and its thumbnail) under names the library
// makes; nothing from the client (name, type) is used. The files are written and synced before
// the database row, and renamed to their served names only after it, so a crash never leaves a
// served name pointing at half a file. Errors about the image itself are meant for the owner;
// ErrNotConfigured and *fs.PathError are the server's.
func (l *Library) Save(ctx context.Context, r io.Reader, description string) (*store.Media, error) {
	if l.dir == "" {
		return nil, ErrNotConfigured
	}
	p, err := l.proc.Process(ctx, r)
	if err != nil {
		return nil, err
	}
	return l.save(ctx, p, description)
}

// save stores a processed image and its thumbnail (see Save).
func (l *Library) save(ctx context.Context, p *Image, description string) (*store.Media, error) {
	if err := os.MkdirAll(l.dir, 0o700); err != nil {
		return nil, err
	}
	if d := []rune(description); len(d) > 1500 {
		description = string(d[:1500])
	}
	m := &store.Media{Name: randomName() + typeExt[p.FullType], MediaType: p.FullType, Size: int64(len(p.Full)),
		Width: p.Width, Height: p.Height, Description: description, Blurhash: p.Blurhash}
	files := map[string][]byte{m.Name: p.Full}
	if p.Thumb != nil {
		m.ThumbName = randomName() + typeExt[p.ThumbType]
		files[m.ThumbName] = p.Thumb
	}
	temps := map[string]string{}
	defer func() {
		for _, tmp := range temps {
			os.Remove(tmp)
		}
	}()
	for name, b := range files {
		tmp, err := writeTemp(l.dir, b)
		if err != nil {
			return nil, fmt.Errorf("store upload: %w", err)
		}
		temps[name] = tmp
	}
	if err := l.st.AddMedia(ctx, m); err != nil {
		return nil, err
	}
	for name, tmp := range temps {
		if err := os.Rename(tmp, filepath.Join(l.dir, name)); err != nil {
			return nil, err
		}
		delete(temps, name)
	}
	return m, nil
}

func randomName() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func writeTemp(dir string, b []byte) (string, error) {
	f, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return "", err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return f.Name(), err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return f.Name(), err
	}
	return f.Name(), f.Close()
}

// URL is the public URL of a stored file ("" for no file).
func (l *Library) URL(name string) string {
	if name == "" {
		return ""
	}
	return l.base + "/media/" + name
}

// Attachment is the federated and shown face of an upload.
func (l *Library) Attachment(m *store.Media) store.Attachment {
	a := store.Attachment{Type: "Document", MediaType: m.MediaType, URL: l.URL(m.Name), Name: m.Description,
		Blurhash: m.Blurhash, Width: m.Width, Height: m.Height, PreviewURL: l.URL(m.ThumbName)}
	if m.FocusX != 0 || m.FocusY != 0 {
		a.FocalPoint = []float64{m.FocusX, m.FocusY}
	}
	return a
}

// Remove deletes files after their rows are gone.
func (l *Library) Remove(names []string) {
	for _, n := range names {
		if ValidName(n) {
			if err := os.Remove(filepath.Join(l.dir, n)); err != nil && !errors.Is(err, os.ErrNotExist) {
				l.log.Warn("remove media file", "name", n, "err", err)
			}
		}
	}
}

// Serve answers with the file called name, m's image or its thumbnail, so that it can never be
// taken for something else: its stored type, nosniff, a sandboxing CSP, and never ActivityPub
// JSON whatever the Accept header. A private file is kept out of shared caches. Who may see the
// file is the caller's to decide.
func (l *Library) Serve(w http.ResponseWriter, r *http.Request, m *store.Media, name string, private bool) {
	if l.dir == "" || !ValidName(name) || (name != m.Name && name != m.ThumbName) {
		http.NotFound(w, r)
		return
	}
	f, err := os.Open(filepath.Join(l.dir, name))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	typ := m.MediaType
	if name == m.ThumbName {
		typ = http.DetectContentType(headOf(f))
		f.Seek(0, io.SeekStart)
	}
	cache := "public, max-age=31536000, immutable"
	if private {
		cache = "private, max-age=31536000, immutable"
	}
	h := w.Header()
	h.Set("Content-Type", typ)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Content-Disposition", "inline")
	h.Set("Cache-Control", cache)
	h.Set("Access-Control-Allow-Origin", "*")
	http.ServeContent(w, r, "", m.CreatedAt.Truncate(time.Second), f)
}

func headOf(r io.Reader) []byte {
	b := make([]byte, 512)
	n, _ := io.ReadFull(r, b)
	return b[:n]
}
