package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"roost/server/signature"
)

func TestFetchLoopbackRefusedByDefault(t *testing.T) {
	srv, l := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeAS(w, "http://"+r.Host+r.URL.Path)
	}))
	strict := newTestClient(t, func(c *Config) { c.AllowPrivate = nil })
	_, _, err := strict.Fetch(t.Context(), srv.URL+"/note", Signer{})
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("Fetch loopback = %v, want ErrForbiddenAddress", err)
	}

	allowed := newTestClient(t, nil)
	body, final, err := allowed.Fetch(t.Context(), srv.URL+"/note", Signer{})
	if err != nil {
		t.Fatalf("Fetch with AllowPrivate: %v", err)
	}
	if final.String() != srv.URL+"/note" || !strings.Contains(string(body), `"Note"`) {
		t.Errorf("Fetch = %s, %s", body, final)
	}
	// The allowed fetch's connection was accepted after any the refused one could have made.
	if n := l.n.Load(); n != 1 {
		t.Errorf("server accepted %d connections, want 1 (only the allowed client)", n)
	}
}

func TestFetchLocalhostNameRefused(t *testing.T) {
	srv, l := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeAS(w, "http://"+r.Host+r.URL.Path)
	}))
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	c := newTestClient(t, func(c *Config) { c.AllowPrivate = nil })
	_, _, err := c.Fetch(t.Context(), "http://localhost:"+port+"/note", Signer{})
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("Fetch localhost = %v, want ErrForbiddenAddress", err)
	}
	if n := l.n.Load(); n != 0 {
		t.Errorf("server accepted %d connections, want 0", n)
	}
}

func TestFetchURLRefused(t *testing.T) {
	c := newTestClient(t, func(c *Config) { c.AllowHTTP = false })
	for _, u := range []string{
		"http://127.0.0.1/x",
		"ftp://example.com/x",
		"file:///etc/passwd",
		"https://user:pw@example.com/x",
		"https:///x",
		"https://example.com/x\r\nHost: evil",
		"/relative",
		"https://example.com:0/x",
	} {
		if _, _, err := c.Fetch(t.Context(), u, Signer{}); !errors.Is(err, ErrForbiddenURL) {
			t.Errorf("Fetch(%q) = %v, want ErrForbiddenURL", u, err)
		}
	}
}

func TestFetchRedirectRefused(t *testing.T) {
	target, l := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeAS(w, "http://"+r.Host+r.URL.Path)
	}))
	// The target listens on 127.0.0.1; reaching it as 127.0.0.2 or localhost must still be refused
	// when only the first server's address is allowed.
	port := target.URL[strings.LastIndex(target.URL, ":")+1:]
	tests := []struct {
		location string
		want     error
	}{
		{"http://10.0.0.1/x", ErrForbiddenAddress},
		{"http://169.254.169.254/latest/meta-data/", ErrForbiddenAddress},
		{"http://[::1]:" + port + "/x", ErrForbiddenAddress},
		{"http://127.0.0.2:" + port + "/x", ErrForbiddenAddress},
		{"http://[::ffff:127.0.0.2]:" + port + "/x", ErrForbiddenAddress},
		{"file:///etc/passwd", ErrForbiddenURL},
		{"gopher://example.com/", ErrForbiddenURL},
		{"http://user:pw@127.0.0.1:" + port + "/x", ErrForbiddenURL},
	}
	for _, tt := range tests {
		t.Run(tt.location, func(t *testing.T) {
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Location", tt.location)
				w.WriteHeader(http.StatusFound)
			}))
			c := newTestClient(t, func(c *Config) {
				c.AllowPrivate = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
			})
			if _, _, err := c.Fetch(t.Context(), srv.URL+"/start", Signer{}); !errors.Is(err, tt.want) {
				t.Fatalf("Fetch redirected to %s = %v, want %v", tt.location, err, tt.want)
			}
		})
	}
	if n := l.n.Load(); n != 0 {
		t.Errorf("redirect target accepted %d connections, want 0", n)
	}
}

