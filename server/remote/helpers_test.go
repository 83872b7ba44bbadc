package remote

import (
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"roost/server/signature"
)

// loopback is the AllowPrivate list tests pass to reach httptest servers.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// newTestClient returns a Client allowed to reach loopback over plain http; mod adjusts the config.
func newTestClient(t *testing.T, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{AllowPrivate: loopback, AllowHTTP: true, UserAgent: "Roost/test", Timeout: 10 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c := New(cfg, nil)
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// countingListener counts accepted connections, to prove that a refused dial reached nothing.
type countingListener struct {
	net.Listener
	n atomic.Int32
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// newCountingServer starts an httptest server on 127.0.0.1 whose listener counts connections.
func newCountingServer(t *testing.T, h http.Handler) (*httptest.Server, *countingListener) {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	l := &countingListener{Listener: srv.Listener}
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, l
}

// newServer starts an httptest server on 127.0.0.1.
func newServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// writeAS writes a minimal ActivityStreams document with the given id.
func writeAS(w http.ResponseWriter, id string) {
	w.Header().Set("Content-Type", "application/activity+json")
	fmt.Fprintf(w, `{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"Note"}`, id)
}

// testKey returns one RSA key per test binary; generating 2048-bit keys is slow.
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := signature.GenerateKey()
	if err != nil {
		panic(err)
	}
	return k
})

// tlsServer is an httptest TLS server with a pool that trusts it.
type tlsServer struct {
	*httptest.Server
	pool *x509.CertPool
}

// httptestTLS starts an https httptest server on 127.0.0.1.
func httptestTLS(t *testing.T, h http.Handler) tlsServer {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return tlsServer{Server: srv, pool: pool}
}
