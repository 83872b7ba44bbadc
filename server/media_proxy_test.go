package server

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// With the media proxy on, remote images are served from Roost's cache (fetched once), only for
// URLs Roost signed, and the cache stays within its budget.
func TestMediaProxy(t *testing.T) {
	img := testJPEG(t, 64, 64)
	var fetches atomic.Int32
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		if r.URL.Path == "/not-an-image" {
			w.Write([]byte("<html><script>alert(1)</script>"))
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(img)
	}))
	defer origin.Close()
	ts := newTestServer(t, func(c *Config) {
		c.MediaDir = filepath.Join(t.TempDir(), "media")
		c.CacheDir = filepath.Join(t.TempDir(), "cache")
		c.MediaProxy = true
		c.MediaCacheBytes = int64(len(img)) * 3 / 2 // room for one image
	})

	src := ts.srv.imageSrc(origin.URL + "/a.jpg")
	if !strings.HasPrefix(src, "/proxy/") {
		t.Fatalf("imageSrc = %q, want a proxy URL", src)
	}
	for range 2 {
		resp, body := ts.get(t, src, "")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" || len(body) != len(img) ||
			!strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") {
			t.Fatalf("proxied image: %d %v (%d bytes)", resp.StatusCode, resp.Header, len(body))
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Errorf("origin fetched %d times, want once (then cached)", n)
	}

	// A URL Roost did not sign is not proxied: no open proxy.
	forged := "/proxy/" + strings.Repeat("0", 32) + "?url=" + origin.URL + "/b.jpg"
	if resp, _ := ts.get(t, forged, ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unsigned proxy URL answered %d", resp.StatusCode)
	}
	// Something that is not an image is refused.
	if resp, _ := ts.get(t, ts.srv.imageSrc(origin.URL+"/not-an-image"), ""); resp.StatusCode != http.StatusBadGateway {
		t.Errorf("non-image answered %d", resp.StatusCode)
	}
	// A second image pushes the first out of the budget.
	ts.get(t, ts.srv.imageSrc(origin.URL+"/c.jpg"), "")
	entries, _ := os.ReadDir(ts.srv.cacheDir())
	if len(entries) != 1 {
		t.Errorf("cache holds %d files, want 1 within the budget", len(entries))
	}
	// Pages allow images only from Roost itself when the proxy is on.
	resp, _ := ts.get(t, "/@me", "text/html")
	if csp := resp.Header.Get("Content-Security-Policy"); strings.Contains(csp, "img-src 'self' https:") {
		t.Errorf("CSP still allows remote images: %s", csp)
	}
}

// proxyServer is a Roost with the media proxy on, whose handler counts the requests it has begun
// to answer.
func proxyServer(t *testing.T) (*testServer, *atomic.Int32) {
	t.Helper()
	ts := newTestServer(t, func(c *Config) {
		c.MediaDir = filepath.Join(t.TempDir(), "media")
		c.CacheDir = filepath.Join(t.TempDir(), "cache")
		c.MediaProxy = true
	})
	var entered atomic.Int32
	inner := *ts.handler.Load()
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered.Add(1)
		inner.ServeHTTP(w, r)
	})
	ts.handler.Store(&h)
	return ts, &entered
}

// getAll GETs each of paths from ts at the same time and returns the status codes (0 for a
// request that failed), in order.
func getAll(ts *testServer, paths []string) []int {
	codes := make([]int, len(paths))
	var wg sync.WaitGroup
	for i, p := range paths {
		wg.Go(func() {
			resp, err := http.Get(ts.base + p)
			if err != nil {
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes[i] = resp.StatusCode
		})
	}
	wg.Wait()
	return codes
}

// Twenty readers asking at once for one image not yet cached cause one fetch from its origin:
// the others wait for it and are answered from the cache.
func TestMediaProxyFetchesEachURLOnce(t *testing.T) {
	img := testJPEG(t, 64, 64)
	var hits atomic.Int32
	release := make(chan struct{})
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		<-release
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(img)
	}))
	defer origin.Close()
	ts, entered := proxyServer(t)
	src := ts.srv.imageSrc(origin.URL + "/a.jpg")

	done := make(chan []int)
	go func() { done <- getAll(ts, slices.Repeat([]string{src}, 20)) }()
	// The origin holds its answer until every request has reached Roost (and asked it, before).
	waitFor(t, "20 proxy requests and a fetch", func() bool { return entered.Load() == 20 && hits.Load() > 0 })
	close(release)
	for i, code := range <-done {
		if code != http.StatusOK {
			t.Errorf("request %d answered %d", i, code)
		}
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("the origin was asked %d times for one image, want once", n)
	}
}

// A failed fetch is remembered for a while: asking again within proxyFailureTTL is answered
// without asking the origin, and after it the origin is asked again.
func TestMediaProxyRemembersFailures(t *testing.T) {
	var hits atomic.Int32
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer origin.Close()
	ts, _ := proxyServer(t)
	src := ts.srv.imageSrc(origin.URL + "/a.jpg")
	for i, want := range []int32{1, 1, 2} {
		if i == 2 {
			ts.advance(proxyFailureTTL + time.Second)
		}
		if resp, _ := ts.get(t, src, ""); resp.StatusCode != http.StatusBadGateway {
			t.Errorf("request %d answered %d, want 502", i, resp.StatusCode)
		}
		if n := hits.Load(); n != want {
			t.Errorf("after request %d the origin was asked %d times, want %d", i, n, want)
		}
	}
}

// However many images readers ask for at once, at most proxyFetches are fetched from other
// servers at the same time.
func TestMediaProxyBoundsFetchesAtOnce(t *testing.T) {
	img := testJPEG(t, 16, 16)
	var now, most atomic.Int32
	release := make(chan struct{})
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := now.Add(1)
		defer now.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-release
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(img)
	}))
	defer origin.Close()
	ts, entered := proxyServer(t)
	var paths []string
	for i := range 12 {
		paths = append(paths, ts.srv.imageSrc(fmt.Sprintf("%s/%d.jpg", origin.URL, i)))
	}
	done := make(chan []int)
	go func() { done <- getAll(ts, paths) }()
	waitFor(t, "12 proxy requests and the fetches they may start", func() bool {
		return entered.Load() == 12 && now.Load() >= proxyFetches
	})
	close(release)
	for i, code := range <-done {
		if code != http.StatusOK {
			t.Errorf("request %d answered %d", i, code)
		}
	}
	if m := most.Load(); m > proxyFetches {
		t.Errorf("%d fetches ran at once, want at most %d", m, proxyFetches)
	}
}