func TestFetchHTTPSRedirectToHTTPRefused(t *testing.T) {
	srv := httptestTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ok" {
			writeAS(w, "https://"+r.Host+"/ok")
			return
		}
		http.Redirect(w, r, "http://"+r.Host+"/ok", http.StatusMovedPermanently)
	}))
	c := newTestClient(t, func(c *Config) { c.AllowHTTP = false; c.RootCAs = srv.pool })
	if _, _, err := c.Fetch(t.Context(), srv.URL+"/ok", Signer{}); err != nil {
		t.Fatalf("Fetch over https: %v", err)
	}
	if _, _, err := c.Fetch(t.Context(), srv.URL+"/start", Signer{}); !errors.Is(err, ErrForbiddenURL) {
		t.Fatalf("Fetch redirected to http = %v, want ErrForbiddenURL", err)
	}
}

func TestFetchRedirectLoop(t *testing.T) {
	var hits atomic.Int32
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		http.Redirect(w, r, "/loop/"+strconv.Itoa(int(n)), http.StatusFound)
	}))
	c := newTestClient(t, nil)
	_, _, err := c.Fetch(t.Context(), srv.URL+"/loop/0", Signer{})
	if !errors.Is(err, ErrTooManyRedirects) {
		t.Fatalf("Fetch = %v, want ErrTooManyRedirects", err)
	}
	if n := hits.Load(); n != 1+maxRedirects {
		t.Errorf("server saw %d requests, want %d", n, 1+maxRedirects)
	}
}

func TestFetchRedirectSameOrigin(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/@alice":
			http.Redirect(w, r, "/users/alice", http.StatusMovedPermanently)
		case "/users/alice":
			writeAS(w, "http://"+r.Host+"/users/alice")
		default:
			http.NotFound(w, r)
		}
	}))
	c := newTestClient(t, nil)
	_, final, err := c.Fetch(t.Context(), srv.URL+"/@alice", Signer{})
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if final.Path != "/users/alice" {
		t.Errorf("final = %s, want /users/alice", final)
	}
}

func TestFetchIDChecks(t *testing.T) {
	var docs = map[string]string{}
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		fmt.Fprint(w, docs[r.URL.Path])
	}))
	self := srv.URL
	u, _ := url.Parse(srv.URL)
	docs["/same"] = `{"id":"` + self + `/other/path#frag"}`
	docs["/upper"] = `{"id":"HTTP://` + strings.ToUpper(u.Host) + `/x"}`
	docs["/evil"] = `{"id":"https://victim.example/users/alice"}`
	docs["/port"] = `{"id":"http://` + u.Hostname() + `:1/x"}`
	docs["/scheme"] = `{"id":"https://` + u.Host + `/x"}`
	docs["/none"] = `{"type":"Note"}`
	docs["/number"] = `{"id":42}`
	docs["/object"] = `{"id":{"id":"` + self + `/x"}}`
	docs["/caseid"] = `{"ID":"` + self + `/x"}`
	docs["/relative"] = `{"id":"/x"}`
	docs["/array"] = `["` + self + `/x"]`
	docs["/garbage"] = `{"id":`
	docs["/userinfo"] = `{"id":"http://` + u.Host + `@victim.example/x"}`

	c := newTestClient(t, nil)
	for path, ok := range map[string]bool{
		"/same": true, "/upper": true,
		"/evil": false, "/port": false, "/scheme": false, "/none": false, "/number": false,
		"/object": false, "/caseid": false, "/relative": false, "/array": false, "/garbage": false,
		"/userinfo": false,
	} {
		t.Run(path, func(t *testing.T) {
			_, _, err := c.Fetch(t.Context(), srv.URL+path, Signer{})
			if ok && err != nil {
				t.Fatalf("Fetch %s: %v", path, err)
			}
			if !ok && err == nil {
				t.Fatalf("Fetch %s succeeded, want error", path)
			}
		})
	}
	if _, _, err := c.Fetch(t.Context(), srv.URL+"/evil", Signer{}); !errors.Is(err, ErrIDMismatch) {
		t.Errorf("Fetch /evil = %v, want ErrIDMismatch", err)
	}
}

