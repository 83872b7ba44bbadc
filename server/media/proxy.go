package media

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"roost/server/remote"
)

const (
	proxyMaxBytes = 16 << 20
	// proxyFetches is how many images are fetched from other servers at once; more wait.
	proxyFetches = 4
	// proxyFailureTTL is how long a failed fetch is remembered, as GoToSocial's and Mastodon's
	// caches of failed media do for longer: an origin that is down is not asked again by every page view.
	proxyFailureTTL = 2 * time.Minute
)

// Proxy shows remote images through Roost, so that readers' browsers never contact other servers
// and images survive their origin going away for a while. Only URLs that Roost itself put in a
// page are proxied: each carries an HMAC (Src), so the proxy is not open. Fetched images go
// through the guarded client, must sniff as an image, and are kept in a cache folder within a
// storage budget, the least recently stored evicted first. Each URL is fetched once however many
// readers ask for it at the same time, a few URLs at a time, streamed to its cache file (never
// held in memory), and a failed fetch answers again for a while without asking the origin.
type Proxy struct {
	key    []byte
	dir    string // the cache folder; empty: nothing is proxied
	budget int64
	remote *remote.Client
	now    func() time.Time
	log    *slog.Logger

	mu       sync.Mutex // guards inflight and failed
	inflight map[string]*proxyFetch
	failed   map[string]proxyFailure
	slots    chan struct{} // one per fetch that may run at once

	evict sync.Mutex // serialises cache eviction
}

// ProxyConfig is what a Proxy is made of.
type ProxyConfig struct {
	// Secret is what the key of the proxy URLs' signatures is derived from (the instance
	// actor's private key: the URLs stay valid across restarts).
	Secret string
	// Dir is the cache folder (empty: nothing is proxied); MaxBytes the storage it may take.
	Dir      string
	MaxBytes int64
	// Remote fetches the images; Now tells the time failures are remembered by.
	Remote *remote.Client
	Now    func() time.Time
	Log    *slog.Logger
}

// NewProxy returns a Proxy with an empty memory of fetches.
func NewProxy(c ProxyConfig) *Proxy {
	sum := sha256.Sum256([]byte("roost media proxy\x00" + c.Secret))
	return &Proxy{key: sum[:], dir: c.Dir, budget: c.MaxBytes, remote: c.Remote, now: c.Now, log: c.Log,
		inflight: map[string]*proxyFetch{}, failed: map[string]proxyFailure{}, slots: make(chan struct{}, proxyFetches)}
}

func (p *Proxy) sig(u string) string {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(u))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

// Src is the path a page uses to show the remote image at u (an http or https URL) through the
// proxy.
func (p *Proxy) Src(u string) string {
	return "/proxy/" + p.sig(u) + "?url=" + url.QueryEscape(u)
}

// ServeHTTP serves a remote image (GET /proxy/{sig}?url=) from the cache, fetching it on first use.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u := r.URL.Query().Get("url")
	if p.dir == "" || !webURL(u) || !hmac.Equal([]byte(r.PathValue("sig")), []byte(p.sig(u))) {
		http.NotFound(w, r)
		return
	}
	key := sha256.Sum256([]byte(u))
	file := filepath.Join(p.dir, hex.EncodeToString(key[:]))
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		if err := p.fetch(r.Context(), u, file); err != nil {
			if r.Context().Err() == nil {
				p.log.Info("media proxy fetch failed", "url", u, "err", err)
				http.Error(w, "the image could not be fetched", http.StatusBadGateway)
			}
			return
		}
		f, err = os.Open(file)
	}
	if err != nil {
		p.log.Warn("media proxy cache", "err", err)
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

// webURL reports whether u is an absolute http or https URL.
func webURL(u string) bool {
	pu, err := url.Parse(u)
	return err == nil && (pu.Scheme == "https" || pu.Scheme == "http") && pu.Host != ""
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

// fetch brings u into the cache as file and waits for it (or for ctx). A fetch of u already
// in flight is waited for rather than started again, and a failure less than proxyFailureTTL old
// is answered without a fetch. The fetch itself runs apart from the request that started it, so
// that the others waiting for it are not failed when that one reader goes away.
func (p *Proxy) fetch(ctx context.Context, u, file string) error {
	now := p.now()
	p.mu.Lock()
	if f, ok := p.failed[u]; ok && now.Before(f.until) {
		p.mu.Unlock()
		return f.err
	}
	f, ok := p.inflight[u]
	if !ok {
		f = &proxyFetch{done: make(chan struct{})}
		p.inflight[u] = f
		go p.run(context.WithoutCancel(ctx), u, file, f)
	}
	p.mu.Unlock()
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run fetches u into file in one of the fetch slots, and records how it went: on
// failure, for proxyFailureTTL. The remote client bounds its time.
func (p *Proxy) run(ctx context.Context, u, file string, f *proxyFetch) {
	p.slots <- struct{}{}
	f.err = p.fetchToFile(ctx, u, file)
	<-p.slots
	now := p.now()
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

// fetchToFile streams the image at u to a temporary file beside file, checks that it is an
// image, renames it to file, and evicts older files beyond the cache's budget.
func (p *Proxy) fetchToFile(ctx context.Context, u, file string) error {
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
	resp, err := p.remote.GetTo(ctx, u, "image/*", proxyMaxBytes, tmp)
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
	return p.evictBeyondBudget(file)
}

type httpStatusError struct{ code int }

func (e *httpStatusError) Error() string { return "remote answered " + http.StatusText(e.code) }

var errNotImage = &httpStatusError{http.StatusUnsupportedMediaType}

// evictBeyondBudget removes the oldest cached images beyond the budget, never keep, the one just stored.
func (p *Proxy) evictBeyondBudget(keep string) error {
	p.evict.Lock()
	defer p.evict.Unlock()
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
		if total <= p.budget {
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
