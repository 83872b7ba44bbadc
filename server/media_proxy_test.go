package server

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
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
