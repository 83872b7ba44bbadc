package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// DefaultACMEDirectory is Let's Encrypt's production directory, the CA certificates come from
// unless TLSOptions.ACMEDirectory names another.
const DefaultACMEDirectory = autocert.DefaultACMEDirectory

// TLSOptions says where the HTTPS certificate for Config.Domain comes from.
type TLSOptions struct {
	// Domain is the host the certificate is for and the only one plain HTTP requests are
	// redirected for (Config.Domain; a port in it is kept in redirects, left out of the
	// certificate).
	Domain string
	// CertFile and KeyFile, when both are set, name a PEM certificate chain and its key to serve,
	// read again whenever either file changes (so a renewal by another program needs no restart).
	// Otherwise certificates come from the ACME CA below.
	CertFile, KeyFile string
	// ACMEDirectory is the CA's ACME directory URL (default DefaultACMEDirectory).
	ACMEDirectory string
	// ACMEEmail is the contact address given to the CA for expiry and policy notices (optional).
	ACMEEmail string
	// ACMERoots, when set, is a PEM file of root certificates trusted, besides the system's, for
	// the ACME server's own HTTPS: a private CA's.
	ACMERoots string
	// CacheDir keeps the ACME account key and the certificates, in a folder per CA (mode 0700).
	CacheDir string
	// Watch, when set, records the expiry of the certificate served, for the status page.
	Watch *CertWatch
}

// CertWatch remembers when the certificate last served expires.
type CertWatch struct{ notAfter atomic.Int64 }

// Expiry returns when the certificate last served expires (zero before the first handshake).
func (c *CertWatch) Expiry() time.Time {
	if ms := c.notAfter.Load(); ms != 0 {
		return time.UnixMilli(ms)
	}
	return time.Time{}
}

// watch wraps a GetCertificate function to record each served certificate's expiry.
func (c *CertWatch) watch(get func(*tls.ClientHelloInfo) (*tls.Certificate, error)) func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	if c == nil {
		return get
	}
	return func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		cert, err := get(hello)
		if err == nil && cert != nil {
			leaf := cert.Leaf
			if leaf == nil && len(cert.Certificate) > 0 {
				leaf, _ = x509.ParseCertificate(cert.Certificate[0])
			}
			if leaf != nil {
				c.notAfter.Store(leaf.NotAfter.UnixMilli())
			}
		}
		return cert, err
	}
}

// NewTLS returns the TLS configuration for the HTTPS listener and the handler for the plain HTTP
// listener. With ACME, certificates are obtained on the first handshake and renewed 30 days
// before they expire by golang.org/x/crypto/acme/autocert, proving control of the domain with
// TLS-ALPN-01 (RFC 8737) on the HTTPS listener or HTTP-01 (RFC 8555 §8.3) on the HTTP one. The
// HTTP handler answers those challenges and sends everything else to HTTPS with a 308.
func NewTLS(o TLSOptions, log *slog.Logger) (*tls.Config, http.Handler, error) {
	host := strings.ToLower(o.Domain)
	if h, _, err := net.SplitHostPort(o.Domain); err == nil {
		host = strings.ToLower(h)
	}
	if host == "" {
		return nil, nil, errors.New("tls: a domain is required")
	}
	redirect := redirectToHTTPS(o.Domain, host)
	if o.CertFile != "" || o.KeyFile != "" {
		if o.CertFile == "" || o.KeyFile == "" {
			return nil, nil, errors.New("tls: both a certificate and a key file are required")
		}
		fc := &fileCert{certFile: o.CertFile, keyFile: o.KeyFile, log: log}
		if err := fc.load(); err != nil {
			return nil, nil, err
		}
		return &tls.Config{GetCertificate: o.Watch.watch(fc.get), MinVersion: tls.VersionTLS12}, redirect, nil
	}

	dirURL := o.ACMEDirectory
	if dirURL == "" {
		dirURL = DefaultACMEDirectory
	}
	u, err := url.Parse(dirURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, nil, fmt.Errorf("tls: ACME directory %q: want an https:// URL", dirURL)
	}
	client := &acme.Client{DirectoryURL: dirURL, UserAgent: "Roost"}
	if o.ACMERoots != "" {
		if client.HTTPClient, err = clientTrusting(o.ACMERoots); err != nil {
			return nil, nil, err
		}
	}
	// One folder per CA: a certificate from a staging or test CA must never be served once the
	// directory points at the real one.
	dir := filepath.Join(o.CacheDir, strings.NewReplacer(":", "_", "/", "_", "\\", "_").Replace(u.Host))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("tls: certificate cache: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("tls: certificate cache: %w", err)
	}
	// Only our own name: any other SNI would make us ask the CA for certificates for names chosen
	// by whoever connects, burning the account's rate limits.
	ours := autocert.HostWhitelist(host)
	m := &autocert.Manager{
		Prompt: autocert.AcceptTOS,
		HostPolicy: func(ctx context.Context, name string) error {
			// HTTP-01 requests come here with their Host header, which carries a port when the
			// HTTP listener is not on 80.
			if h, _, err := net.SplitHostPort(name); err == nil {
				name = h
			}
			return ours(ctx, name)
		},
		Cache:  autocert.DirCache(dir),
		Email:  o.ACMEEmail,
		Client: client,
	}
	tc := m.TLSConfig() // NextProtos carries acme.ALPNProto for TLS-ALPN-01
	tc.MinVersion = tls.VersionTLS12
	tc.GetCertificate = o.Watch.watch(tc.GetCertificate)
	return tc, m.HTTPHandler(redirect), nil
}

// redirectToHTTPS sends GET and HEAD requests for host to the same path on https://domain with
// a 308; anything else gets a 400, as a form posted over plain HTTP has already leaked.
func redirectToHTTPS(domain, host string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqHost := r.Host
		if h, _, err := net.SplitHostPort(r.Host); err == nil {
			reqHost = h
		}
		switch {
		case !strings.EqualFold(reqHost, host):
			http.Error(w, "unknown host", http.StatusBadRequest)
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			http.Error(w, "use HTTPS", http.StatusBadRequest)
		default:
			http.Redirect(w, r, "https://"+domain+r.URL.RequestURI(), http.StatusPermanentRedirect)
		}
	})
}

// clientTrusting returns an HTTP client trusting the system's roots and those in the PEM file.
func clientTrusting(file string) (*http.Client, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("tls: ACME roots: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("tls: ACME roots: no PEM certificate in %s", file)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr, Timeout: time.Minute}, nil
}

// fileCert serves a certificate from files, loading them again when either one's modification
// time changes.
type fileCert struct {
	certFile, keyFile string
	log               *slog.Logger

	mu     sync.Mutex
	cert   *tls.Certificate
	stamps [2]time.Time
}

func (f *fileCert) modTimes() ([2]time.Time, error) {
	var out [2]time.Time
	for i, name := range []string{f.certFile, f.keyFile} {
		fi, err := os.Stat(name)
		if err != nil {
			return out, err
		}
		out[i] = fi.ModTime()
	}
	return out, nil
}

func (f *fileCert) load() error {
	stamps, err := f.modTimes()
	if err != nil {
		return fmt.Errorf("tls: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(f.certFile, f.keyFile)
	if err != nil {
		return fmt.Errorf("tls: load %s and %s: %w", f.certFile, f.keyFile, err)
	}
	f.cert, f.stamps = &cert, stamps
	return nil
}

func (f *fileCert) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if stamps, err := f.modTimes(); err == nil && stamps != f.stamps {
		// A half-written renewal fails to load; keep serving the old pair until it is whole.
		if err := f.load(); err != nil {
			f.log.Warn("keeping the previous certificate", slog.Any("err", err))
		} else {
			f.log.Info("certificate reloaded", "file", f.certFile)
		}
	}
	return f.cert, nil
}

// TrustProxies returns next with each request's RemoteAddr replaced by the client's address from
// X-Forwarded-For, but only when the direct peer is in trusted (the reverse proxies in front of
// Roost): anyone else could write any address there, and escape the login throttle with it. The
// list is read from the right, skipping trusted proxies, so a client cannot forge the hop its
// proxy appended. X-Forwarded-Proto and -Host are never read: the scheme and host come from the
// configuration.
func TrustProxies(trusted []netip.Prefix, next http.Handler) http.Handler {
	if len(trusted) == 0 {
		return next
	}
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer, err := netip.ParseAddrPort(r.RemoteAddr)
		if err != nil || !isTrusted(peer.Addr()) {
			next.ServeHTTP(w, r)
			return
		}
		client := peer.Addr()
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := parseHop(hops[i])
			if err != nil {
				break
			}
			client = a
			if !isTrusted(a) {
				break
			}
		}
		if client != peer.Addr() {
			r = r.Clone(r.Context())
			r.RemoteAddr = netip.AddrPortFrom(client.Unmap(), 0).String()
		}
		next.ServeHTTP(w, r)
	})
}

// parseHop reads one X-Forwarded-For entry: an address, possibly with a port.
func parseHop(s string) (netip.Addr, error) {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr(), nil
	}
	return netip.ParseAddr(strings.Trim(s, "[]"))
}
