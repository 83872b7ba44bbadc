// Package remote is Roost's one outbound HTTP client: SSRF-guarded dialing, size and time limits, signed
// GETs, ActivityPub fetches and WebFinger.
//
// Every request to another server goes through a [Client]. Its dialer refuses private, loopback,
// link-local and reserved addresses on the address actually connected to (so every resolved IP, DNS
// rebinding and every redirect hop are covered), it never uses a proxy, and it bounds body size, time
// and redirect hops. It guards against server-side request forgery: a peer (or a link in a post) that
// names a local address, or redirects to one, must not make Roost reach its own machine or network; and
// against a peer that answers slowly, endlessly or with a huge body to tie up a worker.
package remote

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"
)

// Defaults applied by [New] to zero fields of [Config].
const (
	DefaultMaxBody = 1 << 20
	DefaultTimeout = 30 * time.Second

	// maxRedirects is the number of redirect hops a GET follows, as Mastodon's follow(max_hops: 3).
	maxRedirects = 3
	// maxErrorBody is how much of a response body Post reads (and discards) so the connection can
	// be reused.
	maxErrorBody = 64 << 10

	dialTimeout           = 5 * time.Second
	tlsHandshakeTimeout   = 10 * time.Second
	responseHeaderTimeout = 10 * time.Second
	idleConnTimeout       = 90 * time.Second
	maxIdleConnsPerHost   = 8
)

// Errors returned (wrapped) by the Client. Test them with errors.Is.
var (
	// ErrForbiddenAddress means the dialer refused an address: private, loopback, link-local,
	// multicast or otherwise reserved, and not in Config.AllowPrivate.
	ErrForbiddenAddress = errors.New("remote: forbidden address")
	// ErrForbiddenURL means a URL (requested or redirected to) was refused before any request:
	// wrong scheme, userinfo, missing host or control characters.
	ErrForbiddenURL = errors.New("remote: forbidden url")
	// ErrTooLarge means a response body was larger than the limit.
	ErrTooLarge = errors.New("remote: response too large")
	// ErrContentType means a response had a media type the caller did not ask for.
	ErrContentType = errors.New("remote: unexpected content type")
	// ErrIDMismatch means a fetched document's "id" is missing, not a string, or not on the origin
	// of the final URL it was served from.
	ErrIDMismatch = errors.New("remote: id does not match origin")
	// ErrTooManyRedirects means a GET was redirected more than three times.
	ErrTooManyRedirects = errors.New("remote: too many redirects")
	// ErrNotFound matches a *StatusError with code 404.
	ErrNotFound = errors.New("remote: not found")
	// ErrGone matches a *StatusError with code 410.
	ErrGone = errors.New("remote: gone")
)

// StatusError is a response with an unwanted status code. errors.Is(err, ErrNotFound) holds for code
// 404 and errors.Is(err, ErrGone) for 410.
type StatusError struct {
	Code int
	// RetryAfter is the parsed Retry-After header (delay-seconds or HTTP-date), zero when absent.
	RetryAfter time.Duration
}

// Error implements error.
func (e *StatusError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("remote: status %d (retry after %s)", e.Code, e.RetryAfter)
	}
	return fmt.Sprintf("remote: status %d", e.Code)
}

// Is reports whether target is ErrNotFound for a 404 or ErrGone for a 410.
func (e *StatusError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Code == http.StatusNotFound
	case ErrGone:
		return e.Code == http.StatusGone
	}
	return false
}

// statusError builds a *StatusError from resp, parsing Retry-After.
func statusError(resp *http.Response, now time.Time) *StatusError {
	return &StatusError{Code: resp.StatusCode, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), now)}
}

// parseRetryAfter reads a Retry-After value, either delay-seconds or an HTTP-date
// (RFC 9110 §10.2.3). Unparsable or past values give zero.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		// Clamp absurd values rather than overflowing.
		if n > int64(365*24*time.Hour/time.Second) {
			n = int64(365 * 24 * time.Hour / time.Second)
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// Config holds the Client's policy.
type Config struct {
	// AllowPrivate lists address ranges that may be dialed even though they are private or loopback
	// (tests and local development pass 127.0.0.0/8 and ::1/128). Empty: only global unicast
	// addresses.
	AllowPrivate []netip.Prefix
	// AllowHTTP lets WebFinger and fetches use plain http:// (development and tests). Without it
	// only https URLs are fetched and http URLs are refused with ErrForbiddenURL. WebFinger tries
	// https first and falls back to http when it is set.
	AllowHTTP bool
	// UserAgent is sent on every request, e.g. "Roost/0.1 (+https://host/)".
	UserAgent string
	// MaxBody caps every response body Fetch and WebFinger read. Default 1 MiB.
	MaxBody int64
	// Timeout bounds each call (all redirect hops and the body read). Default 30 s.
	Timeout time.Duration
	// RootCAs, when set, replaces the system roots (tests and development with a local CA).
	RootCAs *x509.CertPool
}

// Signer signs outgoing GETs (usually as the instance actor) and POSTs. A zero Signer (nil Key)
// sends GETs unsigned.
type Signer struct {
	KeyID string
	Key   *rsa.PrivateKey
}

// Client is the outbound HTTP client. It is safe for concurrent use and keeps connections alive per
// host; make one per process.
type Client struct {
	cfg  Config
	http *http.Client
	log  *slog.Logger
	now  func() time.Time
}

// New returns a Client for cfg, filling in defaults. log may be nil.
func New(cfg Config, log *slog.Logger) *Client {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "Roost"
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	g := guard{allow: cfg.AllowPrivate}
	dialer := &net.Dialer{
		Timeout:   dialTimeout,
		KeepAlive: 30 * time.Second,
		Control:   g.control,
	}
	tr := &http.Transport{
		// Never a proxy: the dial check would see only the proxy's address (Misskey CVE-2021-39195).
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    tlsHandshakeTimeout,
		ResponseHeaderTimeout:  responseHeaderTimeout,
		ExpectContinueTimeout:  time.Second,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    maxIdleConnsPerHost,
		IdleConnTimeout:        idleConnTimeout,
		MaxResponseHeaderBytes: 64 << 10,
		TLSClientConfig:        &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12},
	}
	return &Client{
		cfg: cfg,
		http: &http.Client{
			Transport: tr,
			// Redirects are followed by hand so that every hop is re-checked and re-signed; POSTs
			// never follow them.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		log: log.With("sub", "remote"),
		now: time.Now,
	}
}

// CloseIdleConnections closes idle keep-alive connections, for shutdown.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }
