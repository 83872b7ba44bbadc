// Package clientip tells who a request comes from as far as rate limits care: the client's
// address, the keys a limit counts it under (its address, its network), and a limiter of events
// per key. The surfaces that throttle (the web sign-in, the client API's app registration) share it.
package clientip

import (
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// Of returns the address a request comes from. Behind trusted reverse proxies, the server has
// already put the client's own address in RemoteAddr.
func Of(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Key is the address a limit counts a client by: an IPv4 address, or the /64 an IPv6 address is
// in (one subscriber's allocation).
func Key(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is6() || a.Is4In6() {
		return ip
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// Network is the network a limit counts a client's by: an IPv4 /24 or an IPv6 /48.
func Network(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	bits := 48
	if a = a.Unmap(); a.Is4() {
		bits = 24
	}
	p, _ := a.Prefix(bits)
	return p.String()
}

// Limiter allows N events per key in any Window. It keeps at most MaxKeys keys; when that many
// have had events within the window, a new key is refused until some go quiet.
type Limiter struct {
	N       int
	Window  time.Duration
	MaxKeys int

	mu   sync.Mutex
	seen map[string][]time.Time // oldest first
}

// Allow reports whether an event for key may happen now, and counts it if so.
func (l *Limiter) Allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen = map[string][]time.Time{}
	}
	if _, ok := l.seen[key]; !ok && len(l.seen) >= l.MaxKeys {
		for k, ts := range l.seen {
			if now.Sub(ts[len(ts)-1]) > l.Window {
				delete(l.seen, k)
			}
		}
		if len(l.seen) >= l.MaxKeys {
			return false
		}
	}
	ts := l.seen[key]
	for len(ts) > 0 && now.Sub(ts[0]) > l.Window {
		ts = ts[1:]
	}
	if len(ts) >= l.N {
		l.seen[key] = ts
		return false
	}
	l.seen[key] = append(ts, now)
	return true
}
