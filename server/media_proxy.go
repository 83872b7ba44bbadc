package server

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// The media proxy (Config.MediaProxy) shows remote images through Roost, so that readers' browsers
// never contact other servers and images survive their origin going away for a while. Only URLs
// that Roost itself put in a page are proxied: each carries an HMAC, so the proxy is not open.
// Fetched images go through the guarded client, must sniff as an image, and are kept in
// MediaDir/../cache within a storage budget, the least recently stored evicted first.

const proxyMaxBytes = 16 << 20

// proxyState serialises cache eviction.
type proxyState struct {
	mu sync.Mutex
}

func (s *Server) proxyKey() []byte {
	sum := sha256.Sum256([]byte("roost media proxy\x00" + s.owner.InstanceKeyPEM))
	return sum[:]
}

func (s *Server) proxySig(u string) string {
	m := hmac.New(sha256.New, s.proxyKey())
	m.Write([]byte(u))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

// imageSrc is the URL a page uses to show a remote image: the proxy's, when it is on.
func (s *Server) imageSrc(u string) string {
	u = safeURL(u)
	if u == "" || !s.cfg.MediaProxy || s.isLocal(u) {
		return u
	}
	return "/proxy/" + s.proxySig(u) + "?url=" + url.QueryEscape(u)
}

func (s *Server) cacheDir() string {
	if s.cfg.MediaDir == "" {
		return ""
	}
	return filepath.Join(filepath.Dir(s.cfg.MediaDir), "cache")
}

// showProxied serves a remote image from the cache, fetching it on first use.
func (s *Server) showProxied(w http.ResponseWriter, r *http.Request) {
	u := r.URL.Query().Get("url")
	if !s.cfg.MediaProxy || s.cacheDir() == "" || safeURL(u) == "" ||
		!hmac.Equal([]byte(r.PathValue("sig")), []byte(s.proxySig(u))) {
		http.NotFound(w, r)
		return
	}
	key := sha256.Sum256([]byte(u))
	file := filepath.Join(s.cacheDir(), hex.EncodeToString(key[:]))
	data, err := os.ReadFile(file)
	if err != nil {
		data, err = s.fetchForProxy(r, u)
		if err != nil {
			s.log.Info("media proxy fetch failed", "url", u, "err", err)
			http.Error(w, "the image could not be fetched", http.StatusBadGateway)
			return
		}
		if err := s.cacheStore(file, data); err != nil {
			s.log.Warn("media proxy cache", "err", err)
		}
	}
	typ := http.DetectContentType(data)
	if !acceptedTypes[typ] {
		http.Error(w, "not an image", http.StatusBadGateway)
		return
	}
	h := w.Header()
	h.Set("Content-Type", typ)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "public, max-age=604800")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
}

func (s *Server) fetchForProxy(r *http.Request, u string) ([]byte, error) {
	resp, err := s.remote.Get(r.Context(), u, "image/*", proxyMaxBytes)
	if err != nil {
		return nil, err
	}
	if resp.Status != http.StatusOK {
		return nil, &httpStatusError{resp.Status}
	}
	if !acceptedTypes[http.DetectContentType(resp.Body)] {
		return nil, errNotImage
	}
	return resp.Body, nil
}

type httpStatusError struct{ code int }

func (e *httpStatusError) Error() string { return "remote answered " + http.StatusText(e.code) }

var errNotImage = &httpStatusError{http.StatusUnsupportedMediaType}

// cacheStore writes one cached image and evicts the oldest files beyond the budget.
func (s *Server) cacheStore(file string, data []byte) error {
	dir := filepath.Dir(file)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := writeTemp(dir, data)
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, file); err != nil {
		os.Remove(tmp)
		return err
	}
	s.proxy.mu.Lock()
	defer s.proxy.mu.Unlock()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	type cached struct {
		path string
		size int64
		mod  time.Time
	}
	var files []cached
	var total int64
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		files = append(files, cached{filepath.Join(dir, e.Name()), info.Size(), info.ModTime()})
		total += info.Size()
	}
	sort.Slice(files, func(i, j int) bool { return files[i].mod.Before(files[j].mod) })
	for _, f := range files {
		if total <= s.cfg.MediaCacheBytes {
			break
		}
		if f.path == file {
			continue
		}
		if os.Remove(f.path) == nil {
			total -= f.size
		}
	}
	return nil
}
