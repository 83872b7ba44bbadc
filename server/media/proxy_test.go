package media

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"roost/server/media/mediatest"
	"roost/server/remote"
)

// Remote images are served from the cache (fetched once), only for URLs the proxy signed, and the
// cache stays within its budget.
func TestMediaProxy(t *testing.T) {
	img := mediatest.JPEG(t, 64, 64)
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
	ps := newProxyServer(t, int64(len(img))*3/2) // room for one image

	src := ps.Src(origin.URL + "/a.jpg")
	for range 2 {
		resp, body := ps.get(t, src)
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
	if resp, _ := ps.get(t, forged); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unsigned proxy URL answered %d", resp.StatusCode)
	}
	// Something that is not an image is refused.
	if resp, _ := ps.get(t, ps.Src(origin.URL+"/not-an-image")); resp.StatusCode != http.StatusBadGateway {
		t.Errorf("non-image answered %d", resp.StatusCode)
	}
	// A second image pushes the first out of the budget.
	ps.get(t, ps.Src(origin.URL+"/c.jpg"))
	entries, _ := os.ReadDir(ps.dir)
	if len(entries) != 1 {
		t.Errorf("cache holds %d files, want 1 within the budget", len(entries))
	}
}

// proxyServer is a Proxy caching within budget bytes, answering GET /proxy/{sig} on an httptest
// server whose handler counts the requests it has begun to answer, on a clock that advance moves.
type proxyServer struct {
	*Proxy
	base    string
	entered atomic.Int32
	offset  atomic.Int64
}

func newProxyServer(t *testing.T, budget int64) *proxyServer {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	ps := &proxyServer{}
	ps.Proxy = NewProxy(ProxyConfig{Secret: "test", Dir: filepath.Join(t.TempDir(), "cache"), MaxBytes: budget,
		Remote: remote.New(remote.Config{AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, AllowHTTP: true}, log),
		Now:    func() time.Time { return time.Now().Add(time.Duration(ps.offset.Load())) },
		Log:    log})
	mux := http.NewServeMux()
	mux.Handle("GET /proxy/{sig}", ps.Proxy)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ps.entered.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	ps.base = srv.URL
	return ps
}

func (ps *proxyServer) advance(d time.Duration) { ps.offset.Add(int64(d)) }

// get GETs path from ps and returns the answer and its body.
func (ps *proxyServer) get(t *testing.T, path string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(ps.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// waitFor waits until cond holds, failing the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// getAll GETs each of paths from ps at the same time and returns the status codes (0 for a
// request that failed), in order.
func getAll(ps *proxyServer, paths []string) []int {
	codes := make([]int, len(paths))
	var wg sync.WaitGroup
	for i, p := range paths {
		wg.Go(func() {
			resp, err := http.Get(ps.base + p)
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
	img := mediatest.JPEG(t, 64, 64)
	var hits atomic.Int32
	release := make(chan struct{})
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		<-release
		w.Header().Set("Content-Type", "image/jpeg")
		w.Write(img)
	}))
	defer origin.Close()
	ps := newProxyServer(t, 1<<30)
	src := ps.Src(origin.URL + "/a.jpg")

	done := make(chan []int)
	go func() { done <- getAll(ps, slices.Repeat([]string{src}, 20)) }()
	// The origin holds its answer until every request has reached Roost (and asked it, before).
	waitFor(t, "20 proxy requests and a fetch", func() bool { return ps.entered.Load() == 20 && hits.Load() > 0 })
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
	ps := newProxyServer(t, 1<<30)
	src := ps.Src(origin.URL + "/a.jpg")
	for i, want := range []int32{1, 1, 2} {
		if i == 2 {
			ps.advance(proxyFailureTTL + time.Second)
		}
		if resp, _ := ps.get(t, src); resp.StatusCode != http.StatusBadGateway {
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
	img := mediatest.JPEG(t, 16, 16)
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
	ps := newProxyServer(t, 1<<30)
	var paths []string
	for i := range 12 {
		paths = append(paths, ps.Src(fmt.Sprintf("%s/%d.jpg", origin.URL, i)))
	}
	done := make(chan []int)
	go func() { done <- getAll(ps, paths) }()
	waitFor(t, "12 proxy requests and the fetches they may start", func() bool {
		return ps.entered.Load() == 12 && now.Load() >= proxyFetches
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
