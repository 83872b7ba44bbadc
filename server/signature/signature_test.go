package signature

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	ourHost = "roost.test"
	inbox   = "https://roost.test/users/me/inbox"
	peerKey = "https://peer.test/users/alice#main-key"
)

var activity = []byte(`{"@context":"https://www.w3.org/ns/activitystreams","id":"https://peer.test/a/1","type":"Follow","actor":"https://peer.test/users/alice","object":"https://roost.test/users/me"}`)

// Keys are slow to make, so the tests share them.
var (
	testKey  = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA(2048) })
	otherKey = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA(2048) })
)

func mustRSA(bits int) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		panic(err)
	}
	return k
}

// wire sends req through http.Request.Write and http.ReadRequest, so the result looks exactly as a
// server handler would see it: Host moved out of the header map, RequestURI set.
func wire(t testing.TB, req *http.Request, body []byte) *http.Request {
	t.Helper()
	if body != nil {
		req.Body = nopCloser{bytes.NewReader(body)}
		req.ContentLength = int64(len(body))
	}
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		t.Fatalf("write request: %v", err)
	}
	r, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatalf("read request: %v", err)
	}
	return r
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

func newRequest(t testing.TB, method, target string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func setDigest(req *http.Request, body []byte) {
	sum := sha256.Sum256(body)
	req.Header.Set("Digest", "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]))
}

// hand describes a signature built with the standard library only, the way other servers build them.
type hand struct {
	keyID     string
	algorithm string
	headers   string // space separated, "" for none
	created   int64
	expires   int64
	auth      bool // Authorization: Signature instead of Signature
}

// signingString builds the draft-cavage signing string for req by hand.
func signingString(t testing.TB, req *http.Request, headers []string, created, expires int64) string {
	t.Helper()
	var lines []string
	for _, h := range headers {
		switch h {
		case "(request-target)":
			target := req.URL.EscapedPath()
			if req.URL.RawQuery != "" {
				target += "?" + req.URL.RawQuery
			}
			lines = append(lines, "(request-target): "+strings.ToLower(req.Method)+" "+target)
		case "(created)":
			lines = append(lines, "(created): "+strconv.FormatInt(created, 10))
		case "(expires)":
			lines = append(lines, "(expires): "+strconv.FormatInt(expires, 10))
		case "host":
			lines = append(lines, "host: "+req.Host)
		default:
			lines = append(lines, h+": "+strings.Join(req.Header.Values(h), ", "))
		}
	}
	return strings.Join(lines, "\n")
}

// handSign signs req with key (an *rsa.PrivateKey, ed25519.PrivateKey, or []byte for HMAC) without
// go-fed, and sets the header.
func handSign(t testing.TB, req *http.Request, key any, h hand) {
	t.Helper()
	if req.Header.Get("Date") == "" {
		req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	}
	headers := []string{"date"}
	if h.headers != "" {
		headers = strings.Fields(h.headers)
	}
	s := signingString(t, req, headers, h.created, h.expires)
	var sig []byte
	switch k := key.(type) {
	case *rsa.PrivateKey:
		sum := sha256.Sum256([]byte(s))
		var err error
		if sig, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:]); err != nil {
			t.Fatal(err)
		}
	case ed25519.PrivateKey:
		sig = ed25519.Sign(k, []byte(s))
	case []byte:
		m := hmac.New(sha256.New, k)
		m.Write([]byte(s))
		sig = m.Sum(nil)
	default:
		t.Fatalf("key type %T", key)
	}
	v := fmt.Sprintf(`keyId="%s"`, h.keyID)
	if h.algorithm != "" {
		v += fmt.Sprintf(`,algorithm="%s"`, h.algorithm)
	}
	if h.created != 0 {
		v += fmt.Sprintf(",created=%d", h.created)
	}
	if h.expires != 0 {
		v += fmt.Sprintf(",expires=%d", h.expires)
	}
	if h.headers != "" {
		v += fmt.Sprintf(`,headers="%s"`, h.headers)
	}
	v += fmt.Sprintf(`,signature="%s"`, base64.StdEncoding.EncodeToString(sig))
	if h.auth {
		req.Header.Set("Authorization", "Signature "+v)
	} else {
		req.Header.Set("Signature", v)
	}
}