// The id is compared with the final URL, not the requested one: a redirect to another origin
// serving a document that claims the first origin is refused.
func TestFetchIDAfterCrossOriginRedirect(t *testing.T) {
	var first string
	second := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeAS(w, first+"/users/alice")
	}))
	firstSrv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, second.URL+"/upload.json", http.StatusFound)
	}))
	first = firstSrv.URL
	c := newTestClient(t, nil)
	if _, _, err := c.Fetch(t.Context(), first+"/users/alice", Signer{}); !errors.Is(err, ErrIDMismatch) {
		t.Fatalf("Fetch = %v, want ErrIDMismatch", err)
	}
}

func TestFetchContentType(t *testing.T) {
	tests := []struct {
		ct string
		ok bool
	}{
		{"application/activity+json", true},
		{"application/activity+json; charset=utf-8", true},
		{"Application/Activity+JSON; charset=UTF-8", true},
		{`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, true},
		{`application/ld+json;profile="https://www.w3.org/ns/activitystreams https://example.com/p"`, true},
		{"application/json", false},
		{"text/html", false},
		{"text/html; charset=utf-8", false},
		{"application/ld+json", false},
		{`application/ld+json; profile="https://example.com/ns"`, false},
		{"application/activity+json; charset=iso-8859-1", false},
		{"application/activity+json; charset", false},
		{"", false},
		{"image/png", false},
	}
	for _, tt := range tests {
		t.Run(tt.ct, func(t *testing.T) {
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header()["Content-Type"] = []string{tt.ct}
				fmt.Fprintf(w, `{"id":%q}`, "http://"+r.Host+r.URL.Path)
			}))
			c := newTestClient(t, nil)
			_, _, err := c.Fetch(t.Context(), srv.URL+"/x", Signer{})
			if tt.ok && err != nil {
				t.Fatalf("Fetch with %q: %v", tt.ct, err)
			}
			if !tt.ok && !errors.Is(err, ErrContentType) {
				t.Fatalf("Fetch with %q = %v, want ErrContentType", tt.ct, err)
			}
		})
	}
}

func TestFetchTooLarge(t *testing.T) {
	const max = 1 << 20
	doc := func(host string, size int) []byte {
		b := []byte(fmt.Sprintf(`{"id":"http://%s/x"}`, host))
		return append(b, []byte(strings.Repeat(" ", size-len(b)))...)
	}
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		switch r.URL.Path {
		case "/exact":
			w.Write(doc(r.Host, max))
		case "/length": // honest Content-Length over the limit
			w.Header().Set("Content-Length", strconv.Itoa(max+1))
			w.Write(doc(r.Host, max+1))
		case "/chunked": // no Content-Length: the streaming cap must catch it
			w.Write(doc(r.Host, max/2))
			w.(http.Flusher).Flush()
			w.Write([]byte(strings.Repeat(" ", max/2+1)))
		}
	}))
	c := newTestClient(t, nil)
	if _, _, err := c.Fetch(t.Context(), srv.URL+"/exact", Signer{}); err != nil {
		t.Errorf("Fetch of exactly 1 MiB: %v", err)
	}
	for _, p := range []string{"/length", "/chunked"} {
		if _, _, err := c.Fetch(t.Context(), srv.URL+p, Signer{}); !errors.Is(err, ErrTooLarge) {
			t.Errorf("Fetch %s = %v, want ErrTooLarge", p, err)
		}
	}
}

func TestFetchStatus(t *testing.T) {
	date := time.Now().Add(2 * time.Minute).UTC().Format(http.TimeFormat)
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/404":
			http.NotFound(w, r)
		case "/410":
			w.WriteHeader(http.StatusGone)
		case "/429":
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/503":
			w.Header().Set("Retry-After", date)
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/204":
			w.WriteHeader(http.StatusNoContent)
		case "/nolocation":
			w.WriteHeader(http.StatusFound)
		}
	}))
	c := newTestClient(t, nil)
	fetch := func(p string) error {
		_, _, err := c.Fetch(t.Context(), srv.URL+p, Signer{})
		return err
	}
	if err := fetch("/404"); !errors.Is(err, ErrNotFound) || errors.Is(err, ErrGone) {
		t.Errorf("404 = %v, want ErrNotFound", err)
	}
	if err := fetch("/410"); !errors.Is(err, ErrGone) || errors.Is(err, ErrNotFound) {
		t.Errorf("410 = %v, want ErrGone", err)
	}
	var se *StatusError
	if err := fetch("/429"); !errors.As(err, &se) || se.Code != 429 || se.RetryAfter != 120*time.Second {
		t.Errorf("429 = %v (%+v), want StatusError 429 retry 120s", err, se)
	}
	se = nil
	if err := fetch("/503"); !errors.As(err, &se) || se.Code != 503 || se.RetryAfter <= time.Minute || se.RetryAfter > 2*time.Minute {
		t.Errorf("503 = %v (%+v), want StatusError 503 retry ~2m", err, se)
	}
	for _, p := range []string{"/204", "/nolocation"} {
		if err := fetch(p); !errors.As(err, &se) {
			t.Errorf("%s = %v, want StatusError", p, err)
		}
	}
}

func TestFetchSigned(t *testing.T) {
	key := testKey()
	const keyID = "https://roost.example/actor#main-key"
	type seen struct {
		path, keyID, ua, accept string
		err                     error
	}
	got := make(chan seen, 4)
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := seen{path: r.URL.Path, ua: r.UserAgent(), accept: r.Header.Get("Accept")}
		p, err := signature.Check(r, nil, []string{r.Host}, time.Now())
		if err == nil {
			err = signature.Verify(r, &key.PublicKey)
		}
		s.keyID, s.err = p.KeyID, err
		got <- s
		if r.URL.Path == "/a" {
			http.Redirect(w, r, "/b?page=1", http.StatusFound)
			return
		}
		writeAS(w, "http://"+r.Host+"/b")
	}))
	c := newTestClient(t, nil)
	if _, _, err := c.Fetch(t.Context(), srv.URL+"/a", Signer{KeyID: keyID, Key: key}); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	close(got)
	var hops []seen
	for s := range got {
		hops = append(hops, s)
	}
	if len(hops) != 2 {
		t.Fatalf("server saw %d requests, want 2", len(hops))
	}
	for _, h := range hops {
		if h.err != nil || h.keyID != keyID {
			t.Errorf("hop %s: keyId %q, verify %v; want %q verified", h.path, h.keyID, h.err, keyID)
		}
		if h.ua != "Roost/test" || h.accept != ActivityAccept {
			t.Errorf("hop %s: User-Agent %q, Accept %q", h.path, h.ua, h.accept)
		}
	}
	if hops[1].path != "/b" {
		t.Errorf("second hop path %q, want /b", hops[1].path)
	}
}

func TestFetchUnsigned(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Signature") != "" {
			http.Error(w, "signed", http.StatusBadRequest)
			return
		}
		writeAS(w, "http://"+r.Host+r.URL.Path)
	}))
	c := newTestClient(t, nil)
	if _, _, err := c.Fetch(t.Context(), srv.URL+"/x", Signer{}); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
}

func TestFetchSlowServer(t *testing.T) {
	release := make(chan struct{})
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Never send headers until the client gives up or the test ends.
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release) })
	c := newTestClient(t, func(c *Config) { c.Timeout = 200 * time.Millisecond })
	_, _, err := c.Fetch(t.Context(), srv.URL+"/slow", Signer{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Fetch = %v, want context.DeadlineExceeded", err)
	}
}

func TestFetchSlowBody(t *testing.T) {
	release := make(chan struct{})
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		w.Write([]byte(`{"id":`))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release) })
	c := newTestClient(t, func(c *Config) { c.Timeout = 200 * time.Millisecond })
	if _, _, err := c.Fetch(t.Context(), srv.URL+"/slow", Signer{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Fetch = %v, want context.DeadlineExceeded", err)
	}
}

func TestGet(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/nodeinfo":
			http.Redirect(w, r, "/nodeinfo/2.1", http.StatusFound)
		case "/nodeinfo/2.1":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"version":"2.1"}`)
		case "/big":
			w.Write(make([]byte, 100))
		default:
			http.NotFound(w, r)
		}
	}))
	c := newTestClient(t, nil)
	resp, err := c.Get(t.Context(), srv.URL+"/.well-known/nodeinfo", "application/json", 0)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if resp.Status != 200 || resp.ContentType != "application/json" || string(resp.Body) != `{"version":"2.1"}` || resp.URL.Path != "/nodeinfo/2.1" {
		t.Errorf("Get = %+v", resp)
	}
	if resp, err = c.Get(t.Context(), srv.URL+"/missing", "", 0); err != nil || resp.Status != 404 {
		t.Errorf("Get missing = %+v, %v; want status 404", resp, err)
	}
	if _, err := c.Get(t.Context(), srv.URL+"/big", "", 99); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Get big = %v, want ErrTooLarge", err)
	}
}

