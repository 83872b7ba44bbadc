package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
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
// CacheDir within a storage budget, the least recently stored evicted first. Each URL is
// fetched once however many readers ask for it at the same time, a few URLs at a time, streamed to
// its cache file (never held in memory), and a failed fetch answers again for a while without
// asking the origin.

const (
	proxyMaxBytes = 16 << 20
	// proxyFetches is how many images are fetched from other servers at once; more wait.
	proxyFetches = 4
	// proxyFailureTTL is how long a failed fetch is remembered, as GoToSocial's and Mastodon's
	// caches of failed media do for longer: an origin that is down is not asked again by every page view.
	proxyFailureTTL = 2 * time.Minute
)

// proxyState is what proxy requests share: the fetches in flight, by URL; the failures remembered,
// by URL; the slots of fetches at once; and the lock that serialises cache eviction. Its zero value
// is ready: the maps and slots are made on first use.
type proxyState struct {
	mu       sync.Mutex // guards inflight, failed and slots
	inflight map[string]*proxyFetch
	failed   map[string]proxyFailure
	slots    chan struct{}

	evict sync.Mutex
}

// proxyFetch is one fetch in flight; err is set before done is closed.
type proxyFetch struct {
	done chan struct{}
	err  error
}

// proxyFailure is a remembered failure, answered again until the time given.
type proxyFailure struct {
	err   error
	until time.Time
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

func (s *Server) cacheDir() string { return s.cfg.CacheDir }

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
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		if err := s.proxyFetch(r.Context(), u, file); err != nil {
			if r.Context().Err() == nil {
				s.log.Info("media proxy fetch failed", "url", u, "err", err)
				http.Error(w, "the image could not be fetched", http.StatusBadGateway)
			}
			return
		}
		f, err = os.Open(file)
	}
	if err != nil {
		s.log.Warn("media proxy cache", "err", err)
		http.Error(w, "the image could not be fetched", http.StatusBadGateway)
		return
	}
	defer f.Close()
	typ := http.DetectContentType(headOf(f))
	if _, err := f.Seek(0, io.SeekStart); err != nil || !acceptedTypes[typ] {
		http.Error(w, "not an image", http.StatusBadGateway)
		return
	}
	h := w.Header()
	h.Set("Content-Type", typ)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "public, max-age=604800")
	http.ServeContent(w, r, "", time.Time{}, f)
}

// proxyFetch brings u into the cache as file and waits for it (or for ctx). A fetch of u already
// in flight is waited for rather than started again, and a failure less than proxyFailureTTL old
// is answered without a fetch. The fetch itself runs apart from the request that started it, so
// that the others waiting for it are not failed when that one reader goes away.
func (s *Server) proxyFetch(ctx context.Context, u, file string) error {
	p := &s.proxy
	now := s.st.Now()
	p.mu.Lock()
	if p.inflight == nil {
		p.inflight, p.failed, p.slots = map[string]*proxyFetch{}, map[string]proxyFailure{}, make(chan struct{}, proxyFetches)
	}
	if f, ok := p.failed[u]; ok && now.Before(f.until) {
		p.mu.Unlock()
		return f.err
	}
	f, ok := p.inflight[u]
	if !ok {
		f = &proxyFetch{done: make(chan struct{})}
		p.inflight[u] = f
		go s.runProxyFetch(context.WithoutCancel(ctx), u, file, f)
	}
	p.mu.Unlock()
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// runProxyFetch fetches u into file in one of the fetch slots, and records how it went: on
// failure, for proxyFailureTTL. The remote client bounds its time.
func (s *Server) runProxyFetch(ctx context.Context, u, file string, f *proxyFetch) {
	p := &s.proxy
	p.slots <- struct{}{}
	f.err = s.fetchForProxy(ctx, u, file)
	<-p.slots
	now := s.st.Now()
	p.mu.Lock()
	delete(p.inflight, u)
	if f.err != nil {
		for k, old := range p.failed {
			if !now.Before(old.until) {
				delete(p.failed, k)
			}
		}
		p.failed[u] = proxyFailure{f.err, now.Add(proxyFailureTTL)}
	}
	p.mu.Unlock()
	close(f.done)
}

// fetchForProxy streams the image at u to a temporary file beside file, checks that it is an
// image, renames it to file, and evicts older files beyond the cache's budget.
func (s *Server) fetchForProxy(ctx context.Context, u, file string) error {
	dir := filepath.Dir(file)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".fetch-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename, a name that no longer exists
	defer tmp.Close()
	resp, err := s.remote.GetTo(ctx, u, "image/*", proxyMaxBytes, tmp)
	if err != nil {
		return err
	}
	if resp.Status != http.StatusOK {
		return &httpStatusError{resp.Status}
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if !acceptedTypes[http.DetectContentType(headOf(tmp))] {
		return errNotImage
	}
	// Synced before the rename, as uploads are: after a power cut the name holds the whole image.
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return err
	}
	return s.cacheEvict(file)
}

type httpStatusError struct{ code int }

func (e *httpStatusError) Error() string { return "remote answered " + http.StatusText(e.code) }

var errNotImage = &httpStatusError{http.StatusUnsupportedMediaType}

// cacheEvict removes the oldest cached images beyond the budget, never keep, the one just stored.
func (s *Server) cacheEvict(keep string) error {
	s.proxy.evict.Lock()
	defer s.proxy.evict.Unlock()
	dir := filepath.Dir(keep)
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
		if f.path == keep {
			continue
		}
		if os.Remove(f.path) == nil {
			total -= f.size
		}
	}
	return nil
}