func TestSignRoundTrip(t *testing.T) {
	key := testKey()
	tests := []struct {
		name   string
		method string
		target string
		body   []byte
	}{
		{"post", "POST", inbox, activity},
		{"post empty body", "POST", inbox, []byte{}},
		{"get", "GET", "https://roost.test/users/me", nil},
		{"get with query", "GET", "https://roost.test/users/me/outbox?page=true&min_id=0", nil},
		{"escaped path", "POST", "https://roost.test/users/a%40b/inbox", activity},
		{"host with port", "GET", "https://roost.test:8443/users/me", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(t, tt.method, tt.target)
			if err := Sign(req, tt.body, peerKey, key); err != nil {
				t.Fatalf("Sign: %v", err)
			}
			sig := req.Header.Get("Signature")
			for _, want := range []string{`algorithm="rsa-sha256"`, `keyId="` + peerKey + `"`} {
				if !strings.Contains(sig, want) {
					t.Errorf("Signature %q lacks %s", sig, want)
				}
			}
			if strings.Contains(sig, "created") || strings.Contains(sig, "expires") {
				t.Errorf("Signature %q carries created/expires", sig)
			}
			r := wire(t, req, tt.body)
			p, err := Check(r, tt.body, []string{"ROOST.test", req.URL.Host}, time.Now())
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if p.KeyID != peerKey {
				t.Errorf("KeyID = %q", p.KeyID)
			}
			if err := Verify(r, &key.PublicKey); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if err := Verify(r, &otherKey().PublicKey); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("Verify with another key: %v, want ErrBadSignature", err)
			}
		})
	}
}

// TestSignVerifiedByStdlib checks what Sign produces against a signing string built by hand and
// crypto/rsa, so the interop claim does not rest on go-fed in both directions.
func TestSignVerifiedByStdlib(t *testing.T) {
	key := testKey()
	for _, target := range []string{inbox, "https://roost.test/users/me/outbox?page=2"} {
		req := newRequest(t, "POST", target)
		req.Header.Set("Date", "Tue, 07 Jun 2026 20:51:35 GMT")
		if err := Sign(req, activity, peerKey, key); err != nil {
			t.Fatal(err)
		}
		if got := req.Header.Get("Date"); got != "Tue, 07 Jun 2026 20:51:35 GMT" {
			t.Errorf("Date overwritten: %q", got)
		}
		p, err := Parse(req.Header.Get("Signature"))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(p.Headers, " "); got != "(request-target) host date digest" {
			t.Errorf("headers = %q", got)
		}
		s := signingString(t, req, p.Headers, 0, 0)
		sum := sha256.Sum256([]byte(s))
		if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, sum[:], p.Signature); err != nil {
			t.Errorf("%s: stdlib cannot verify Sign's output over %q: %v", target, s, err)
		}
	}
}

func TestSignErrors(t *testing.T) {
	req := newRequest(t, "GET", "https://roost.test/")
	if err := Sign(req, nil, `https://x.test/k"`, testKey()); err == nil {
		t.Error("keyId with a quote accepted")
	}
	if err := Sign(req, nil, peerKey, nil); err == nil {
		t.Error("nil key accepted")
	}
}

