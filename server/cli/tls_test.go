package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"errors"
	"go/build"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// tlsTestDomain is the name Roost gets a certificate for. A tiny DNS server in the test resolves
// it to 127.0.0.1 for Pebble's validation; autocert refuses single-label names such as localhost.
const tlsTestDomain = "roost.test"

// TestACMEWithPebble proves `roost serve -domain` obtains a certificate by itself from a real
// ACME server: Pebble, Let's Encrypt's test CA, on loopback. Each challenge type is proved
// alone, by pointing Pebble's other validation port at a closed one. A client that trusts only
// Pebble's root then reads WebFinger over HTTPS, and plain HTTP is redirected.
func TestACMEWithPebble(t *testing.T) {
	pebble := findPebble(t)
	for _, challenge := range []string{"tls-alpn-01", "http-01"} {
		t.Run(challenge, func(t *testing.T) { testACME(t, pebble, challenge) })
	}
}

func testACME(t *testing.T, pebble, challenge string) {
	dir := t.TempDir()
	pebbleCert := writeSelfSigned(t, dir)
	dnsAddr := startTestDNS(t, tlsTestDomain, [4]byte{127, 0, 0, 1})

	httpAddr, httpsAddr, closedAddr := freeAddr(t), freeAddr(t), freeAddr(t)
	acmeAddr, mgmtAddr := freeAddr(t), freeAddr(t)
	// Pebble validates HTTP-01 on httpPort and TLS-ALPN-01 on tlsPort of the domain's address.
	valHTTP, valTLS := port(t, httpAddr), port(t, httpsAddr)
	if challenge == "http-01" {
		valTLS = port(t, closedAddr)
	} else {
		valHTTP = port(t, closedAddr)
	}
	var conf struct {
		Pebble map[string]any `json:"pebble"`
	}
	conf.Pebble = map[string]any{
		"listenAddress": acmeAddr, "managementListenAddress": mgmtAddr,
		"certificate": pebbleCert, "privateKey": filepath.Join(dir, "key.pem"),
		"httpPort": valHTTP, "tlsPort": valTLS, "externalAccountBindingRequired": false,
		"keyAlgorithm": "ecdsa",
		// 90 days, as Let's Encrypt: well past autocert's renewal margin, so no renewal starts.
		"profiles": map[string]any{"default": map[string]any{"description": "test", "validityPeriod": 7776000}},
	}
	confJSON, _ := json.Marshal(conf)
	confFile := filepath.Join(dir, "pebble.json")
	if err := os.WriteFile(confFile, confJSON, 0o600); err != nil {
		t.Fatal(err)
	}
	pctx, stopPebble := context.WithCancel(context.Background())
	cmd := exec.CommandContext(pctx, pebble, "-config", confFile, "-dnsserver", dnsAddr)
	cmd.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_VA_ALWAYS_VALID=0", "PEBBLE_WFE_NONCEREJECT=0",
		"PEBBLE_AUTHZREUSE=0")
	pebbleOut := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = pebbleOut, pebbleOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopPebble(); cmd.Wait() })
	defer func() {
		if t.Failed() {
			t.Logf("pebble output:\n%s", pebbleOut)
		}
	}()

	// Pebble's own HTTPS uses the test's self-signed certificate.
	pebbleClient := clientTrusting(t, mustRead(t, pebbleCert))
	waitFor(t, 15*time.Second, "pebble", func() error {
		resp, err := pebbleClient.Get("https://" + acmeAddr + "/dir")
		if err == nil {
			resp.Body.Close()
		}
		return err
	})

	data := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	getenv := func(k string) string { return map[string]string{"ROOST_DATA": data}[k] }
	args := []string{"serve", "-domain", tlsTestDomain, "-http-listen", httpAddr, "-https-listen", httpsAddr,
		"-acme-directory", "https://" + acmeAddr + "/dir", "-acme-ca", pebbleCert}
	go func() { done <- run(ctx, args, getenv, nil, stdout, stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v after shutdown", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("serve did not shut down within 30 s")
		}
	})
	defer func() {
		if t.Failed() {
			t.Logf("roost stderr:\n%s", stderr)
		}
	}()

	// Plain HTTP: a permanent redirect to the same path over HTTPS, for our domain only.
	plain := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var resp *http.Response
	waitFor(t, 10*time.Second, "roost's HTTP listener", func() (err error) {
		req, _ := http.NewRequest("GET", "http://"+httpAddr+"/@me?page=2", nil)
		req.Host = tlsTestDomain
		if resp, err = plain.Do(req); err == nil {
			resp.Body.Close()
		}
		return err
	})
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusPermanentRedirect || loc != "https://"+tlsTestDomain+"/@me?page=2" {
		t.Errorf("http GET /@me?page=2 = %d, Location %q; want 308 to https://%s/@me?page=2", resp.StatusCode, loc, tlsTestDomain)
	}

	// The CA's issuing root, from Pebble's management interface: the only root the client trusts.
	rootResp, err := pebbleClient.Get("https://" + mgmtAddr + "/roots/0")
	if err != nil {
		t.Fatal(err)
	}
	root, _ := io.ReadAll(rootResp.Body)
	rootResp.Body.Close()
	client := clientTrusting(t, root)
	client.Transport.(*http.Transport).DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, httpsAddr)
	}

	// The first handshake starts issuance and waits for it; retry until the certificate is there.
	var body []byte
	waitFor(t, 60*time.Second, "https webfinger", func() error {
		r, err := client.Get("https://" + tlsTestDomain + "/.well-known/webfinger?resource=acct:me@" + tlsTestDomain)
		if err != nil {
			return err
		}
		defer r.Body.Close()
		resp, body = r, nil
		body, err = io.ReadAll(r.Body)
		return err
	})
	if resp.StatusCode != 200 {
		t.Fatalf("webfinger over https: %d %s", resp.StatusCode, body)
	}
	var jrd struct{ Subject string }
	if err := json.Unmarshal(body, &jrd); err != nil || jrd.Subject != "acct:me@"+tlsTestDomain {
		t.Errorf("webfinger subject = %q (%v); body %s", jrd.Subject, err, body)
	}
	if hsts := resp.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(hsts, "max-age=") {
		t.Errorf("Strict-Transport-Security = %q", hsts)
	}
	leaf := resp.TLS.PeerCertificates[0]
	if !slices.Contains(leaf.DNSNames, tlsTestDomain) {
		t.Errorf("certificate names = %v", leaf.DNSNames)
	}
	if !strings.Contains(leaf.Issuer.CommonName, "Pebble") {
		t.Errorf("certificate issuer = %q, want Pebble's", leaf.Issuer)
	}

	// Kept in the data folder, one 0700 folder per CA.
	cache := filepath.Join(data, "certs", strings.ReplaceAll(acmeAddr, ":", "_"))
	if fi, err := os.Stat(cache); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("certificate cache %s: %v %v", cache, fi, err)
	} else if _, err := os.Stat(filepath.Join(cache, tlsTestDomain)); err != nil {
		t.Errorf("certificate not cached: %v", err)
	}

	// Any other name is refused before the CA is asked.
	other := clientTrusting(t, root)
	other.Transport.(*http.Transport).DialContext = client.Transport.(*http.Transport).DialContext
	if r, err := other.Get("https://other.test/"); err == nil {
		r.Body.Close()
		t.Errorf("https for other.test answered %d; want a failed handshake", r.StatusCode)
	}
}