// GetTo copies a 200 answer's body to the writer, within the limit (also when the length is not
// announced), follows redirects, and writes nothing for another status.
func TestGetTo(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/moved":
			http.Redirect(w, r, "/img", http.StatusFound)
		case "/img":
			w.Write([]byte("image bytes"))
		case "/big":
			w.Write(make([]byte, 100))
		case "/big-chunked":
			w.Write(make([]byte, 50))
			w.(http.Flusher).Flush()
			w.Write(make([]byte, 50))
		default:
			http.Error(w, "no such image", http.StatusNotFound)
		}
	}))
	c := newTestClient(t, nil)
	var buf bytes.Buffer
	resp, err := c.GetTo(t.Context(), srv.URL+"/moved", "image/*", 99, &buf)
	if err != nil || resp.Status != 200 || resp.URL.Path != "/img" || buf.String() != "image bytes" {
		t.Errorf("GetTo = %+v, %v, wrote %q", resp, err, buf.String())
	}
	buf.Reset()
	if resp, err := c.GetTo(t.Context(), srv.URL+"/missing", "", 99, &buf); err != nil || resp.Status != 404 || buf.Len() != 0 {
		t.Errorf("GetTo missing = %+v, %v, wrote %q; want status 404 and nothing written", resp, err, buf.String())
	}
	for _, p := range []string{"/big", "/big-chunked"} {
		if _, err := c.GetTo(t.Context(), srv.URL+p, "", 99, io.Discard); !errors.Is(err, ErrTooLarge) {
			t.Errorf("GetTo %s = %v, want ErrTooLarge", p, err)
		}
	}
}

func TestIsActivityType(t *testing.T) {
	for ct, want := range map[string]bool{
		"application/activity+json": true,
		`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`: true,
		"application/ld+json; profile=https://www.w3.org/ns/activitystreams":   false, // unquoted "/" is not a token
		"application/ld+json":                       false,
		"application/json":                          false,
		"application/activity+json; charset=utf-16": false,
		"application/activity+json;;":               false,
	} {
		if got := IsActivityType(ct); got != want {
			t.Errorf("IsActivityType(%q) = %v, want %v", ct, got, want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              0,
		"30":                            30 * time.Second,
		"0":                             0,
		"-5":                            0,
		"soon":                          0,
		"Thu, 01 Jan 2026 00:01:00 GMT": time.Minute,
		"Wed, 31 Dec 2025 23:00:00 GMT": 0,
		"99999999999999":                365 * 24 * time.Hour,
	} {
		if got := parseRetryAfter(v, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", v, got, want)
		}
	}
}