// TestPeers verifies signatures shaped as each peer sends them (research/interop-quirks.md),
// built by hand with the standard library.
func TestPeers(t *testing.T) {
	key := testKey()
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tests := []struct {
		name   string
		method string
		target string
		h      hand
		key    any
		pub    crypto.PublicKey
	}{
		{"mastodon", "POST", inbox, hand{keyID: peerKey, algorithm: "rsa-sha256", headers: "(request-target) host date digest"}, key, &key.PublicKey},
		{"gotosocial hs2019", "POST", inbox, hand{keyID: "https://peer.test/users/x/main-key", algorithm: "hs2019", headers: "(request-target) host date digest"}, key, &key.PublicKey},
		{"gotosocial get", "GET", "https://roost.test/users/me", hand{keyID: "https://peer.test/users/x/main-key", algorithm: "hs2019", headers: "(request-target) host date"}, key, &key.PublicKey},
		{"snac order", "POST", inbox, hand{keyID: "https://peer.test/alice#main-key", algorithm: "rsa-sha256", headers: "(request-target) host digest date"}, key, &key.PublicKey},
		{"fedify content-type", "POST", inbox, hand{keyID: peerKey, algorithm: "rsa-sha256", headers: "(request-target) host date digest content-type"}, key, &key.PublicKey},
		{"honk", "POST", inbox, hand{keyID: "https://peer.test/u/alice#key", algorithm: "rsa-sha256", headers: "(request-target) date host content-type digest"}, key, &key.PublicKey},
		{"misskey", "POST", inbox, hand{keyID: "https://peer.test/users/9abc#main-key", algorithm: "rsa-sha256", headers: "(request-target) date host digest"}, key, &key.PublicKey},
		{"no algorithm", "POST", inbox, hand{keyID: peerKey, headers: "(request-target) host date digest"}, key, &key.PublicKey},
		{"authorization header", "POST", inbox, hand{keyID: peerKey, algorithm: "rsa-sha256", headers: "(request-target) host date digest", auth: true}, key, &key.PublicKey},
		{"created instead of date", "POST", inbox, hand{keyID: peerKey, algorithm: "hs2019", headers: "(request-target) (created) host digest", created: now.Unix()}, key, &key.PublicKey},
		{"ed25519", "POST", inbox, hand{keyID: peerKey, algorithm: "ed25519", headers: "(request-target) host date digest"}, edPriv, edPub},
		{"ed25519 pointer hs2019", "POST", inbox, hand{keyID: peerKey, algorithm: "hs2019", headers: "(request-target) host date digest"}, edPriv, &edPub},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(t, tt.method, tt.target)
			var body []byte
			if tt.method == "POST" {
				body = activity
				req.Header.Set("Content-Type", "application/activity+json")
				setDigest(req, body)
			}
			handSign(t, req, tt.key, tt.h)
			r := wire(t, req, body)
			if _, err := Check(r, body, []string{ourHost}, now); err != nil {
				t.Fatalf("Check: %v", err)
			}
			if err := Verify(r, tt.pub); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

func TestCheckRejects(t *testing.T) {
	key := testKey()
	now := time.Now()
	mastodon := hand{keyID: peerKey, algorithm: "rsa-sha256", headers: "(request-target) host date digest"}
	post := func(t *testing.T, h hand) *http.Request {
		req := newRequest(t, "POST", inbox)
		setDigest(req, activity)
		handSign(t, req, key, h)
		return req
	}
	withKeyID := func(id string) hand { h := mastodon; h.keyID = id; return h }
	tests := []struct {
		name  string
		req   func(t *testing.T) *http.Request
		body  []byte
		hosts []string
		want  error
	}{
		{"no signature", func(t *testing.T) *http.Request { return newRequest(t, "POST", inbox) }, activity, nil, ErrUnsigned},
		{"bearer only", func(t *testing.T) *http.Request {
			req := newRequest(t, "GET", inbox)
			req.Header.Set("Authorization", "Bearer abc")
			return req
		}, nil, nil, ErrUnsigned},
		{"rfc 9421 only", func(t *testing.T) *http.Request {
			req := newRequest(t, "POST", inbox)
			req.Header.Set("Signature-Input", `sig1=("@method" "@target-uri" "content-digest");created=1732600000;keyid="https://peer.test/users/alice#main-key"`)
			req.Header.Set("Signature", "sig1=:dGVzdHNpZ25hdHVyZQ==:")
			req.Header.Set("Content-Digest", "sha-256=:abc=:")
			return req
		}, activity, nil, ErrUnsigned},
		{"headers=date only", func(t *testing.T) *http.Request {
			return post(t, hand{keyID: peerKey, algorithm: "rsa-sha256", headers: "date"})
		}, activity, nil, ErrPolicy},
		{"no headers param", func(t *testing.T) *http.Request { return post(t, hand{keyID: peerKey, algorithm: "rsa-sha256"}) }, activity, nil, ErrPolicy},
		{"digest not signed", func(t *testing.T) *http.Request {
			return post(t, hand{keyID: peerKey, headers: "(request-target) host date"})
		}, activity, nil, ErrPolicy},
		{"host not signed", func(t *testing.T) *http.Request {
			return post(t, hand{keyID: peerKey, headers: "(request-target) date digest"})
		}, activity, nil, ErrPolicy},
		{"request-target not signed", func(t *testing.T) *http.Request { return post(t, hand{keyID: peerKey, headers: "host date digest"}) }, activity, nil, ErrPolicy},
		{"body changed after signing", func(t *testing.T) *http.Request { return post(t, mastodon) }, append(append([]byte{}, activity...), ' '), nil, ErrPolicy},
		{"digest header missing", func(t *testing.T) *http.Request {
			req := post(t, mastodon)
			req.Header.Del("Digest")
			return req
		}, activity, nil, ErrPolicy},
		{"digest md5 only", func(t *testing.T) *http.Request {
			req := post(t, mastodon)
			req.Header.Set("Digest", "MD5=Q2hlY2sgSW50ZWdyaXR5IQ==")
			return req
		}, activity, nil, ErrPolicy},
		{"digest sha-512 wrong beside good sha-256", func(t *testing.T) *http.Request {
			req := post(t, mastodon)
			req.Header.Set("Digest", req.Header.Get("Digest")+",SHA-512=AAAA")
			return req
		}, activity, nil, ErrPolicy},
		{"date 2h old", func(t *testing.T) *http.Request {
			req := newRequest(t, "POST", inbox)
			req.Header.Set("Date", now.Add(-2*time.Hour).UTC().Format(http.TimeFormat))
			setDigest(req, activity)
			handSign(t, req, key, mastodon)
			return req
		}, activity, nil, ErrPolicy},
		{"date 2h future", func(t *testing.T) *http.Request {
			req := newRequest(t, "POST", inbox)
			req.Header.Set("Date", now.Add(2*time.Hour).UTC().Format(http.TimeFormat))
			setDigest(req, activity)
			handSign(t, req, key, mastodon)
			return req
		}, activity, nil, ErrPolicy},
		{"date unparsable", func(t *testing.T) *http.Request {
			req := newRequest(t, "POST", inbox)
			req.Header.Set("Date", "yesterday")
			setDigest(req, activity)
			handSign(t, req, key, mastodon)
			return req
		}, activity, nil, ErrPolicy},
		{"created 2h future", func(t *testing.T) *http.Request {
			return post(t, hand{keyID: peerKey, algorithm: "hs2019", headers: "(request-target) (created) host digest", created: now.Add(2 * time.Hour).Unix()})
		}, activity, nil, ErrPolicy},
		{"expired", func(t *testing.T) *http.Request {
			return post(t, hand{keyID: peerKey, algorithm: "hs2019", headers: "(request-target) (created) (expires) host digest",
				created: now.Add(-3 * time.Hour).Unix(), expires: now.Add(-2 * time.Hour).Unix()})
		}, activity, nil, ErrPolicy},
		{"created 2h old, default expiry", func(t *testing.T) *http.Request {
			return post(t, hand{keyID: peerKey, algorithm: "hs2019", headers: "(request-target) (created) host digest", created: now.Add(-2 * time.Hour).Unix()})
		}, activity, nil, ErrPolicy},
		{"(created) signed without created", func(t *testing.T) *http.Request {
			req := newRequest(t, "POST", inbox)
			setDigest(req, activity)
			req.Header.Set("Signature", `keyId="`+peerKey+`",headers="(request-target) (created) host digest",signature="AAAA"`)
			return req
		}, activity, nil, ErrMalformed},
		{"host mismatch (replay)", func(t *testing.T) *http.Request {
			req := newRequest(t, "POST", "https://third.test/users/bob/inbox")
			setDigest(req, activity)
			handSign(t, req, key, mastodon)
			return req
		}, activity, nil, ErrPolicy},
		{"no hosts configured", func(t *testing.T) *http.Request { return post(t, mastodon) }, activity, []string{}, ErrPolicy},
		{"keyId with userinfo", func(t *testing.T) *http.Request { return post(t, withKeyID("https://victim.test@evil.test/k")) }, activity, nil, ErrPolicy},
		{"keyId relative", func(t *testing.T) *http.Request { return post(t, withKeyID("/users/alice#main-key")) }, activity, nil, ErrPolicy},
		{"keyId ftp", func(t *testing.T) *http.Request { return post(t, withKeyID("ftp://peer.test/k")) }, activity, nil, ErrPolicy},
		{"keyId acct", func(t *testing.T) *http.Request { return post(t, withKeyID("acct:alice@peer.test")) }, activity, nil, ErrPolicy},
		{"algorithm hmac-sha256", func(t *testing.T) *http.Request {
			h := mastodon
			h.algorithm = "hmac-sha256"
			return post(t, h)
		}, activity, nil, ErrPolicy},
		{"both Signature and Authorization", func(t *testing.T) *http.Request {
			req := post(t, mastodon)
			req.Header.Set("Authorization", "Signature "+req.Header.Get("Signature"))
			return req
		}, activity, nil, ErrMalformed},
		{"two Signature headers", func(t *testing.T) *http.Request {
			req := post(t, mastodon)
			req.Header.Add("Signature", req.Header.Get("Signature"))
			return req
		}, activity, nil, ErrMalformed},
		{"duplicated keyId", func(t *testing.T) *http.Request {
			req := post(t, mastodon)
			req.Header.Set("Signature", `keyId="https://evil.test/k",`+req.Header.Get("Signature"))
			return req
		}, activity, nil, ErrMalformed},
		{"unterminated quote", func(t *testing.T) *http.Request {
			req := post(t, mastodon)
			req.Header.Set("Signature", strings.TrimSuffix(req.Header.Get("Signature"), `"`))
			return req
		}, activity, nil, ErrMalformed},
		{"empty headers", func(t *testing.T) *http.Request {
			req := post(t, mastodon)
			req.Header.Set("Signature", `keyId="`+peerKey+`",headers="",signature="AAAA"`)
			return req
		}, activity, nil, ErrMalformed},
		{"get with body needs digest", func(t *testing.T) *http.Request {
			req := newRequest(t, "GET", inbox)
			handSign(t, req, key, hand{keyID: peerKey, headers: "(request-target) host date"})
			return req
		}, activity, nil, ErrPolicy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hosts := tt.hosts
			if hosts == nil {
				hosts = []string{ourHost}
			}
			_, err := Check(tt.req(t), tt.body, hosts, now)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Check = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestCheckDigestVariants(t *testing.T) {
	s256 := sha256.Sum256(activity)
	s512 := sha512.Sum512(activity)
	b256 := base64.StdEncoding.EncodeToString(s256[:])
	b512 := base64.StdEncoding.EncodeToString(s512[:])
	for _, digest := range []string{
		"SHA-256=" + b256,
		"sha-256=" + b256,
		"SHA-256=" + b256 + ",SHA-512=" + b512,
		"MD5=Q2hlY2sgSW50ZWdyaXR5IQ==, SHA-256=" + b256,
		"SHA-512=" + b512,
	} {
		req := newRequest(t, "POST", inbox)
		req.Header.Set("Digest", digest)
		handSign(t, req, testKey(), hand{keyID: peerKey, headers: "(request-target) host date digest"})
		if _, err := Check(req, activity, []string{ourHost}, time.Now()); err != nil {
			t.Errorf("Digest %q: %v", digest, err)
		}
	}
}

func TestCheckDateWindow(t *testing.T) {
	now := time.Now()
	for _, tt := range []struct {
		skew time.Duration
		ok   bool
	}{
		{-59 * time.Minute, true},
		{59 * time.Minute, true},
		{-61 * time.Minute, false},
		{61 * time.Minute, false},
	} {
		req := newRequest(t, "GET", "https://roost.test/users/me")
		req.Header.Set("Date", now.Add(tt.skew).UTC().Format(http.TimeFormat))
		handSign(t, req, testKey(), hand{keyID: peerKey, headers: "(request-target) host date"})
		_, err := Check(req, nil, []string{ourHost}, now)
		if (err == nil) != tt.ok {
			t.Errorf("skew %v: err = %v, want ok=%v", tt.skew, err, tt.ok)
		}
	}
}

func TestVerifyRejects(t *testing.T) {
	key := testKey()
	pemText, err := EncodePublicKeyPEM(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	small := mustRSA(1024)
	mastodon := hand{keyID: peerKey, algorithm: "rsa-sha256", headers: "(request-target) host date digest"}
	tests := []struct {
		name string
		req  func(t *testing.T) *http.Request
		pub  crypto.PublicKey
		want error
	}{
		{"hmac keyed on the public PEM, labelled hmac", func(t *testing.T) *http.Request {
			req := newRequest(t, "POST", inbox)
			setDigest(req, activity)
			handSign(t, req, []byte(pemText), hand{keyID: peerKey, algorithm: "hmac-sha256", headers: mastodon.headers})
			return req
		}, &key.PublicKey, ErrPolicy},
		{"hmac keyed on the public PEM, labelled hs2019", func(t *testing.T) *http.Request {
			req := newRequest(t, "POST", inbox)
			setDigest(req, activity)
			handSign(t, req, []byte(pemText), hand{keyID: peerKey, algorithm: "hs2019", headers: mastodon.headers})
			return req
		}, &key.PublicKey, ErrBadSignature},
		{"rsa key labelled ed25519", func(t *testing.T) *http.Request {
			req := newRequest(t, "POST", inbox)
			setDigest(req, activity)
			handSign(t, req, key, hand{keyID: peerKey, algorithm: "ed25519", headers: mastodon.headers})
			return req
		}, &key.PublicKey, ErrPolicy},
		{"ed25519 key labelled rsa-sha256", func(t *testing.T) *http.Request {
			req := newRequest(t, "POST", inbox)
			setDigest(req, activity)
			handSign(t, req, key, mastodon)
			return req
		}, edPub, ErrPolicy},
		{"rsa signature checked with ed25519 key", func(t *testing.T) *http.Request {
			req := newRequest(t, "POST", inbox)
			setDigest(req, activity)
			handSign(t, req, key, hand{keyID: peerKey, algorithm: "hs2019", headers: mastodon.headers})
			return req
		}, edPub, ErrBadSignature},
		{"1024-bit key", func(t *testing.T) *http.Request {
			req := newRequest(t, "POST", inbox)
			setDigest(req, activity)
			handSign(t, req, small, mastodon)
			return req
		}, &small.PublicKey, ErrPolicy},
		{"unsupported key type", func(t *testing.T) *http.Request {
			req := newRequest(t, "POST", inbox)
			setDigest(req, activity)
			handSign(t, req, key, mastodon)
			return req
		}, []byte(pemText), ErrPolicy},
		{"signed content-type changed", func(t *testing.T) *http.Request {
			req := newRequest(t, "POST", inbox)
			req.Header.Set("Content-Type", "application/activity+json")
			setDigest(req, activity)
			handSign(t, req, key, hand{keyID: peerKey, headers: "(request-target) host date digest content-type"})
			req.Header.Set("Content-Type", "text/html")
			return req
		}, &key.PublicKey, ErrBadSignature},
		{"signed for outbox, sent to inbox", func(t *testing.T) *http.Request {
			req := newRequest(t, "POST", "https://roost.test/users/me/outbox")
			setDigest(req, activity)
			handSign(t, req, key, mastodon)
			req.URL.Path = "/users/me/inbox"
			return req
		}, &key.PublicKey, ErrBadSignature},
		{"post signed without its query", func(t *testing.T) *http.Request {
			req := newRequest(t, "POST", inbox)
			setDigest(req, activity)
			handSign(t, req, key, mastodon)
			req.URL.RawQuery = "x=1"
			return req
		}, &key.PublicKey, ErrBadSignature},
		{"signed header missing", func(t *testing.T) *http.Request {
			req := newRequest(t, "POST", inbox)
			req.Header.Set("Content-Type", "application/activity+json")
			setDigest(req, activity)
			handSign(t, req, key, hand{keyID: peerKey, headers: "(request-target) host date digest content-type"})
			req.Header.Del("Content-Type")
			return req
		}, &key.PublicKey, ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := wire(t, tt.req(t), activity)
			err := Verify(r, tt.pub)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestVerifyQuerylessGet accepts a GET whose signer left the query out of (request-target), as
// GoToSocial does for Mastodon's signed fetches.
func TestVerifyQuerylessGet(t *testing.T) {
	key := testKey()
	req := newRequest(t, "GET", "https://roost.test/users/me/outbox")
	handSign(t, req, key, hand{keyID: peerKey, algorithm: "rsa-sha256", headers: "(request-target) host date"})
	req.URL.RawQuery = "page=true"
	r := wire(t, req, nil)
	if r.RequestURI != "/users/me/outbox?page=true" {
		t.Fatalf("RequestURI = %q", r.RequestURI)
	}
	if err := Verify(r, &key.PublicKey); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestParse(t *testing.T) {
	sig := base64.StdEncoding.EncodeToString([]byte("signature bytes"))
	tests := []struct {
		name  string
		value string
		want  Params
		err   bool
	}{
		{"mastodon", `keyId="https://a.test/users/x#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="` + sig + `"`,
			Params{KeyID: "https://a.test/users/x#main-key", Algorithm: "rsa-sha256", Headers: []string{"(request-target)", "host", "date", "digest"}, Signature: []byte("signature bytes")}, false},
		{"spaces, case, unquoted numbers", ` keyid="k", Algorithm="HS2019" , created=1700000000,expires="1700000300", headers="(Request-Target) Host",signature="` + sig + `" `,
			Params{KeyID: "k", Algorithm: "hs2019", Headers: []string{"(request-target)", "host"}, Signature: []byte("signature bytes"), Created: 1700000000, Expires: 1700000300}, false},
		{"default headers", `keyId="k",signature="` + sig + `"`, Params{KeyID: "k", Headers: []string{"date"}, Signature: []byte("signature bytes")}, false},
		{"unknown param ignored", `keyId="k",foo="bar",signature="` + sig + `"`, Params{KeyID: "k", Headers: []string{"date"}, Signature: []byte("signature bytes")}, false},
		{"escaped quote in keyId", `keyId="a\"b",signature="` + sig + `"`, Params{KeyID: `a"b`, Headers: []string{"date"}, Signature: []byte("signature bytes")}, false},
		{"escapes first and last", `keyId="\"a\\",signature="` + sig + `"`, Params{KeyID: `"a\`, Headers: []string{"date"}, Signature: []byte("signature bytes")}, false},
		{"comma inside keyId", `keyId="https://a.test/k,headers=date",headers="(request-target) host date digest",signature="` + sig + `"`,
			Params{KeyID: "https://a.test/k,headers=date", Headers: []string{"(request-target)", "host", "date", "digest"}, Signature: []byte("signature bytes")}, false},
		{"empty", ``, Params{}, true},
		{"missing keyId", `signature="` + sig + `"`, Params{}, true},
		{"empty keyId", `keyId="",signature="` + sig + `"`, Params{}, true},
		{"missing signature", `keyId="k",headers="date"`, Params{}, true},
		{"empty signature", `keyId="k",signature=""`, Params{}, true},
		{"bad base64", `keyId="k",signature="!!!"`, Params{}, true},
		{"empty headers", `keyId="k",headers="",signature="` + sig + `"`, Params{}, true},
		{"blank headers", `keyId="k",headers="  ",signature="` + sig + `"`, Params{}, true},
		{"header twice", `keyId="k",headers="date date",signature="` + sig + `"`, Params{}, true},
		{"bad header name", `keyId="k",headers="da:te",signature="` + sig + `"`, Params{}, true},
		{"unbalanced paren", `keyId="k",headers="(created",signature="` + sig + `"`, Params{}, true},
		{"duplicate keyId", `keyId="k",keyId="j",signature="` + sig + `"`, Params{}, true},
		{"duplicate differing case", `keyId="k",KEYID="j",signature="` + sig + `"`, Params{}, true},
		{"unterminated quote", `keyId="k,signature="` + sig, Params{}, true},
		{"trailing backslash", `keyId="k\`, Params{}, true},
		{"trailing comma", `keyId="k",signature="` + sig + `",`, Params{}, true},
		{"missing comma", `keyId="k" signature="` + sig + `"`, Params{}, true},
		{"no value", `keyId,signature="` + sig + `"`, Params{}, true},
		{"empty unquoted value", `keyId=,signature="` + sig + `"`, Params{}, true},
		{"bad created", `keyId="k",created=soon,signature="` + sig + `"`, Params{}, true},
		{"negative created", `keyId="k",created=-5,signature="` + sig + `"`, Params{}, true},
		{"control character", "keyId=\"k\x00\",signature=\"" + sig + "\"", Params{}, true},
		{"escaped control character", "keyId=\"k\\\x01\",signature=\"" + sig + "\"", Params{}, true},
		{"rfc 9421", `sig1=:` + sig + `:`, Params{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.value)
			if tt.err {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("Parse(%q) = %+v, %v; want ErrMalformed", tt.value, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.value, err)
			}
			if !paramsEqual(got, tt.want) {
				t.Fatalf("Parse(%q) = %+v, want %+v", tt.value, got, tt.want)
			}
			again, err := Parse(got.String())
			if err != nil || !paramsEqual(again, got) {
				t.Fatalf("Parse(String()) = %+v, %v; want %+v", again, err, got)
			}
		})
	}
}

func paramsEqual(a, b Params) bool {
	return a.KeyID == b.KeyID && a.Algorithm == b.Algorithm && strings.Join(a.Headers, " ") == strings.Join(b.Headers, " ") &&
		bytes.Equal(a.Signature, b.Signature) && a.Created == b.Created && a.Expires == b.Expires
}

func TestKeysPEM(t *testing.T) {
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if key.N.BitLen() != 2048 {
		t.Errorf("key has %d bits", key.N.BitLen())
	}
	privPEM, err := EncodePrivateKeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(privPEM, "-----BEGIN PRIVATE KEY-----\n") {
		t.Errorf("private PEM starts %q", privPEM[:30])
	}
	back, err := ParsePrivateKeyPEM(privPEM)
	if err != nil || !back.Equal(key) {
		t.Fatalf("ParsePrivateKeyPEM: %v", err)
	}
	pubPEM, err := EncodePublicKeyPEM(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(pubPEM, "-----BEGIN PUBLIC KEY-----\n") {
		t.Errorf("public PEM starts %q", pubPEM[:30])
	}
	pkcs1 := "-----BEGIN RSA PUBLIC KEY-----\n" + base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(&key.PublicKey)) + "\n-----END RSA PUBLIC KEY-----\n"
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	edPEM, err := EncodePublicKeyPEM(edPub)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]string{
		"pkix":       pubPEM,
		"crlf":       strings.ReplaceAll(pubPEM, "\n", "\r\n"),
		"whitespace": "\n\n  " + pubPEM + "\n  ",
		"pkcs1":      pkcs1,
	} {
		got, err := ParsePublicKeyPEM(s)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if rk, ok := got.(*rsa.PublicKey); !ok || !rk.Equal(&key.PublicKey) {
			t.Errorf("%s: got %T, not the key", name, got)
		}
	}
	if got, err := ParsePublicKeyPEM(edPEM); err != nil || !edPub.Equal(got) {
		t.Errorf("ed25519: %T, %v", got, err)
	}
	for _, bad := range []string{"", "not pem", privPEM, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"} {
		if _, err := ParsePublicKeyPEM(bad); err == nil {
			t.Errorf("ParsePublicKeyPEM(%.20q) accepted", bad)
		}
	}
	if _, err := ParsePrivateKeyPEM(pubPEM); err == nil {
		t.Error("ParsePrivateKeyPEM accepted a public key")
	}
}

func BenchmarkVerify(b *testing.B) {
	key := testKey()
	req := newRequest(b, "POST", inbox)
	if err := Sign(req, activity, peerKey, key); err != nil {
		b.Fatal(err)
	}
	r := wire(b, req, activity)
	for b.Loop() {
		if err := Verify(r, &key.PublicKey); err != nil {
			b.Fatal(err)
		}
	}
}