// findPebble returns the pebble binary, skipping the test (failing it under CI=true) without it.
func findPebble(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("pebble"); err == nil {
		return p
	}
	p := filepath.Join(build.Default.GOPATH, "bin", "pebble")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	const why = "pebble not installed: go install github.com/letsencrypt/pebble/v2/cmd/pebble@v2.10.1 (.ci/run does)"
	skipUnlessCI(t, why)
	return ""
}

// writeSelfSigned writes cert.pem and key.pem into dir for 127.0.0.1 and localhost, for Pebble's
// own listeners, and returns the certificate's path.
func writeSelfSigned(t *testing.T, dir string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "pebble test listener"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile := filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile
}

// startTestDNS answers DNS over TCP (what Pebble's -dnsserver speaks) on loopback: name has the
// IPv4 address ip and no IPv6 one; any other name does not exist.
func startTestDNS(t *testing.T, name string, ip [4]byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	fqdn := strings.ToLower(name) + "."
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(30 * time.Second))
				for {
					var n [2]byte
					if _, err := io.ReadFull(c, n[:]); err != nil {
						return
					}
					msg := make([]byte, binary.BigEndian.Uint16(n[:]))
					if _, err := io.ReadFull(c, msg); err != nil {
						return
					}
					out, err := dnsAnswer(msg, fqdn, ip)
					if err != nil {
						return
					}
					binary.BigEndian.PutUint16(out, uint16(len(out)-2))
					if _, err := c.Write(out); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// dnsAnswer builds the reply to query, behind two bytes left for the TCP length prefix.
func dnsAnswer(query []byte, fqdn string, ip [4]byte) ([]byte, error) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, err
	}
	q, err := p.Question()
	if err != nil {
		return nil, err
	}
	known := strings.EqualFold(q.Name.String(), fqdn)
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired}
	if !known {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(make([]byte, 2, 512), rh)
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(q); err != nil {
		return nil, err
	}
	if err := b.StartAnswers(); err != nil {
		return nil, err
	}
	if known && q.Type == dnsmessage.TypeA {
		if err := b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60},
			dnsmessage.AResource{A: ip}); err != nil {
			return nil, err
		}
	}
	return b.Finish()
}

