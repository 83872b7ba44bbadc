// Package static holds Roost's embedded stylesheet, scripts and icons, served under
// content-hashed URLs so browsers may cache them for a year.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed *.css *.svg *.png
var files embed.FS

// Assets serves the embedded files and knows their hashed URLs.
type Assets struct {
	byHashed map[string]string // "style.3f2a1b9c.css" -> "style.css"
	urls     map[string]string // "style.css" -> "/static/style.3f2a1b9c.css"
}

// New hashes the embedded files.
func New() *Assets {
	a := &Assets{byHashed: map[string]string{}, urls: map[string]string{}}
	fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:5]) + ext
		a.byHashed[hashed] = name
		a.urls[name] = "/static/" + hashed
		return nil
	})
	return a
}

// URL returns the hashed URL of an embedded file, e.g. URL("style.css").
func (a *Assets) URL(name string) string { return a.urls[name] }

// ServeHTTP serves /static/{hashed name} with a one-year immutable cache lifetime.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := a.byHashed[path.Base(r.URL.Path)]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeFileFS(w, r, files, name)
}
