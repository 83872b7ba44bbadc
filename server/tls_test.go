package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"roost/server/clientip"

	"golang.org/x/crypto/acme"
)

func TestRedirectToHTTPS(t *testing.T) {
	_, h, err := NewTLS(TLSOptions{Domain: "social.example", CacheDir: t.TempDir()}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method, host, target string
		code                 int
		location             string
	}{
		{"GET", "social.example", "/@me?page=2", 308, "https://social.example/@me?page=2"},
		{"HEAD", "Social.Example:80", "/", 308, "https://social.example/"},
		{"POST", "social.example", "/login", 400, ""},
		{"GET", "other.example", "/", 400, ""},
		// HTTP-01 challenges for other names are refused by the host policy.
		{"GET", "other.example", "/.well-known/acme-challenge/x", 403, ""},
		{"GET", "social.example", "/.well-known/acme-challenge/unknown", 404, ""},
	} {
		req := httptest.NewRequest(tc.method, "http://"+tc.host+tc.target, nil)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != tc.code || w.Header().Get("Location") != tc.location {
			t.Errorf("%s %s%s = %d %q; want %d %q", tc.method, tc.host, tc.target, w.Code,
				w.Header().Get("Location"), tc.code, tc.location)
		}
	}
}

func TestACMEConfig(t *testing.T) {
	cache := t.TempDir()
	tc, _, err := NewTLS(TLSOptions{Domain: "social.example", CacheDir: cache,
		ACMEDirectory: "https://acme-staging-v02.api.letsencrypt.org/directory"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(tc.NextProtos, acme.ALPNProto) {
		t.Errorf("NextProtos = %v; TLS-ALPN-01 needs %s", tc.NextProtos, acme.ALPNProto)
	}
	fi, err := os.Stat(filepath.Join(cache, "acme-staging-v02.api.letsencrypt.org"))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("per-CA cache folder: %v %v", fi, err)
	}
	// Refused by the host policy before any request to the CA (there is no network here).
	for _, name := range []string{"other.example", "sub.social.example"} {
		if _, err := tc.GetCertificate(&tls.ClientHelloInfo{ServerName: name}); err == nil {
			t.Errorf("GetCertificate(%s) succeeded", name)
		}
	}

	for _, o := range []TLSOptions{
		{CacheDir: cache},
		{Domain: "social.example", CacheDir: cache, ACMEDirectory: "http://ca.example/dir"},
		{Domain: "social.example", CacheDir: cache, CertFile: "cert.pem"},
		{Domain: "social.example", CacheDir: cache, ACMERoots: filepath.Join(cache, "missing.pem")},
	} {
		if _, _, err := NewTLS(o, slog.New(slog.DiscardHandler)); err == nil {
			t.Errorf("NewTLS(%+v) succeeded", o)
		}
	}
}

// TestCertFiles serves given files and picks up a renewal without a restart.
func TestCertFiles(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeCert(t, certFile, keyFile, "first")
	tc, h, err := NewTLS(TLSOptions{Domain: "social.example", CertFile: certFile, KeyFile: keyFile},
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	subject := func() string {
		t.Helper()
		c, err := tc.GetCertificate(&tls.ClientHelloInfo{ServerName: "social.example"})
		if err != nil {
			t.Fatal(err)
		}
		leaf, err := x509.ParseCertificate(c.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		return leaf.Subject.CommonName
	}
	if got := subject(); got != "first" {
		t.Fatalf("certificate = %q", got)
	}
	writeCert(t, certFile, keyFile, "renewed")
	later := time.Now().Add(time.Minute)
	for _, f := range []string{certFile, keyFile} {
		if err := os.Chtimes(f, later, later); err != nil {
			t.Fatal(err)
		}
	}
	if got := subject(); got != "renewed" {
		t.Errorf("after renewal, certificate = %q", got)
	}
	// A broken file keeps the last good pair in service.
	if err := os.WriteFile(keyFile, []byte("half written"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := subject(); got != "renewed" {
		t.Errorf("with a broken key file, certificate = %q", got)
	}

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "http://social.example/", nil))
	if w.Code != 308 {
		t.Errorf("plain HTTP with files = %d, want 308", w.Code)
	}
}

func writeCert(t *testing.T, certFile, keyFile, name string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		DNSNames: []string{"social.example"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestTrustProxies(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	var got string
	h := TrustProxies(trusted, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		got = clientip.Of(r)
	}))
	for _, tc := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"untrusted peer's header is ignored", "203.0.113.9:4000", []string{"198.51.100.1"}, "203.0.113.9"},
		{"trusted proxy", "10.0.0.2:4000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"forged left entry skipped", "10.0.0.2:4000", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"chain of proxies", "10.0.0.2:4000", []string{"198.51.100.1, 10.0.0.7", "10.0.0.3"}, "198.51.100.1"},
		{"IPv6 proxy, address with port", "[::1]:4000", []string{"[2001:db8::5]:1234"}, "2001:db8::5"},
		{"no header", "10.0.0.2:4000", nil, "10.0.0.2"},
		{"garbage stops the walk", "10.0.0.2:4000", []string{"198.51.100.1, nonsense"}, "10.0.0.2"},
		{"all trusted: leftmost", "10.0.0.2:4000", []string{"10.1.1.1, 10.0.0.3"}, "10.1.1.1"},
	} {
		req := httptest.NewRequest("POST", "/login", nil)
		req.RemoteAddr = tc.peer
		for _, v := range tc.xff {
			req.Header.Add("X-Forwarded-For", v)
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
		if got != tc.want {
			t.Errorf("%s: client = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// The status page learns the served certificate's expiry from the handshakes.
func TestCertWatch(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeCert(t, certFile, keyFile, "watched")
	watch := &CertWatch{}
	tc, _, err := NewTLS(TLSOptions{Domain: "social.example", CertFile: certFile, KeyFile: keyFile, Watch: watch},
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if !watch.Expiry().IsZero() {
		t.Fatalf("expiry known before any handshake: %v", watch.Expiry())
	}
	c, err := tc.GetCertificate(&tls.ClientHelloInfo{ServerName: "social.example"})
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(c.Certificate[0])
	if got := watch.Expiry(); !got.Equal(leaf.NotAfter.Truncate(time.Millisecond)) {
		t.Errorf("Expiry() = %v, want %v", got, leaf.NotAfter)
	}
}