func clientTrusting(t *testing.T, pemCerts []byte) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemCerts) {
		t.Fatalf("no PEM certificate in %q", pemCerts)
	}
	return &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		Timeout:   15 * time.Second,
	}
}

func waitFor(t *testing.T, d time.Duration, what string, try func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := try()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after %s: %v", what, d, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func port(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestServeTLSFlags refuses the -tls combinations that cannot work, before touching anything.
func TestServeTLSFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-tls", "auto"},
		{"-tls", "files", "-domain", "social.example"},
		{"-tls", "sometimes", "-domain", "social.example"},
		{"-tls-cert", "c.pem", "-tls-key", "k.pem"},
		{"-tls", "off", "-tls-cert", "c.pem"},
		{"-tls", "auto", "-domain", "social.example", "-tls-key", "k.pem"},
		{"-domain", "social.example", "-listen", "127.0.0.1:8080"},
		{"-domain", "social.example", "-trusted-proxies", "127.0.0.1"},
		{"-trusted-proxies", "not-an-address"},
	} {
		dir := t.TempDir()
		getenv := func(k string) string { return map[string]string{"ROOST_DATA": dir}[k] }
		stderr := &syncBuffer{}
		err := run(context.Background(), append([]string{"serve"}, args...), getenv, nil, io.Discard, stderr)
		if err == nil {
			t.Errorf("serve %v succeeded", args)
			continue
		}
		if _, serr := os.Stat(filepath.Join(dir, "roost.db")); serr == nil {
			t.Errorf("serve %v: %v, but created a database first", args, err)
		}
	}
}

// TestServeTLSFiles serves HTTPS with a given certificate and key (-tls-cert, -tls-key).
func TestServeTLSFiles(t *testing.T) {
	certFile := writeSelfSigned(t, t.TempDir())
	keyFile := filepath.Join(filepath.Dir(certFile), "key.pem")
	data := t.TempDir()
	httpAddr, httpsAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	getenv := func(k string) string {
		return map[string]string{"ROOST_DATA": data, "ROOST_TLS_CERT": certFile, "ROOST_TLS_KEY": keyFile}[k]
	}
	args := []string{"serve", "-domain", "localhost", "-http-listen", httpAddr, "-https-listen", httpsAddr,
		"-log-level", "debug"}
	go func() { done <- run(ctx, args, getenv, nil, io.Discard, stderr) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v\n%s", err, stderr)
		}
	}()

	client := clientTrusting(t, mustRead(t, certFile))
	var resp *http.Response
	waitFor(t, 10*time.Second, "https", func() (err error) {
		req, _ := http.NewRequest("GET", "https://"+httpsAddr+"/.well-known/webfinger?resource=acct:me@localhost", nil)
		req.Host = "localhost"
		if resp, err = client.Do(req); err == nil {
			resp.Body.Close()
		}
		return err
	})
	if resp.StatusCode != 200 || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("webfinger over https: %d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}

	// A connection closed before its handshake (a scanner, a health check) is logged at debug.
	c, err := net.Dial("tcp", httpsAddr)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	waitFor(t, 10*time.Second, "the handshake failure logged", func() error {
		for _, line := range strings.Split(stderr.String(), "\n") {
			if strings.Contains(line, "TLS handshake error") {
				if !strings.Contains(line, "level=DEBUG") {
					t.Fatalf("a failed handshake logged as %q, want debug", line)
				}
				return nil
			}
		}
		return errors.New("not logged")
	})
}
