package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // decoders for image.DecodeConfig
	_ "image/jpeg" // "
	_ "image/png"  // "
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"time"

	_ "golang.org/x/image/webp" // "

	"roost/store"
)

// Media limits for uploads (the media issue adds resizing and thumbnails).
const (
	MaxUploadBytes = 8 << 20
	maxPixels      = 40_000_000 // refuse decompression bombs before decoding
)

var mediaTypes = map[string]string{
	"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp",
}

var mediaNameRE = regexp.MustCompile(`^[0-9a-f]{32}\.(png|jpg|gif|webp)$`)

var errNoMediaDir = errors.New("uploads are not configured")

// saveUpload stores an uploaded image under a name the server makes, with its type sniffed from
// the content (never the client's name or type), and returns its public URL.
func (s *Server) saveUpload(ctx context.Context, r io.Reader) (string, error) {
	if s.cfg.MediaDir == "" {
		return "", errNoMediaDir
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxUploadBytes+1))
	if err != nil {
		return "", err
	}
	if len(data) > MaxUploadBytes {
		return "", fmt.Errorf("the image is over %d MiB", MaxUploadBytes>>20)
	}
	mt := http.DetectContentType(data)
	ext, ok := mediaTypes[mt]
	if !ok {
		return "", fmt.Errorf("%s is not an image Roost accepts (PNG, JPEG, GIF or WebP)", mt)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("the image could not be read: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxPixels {
		return "", fmt.Errorf("the image is %d×%d pixels; the limit is %d megapixels", cfg.Width, cfg.Height, maxPixels/1_000_000)
	}
	b := make([]byte, 16)
	rand.Read(b)
	name := hex.EncodeToString(b) + ext
	if err := os.MkdirAll(s.cfg.MediaDir, 0o700); err != nil {
		return "", err
	}
	// Write to a temporary file and rename only after the database knows the file, so a crash
	// leaves no half-written file under a served name.
	tmp, err := os.CreateTemp(s.cfg.MediaDir, ".upload-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := s.st.AddMedia(ctx, &store.Media{Name: name, MediaType: mt, Size: int64(len(data)),
		Width: cfg.Width, Height: cfg.Height}); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(s.cfg.MediaDir, name)); err != nil {
		return "", err
	}
	return s.base + "/media/" + name, nil
}

// showMedia serves an uploaded file so that it can never be taken for something else: its stored
// sniffed type, nosniff, a sandboxing CSP, and never ActivityPub JSON whatever the Accept header.
func (s *Server) showMedia(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !mediaNameRE.MatchString(name) || s.cfg.MediaDir == "" {
		http.NotFound(w, r)
		return
	}
	m, err := s.st.MediaByName(r.Context(), name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	f, err := os.Open(filepath.Join(s.cfg.MediaDir, name))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", m.MediaType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Content-Disposition", "inline")
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Access-Control-Allow-Origin", "*")
	http.ServeContent(w, r, "", m.CreatedAt.Truncate(time.Second), f)
}
