package server

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"roost/server/app"
	"roost/server/webpush"
	"roost/store"
)

// Web Push as a phone app uses it: the app subscribes with its keys and a push service's URL
// (here a local receiver), Roost encrypts each notification the app asked for to those keys and
// signs the request with its VAPID key, and the test opens the message as the phone would.

// pushDevice is an app's subscription keys (what the browser's PushManager makes) and the push
// service it subscribed at, which records what Roost sends and answers with status.
type pushDevice struct {
	key    *ecdh.PrivateKey
	auth   []byte
	srv    *httptest.Server
	status atomic.Int64

	mu  sync.Mutex
	got []*http.Request
	bod [][]byte
}

func newPushDevice(t *testing.T) *pushDevice {
	t.Helper()
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	d := &pushDevice{key: key, auth: make([]byte, 16)}
	rand.Read(d.auth)
	d.status.Store(http.StatusCreated)
	d.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		d.mu.Lock()
		d.got, d.bod = append(d.got, r), append(d.bod, b)
		d.mu.Unlock()
		w.WriteHeader(int(d.status.Load()))
	}))
	t.Cleanup(d.srv.Close)
	return d
}

// subscription is the form of POST /api/v1/push/subscription for the device, asking for alerts
// and for standard (RFC 8291) pushes, as Mastodon 4.4 apps do.
func (d *pushDevice) subscription(policy string, alerts ...string) map[string]any {
	form := d.legacySubscription(policy, alerts...)
	form["subscription"].(map[string]any)["standard"] = true
	return form
}

// legacySubscription is subscription without standard, as apps made for Mastodon 4.3 ask.
func (d *pushDevice) legacySubscription(policy string, alerts ...string) map[string]any {
	a := map[string]any{}
	for _, k := range alerts {
		a[k] = true
	}
	enc := base64.RawURLEncoding
	return map[string]any{
		"subscription": map[string]any{"endpoint": d.srv.URL + "/push/abc",
			"keys": map[string]any{"p256dh": enc.EncodeToString(d.key.PublicKey().Bytes()), "auth": enc.EncodeToString(d.auth)}},
		"data": map[string]any{"alerts": a, "policy": policy},
	}
}

func (d *pushDevice) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.got)
}

// message decrypts the i-th push as the phone does and checks its VAPID signature against the
// server key the subscription announced.
func (d *pushDevice) message(t *testing.T, i int, serverKey string) map[string]any {
	t.Helper()
	d.mu.Lock()
	r, body := d.got[i], d.bod[i]
	d.mu.Unlock()
	if r.Header.Get("TTL") == "" {
		t.Errorf("push headers: no TTL")
	}
	var plain []byte
	var err error
	switch ce := r.Header.Get("Content-Encoding"); ce {
	case "aes128gcm":
		checkVAPID(t, r.Header.Get("Authorization"), d.srv.URL, serverKey)
		plain, err = webpush.Decrypt(d.key, d.auth, body)
	case "aesgcm":
		// The draft's parameters ride in headers, as apps that decrypt for themselves read them.
		salt, ok1 := strings.CutPrefix(r.Header.Get("Encryption"), "salt=")
		dh, p256ecdsa, ok2 := strings.Cut(r.Header.Get("Crypto-Key"), ";p256ecdsa=")
		dh, ok3 := strings.CutPrefix(dh, "dh=")
		jwt, ok4 := strings.CutPrefix(r.Header.Get("Authorization"), "WebPush ")
		if !ok1 || !ok2 || !ok3 || !ok4 {
			t.Fatalf("aesgcm push headers: %v", r.Header)
		}
		checkVAPID(t, "vapid t="+jwt+", k="+p256ecdsa, d.srv.URL, serverKey)
		enc := base64.RawURLEncoding
		s, _ := enc.DecodeString(salt)
		k, _ := enc.DecodeString(dh)
		plain, err = webpush.DecryptLegacy(d.key, d.auth, s, k, body)
	default:
		t.Fatalf("push Content-Encoding %q", ce)
	}
	if err != nil {
		t.Fatalf("decrypt push: %v", err)
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(plain))
	dec.UseNumber() // notification_id is a 64-bit integer, more than a float64 holds
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("push payload: %v: %s", err, plain)
	}
	return m
}

// checkVAPID verifies an Authorization header "vapid t=JWT, k=KEY" (RFC 8292): k is the server
// key, the ES256 signature holds, and the audience is the push service's origin.
func checkVAPID(t *testing.T, header, origin, serverKey string) {
	t.Helper()
	var jwt, k string
	for _, part := range strings.Split(strings.TrimPrefix(header, "vapid "), ",") {
		part = strings.TrimSpace(part)
		if v, ok := strings.CutPrefix(part, "t="); ok {
			jwt = v
		}
		if v, ok := strings.CutPrefix(part, "k="); ok {
			k = v
		}
	}
	if k != serverKey {
		t.Fatalf("vapid k = %q, want the server_key %q (header %q)", k, serverKey, header)
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("vapid token %q", jwt)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(k)
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
	if err != nil {
		t.Fatalf("server key: %v", err)
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if len(sig) != 64 || !ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Fatal("vapid signature does not verify with the server key")
	}
	claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct {
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
	}
	json.Unmarshal(claims, &c)
	if c.Aud != origin || c.Exp < time.Now().Unix() {
		t.Errorf("vapid claims %s, want aud %s and a future exp", claims, origin)
	}
}

// TestPushSubscriptionAPI: create (JSON and form), read, update and delete the token's
// subscription as Mastodon answers them; one per token, a new POST replaces it; scope push.
func TestPushSubscriptionAPI(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write", "push")
	d := newPushDevice(t)
	inst := c.json(t, "GET", "/api/v2/instance", nil, 200)
	serverKey := str(inst["configuration"].(map[string]any)["vapid"].(map[string]any)["public_key"])

	c.json(t, "GET", "/api/v1/push/subscription", nil, 404)
	sub := c.json(t, "POST", "/api/v1/push/subscription", d.subscription("followed", "mention", "favourite"), 200)
	alerts, _ := sub["alerts"].(map[string]any)
	if sub["endpoint"] != d.srv.URL+"/push/abc" || sub["policy"] != "followed" || sub["server_key"] != serverKey ||
		alerts["mention"] != true || alerts["favourite"] != true || alerts["reblog"] != false || alerts["admin.sign_up"] != false ||
		str(sub["id"]) == "" {
		t.Errorf("created subscription = %v", sub)
	}
	if got := c.json(t, "GET", "/api/v1/push/subscription", nil, 200); got["id"] != sub["id"] || got["policy"] != "followed" {
		t.Errorf("GET = %v, want %v", got, sub)
	}

	// PUT replaces alerts and policy, as a form with Rails booleans.
	form := url.Values{"data[alerts][reblog]": {"1"}, "data[alerts][mention]": {"0"}, "data[policy]": {"all"}}
	req, _ := http.NewRequest("PUT", ts.base+"/api/v1/push/subscription", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, b := doNoRedirect(t, req)
	var upd map[string]any
	json.Unmarshal(b, &upd)
	if al, _ := upd["alerts"].(map[string]any); resp.StatusCode != 200 || upd["policy"] != "all" || al["reblog"] != true ||
		al["mention"] != false || al["favourite"] != false {
		t.Errorf("PUT = %d %s", resp.StatusCode, b)
	}

	// A second POST with the same token replaces the subscription; a form POST works too, with
	// the policy beside data as Mastodon.py and masto send it.
	form = url.Values{"subscription[endpoint]": {d.srv.URL + "/push/def"}, "policy": {"follower"},
		"subscription[keys][p256dh]": {base64.RawURLEncoding.EncodeToString(d.key.PublicKey().Bytes())},
		"subscription[keys][auth]":   {base64.RawURLEncoding.EncodeToString(d.auth)}, "data[alerts][follow]": {"true"}}
	req, _ = http.NewRequest("POST", ts.base+"/api/v1/push/subscription", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+c.token)
	if resp, b := doNoRedirect(t, req); resp.StatusCode != 200 || !strings.Contains(string(b), "/push/def") {
		t.Errorf("second POST = %d %s", resp.StatusCode, b)
	}
	got := c.json(t, "GET", "/api/v1/push/subscription", nil, 200)
	if got["endpoint"] != d.srv.URL+"/push/def" || got["policy"] != "follower" || got["id"] == sub["id"] {
		t.Errorf("after the second POST: %v", got)
	}
	var n int
	ts.st.DB().Writer().QueryRow(`SELECT count(*) FROM push_subscriptions`).Scan(&n)
	if n != 1 {
		t.Errorf("%d subscriptions stored, want 1 per token", n)
	}

	// Refusals: no subscription param, a bad key, a bad policy, a token without the push scope.
	c.json(t, "POST", "/api/v1/push/subscription", map[string]any{"data": map[string]any{"policy": "all"}}, 400)
	bad := d.subscription("all", "mention")
	bad["subscription"].(map[string]any)["keys"].(map[string]any)["p256dh"] = "bm90IGEga2V5"
	c.json(t, "POST", "/api/v1/push/subscription", bad, 422)
	c.json(t, "POST", "/api/v1/push/subscription", d.subscription("everyone", "mention"), 422)
	long := d.subscription("all", "mention")
	long["subscription"].(map[string]any)["endpoint"] = d.srv.URL + "/" + strings.Repeat("x", 3000)
	c.json(t, "POST", "/api/v1/push/subscription", long, 422)
	notURL := d.subscription("all", "mention")
	notURL["subscription"].(map[string]any)["endpoint"] = "ftp://push.example/x"
	c.json(t, "POST", "/api/v1/push/subscription", notURL, 422)
	noPush := newAPIClient(t, ts, "read", "write")
	noPush.json(t, "GET", "/api/v1/push/subscription", nil, 403)

	if del := c.json(t, "DELETE", "/api/v1/push/subscription", nil, 200); len(del) != 0 {
		t.Errorf("DELETE = %v, want {}", del)
	}
	c.json(t, "GET", "/api/v1/push/subscription", nil, 404)
	c.json(t, "PUT", "/api/v1/push/subscription", map[string]any{"data": map[string]any{"policy": "all"}}, 404)
}

// mentionOwner has a peer mention the owner.
func mentionOwner(t *testing.T, ts *testServer, p *peer, text string) {
	t.Helper()
	n := p.note("<p>"+text+"</p>", []string{ts.actor}, nil)
	n["tag"] = []any{map[string]any{"type": "Mention", "href": ts.actor, "name": "@me@" + ts.cfg.Domain}}
	p.sendAccepted(t, ts, p.create(n))
}

// TestPushDeliversEncryptedNotification: a mention reaches the phone as an RFC 8291 message the
// phone decrypts with its private key, with Mastodon's payload (title, body, the token); a like,
// for which the app asked no alert, is not pushed.
func TestPushDeliversEncryptedNotification(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write", "push")
	d := newPushDevice(t)
	sub := c.json(t, "POST", "/api/v1/push/subscription", d.subscription("all", "mention"), 200)

	post, err := ts.srv.app.Post(context.Background(), app.PostInput{Text: "something to like", Visibility: "public"})
	if err != nil {
		t.Fatal(err)
	}
	dave := newPeer(t, "dave")
	dave.sendAccepted(t, ts, dave.activity("Like", post.IRI))
	mentionOwner(t, ts, dave, "hello @me, <b>are</b> you there?")
	waitFor(t, "the mention's push", func() bool { return d.count() >= 1 })
	d.mu.Lock()
	ce := d.got[0].Header.Get("Content-Encoding")
	d.mu.Unlock()
	if ce != "aes128gcm" || sub["standard"] != true {
		t.Errorf("a standard subscription (standard %v) got Content-Encoding %q, want aes128gcm", sub["standard"], ce)
	}
	m := d.message(t, 0, str(sub["server_key"]))
	if m["title"] != "You were mentioned by Dave" || m["body"] != "hello @me, are you there?" ||
		m["notification_type"] != "mention" || m["access_token"] != c.token || m["preferred_locale"] != "en" ||
		!strings.HasPrefix(str(m["icon"]), "http") {
		t.Errorf("push payload = %v", m)
	}
	notes, _ := c.list(t, "/api/v1/notifications?types[]=mention")
	if len(notes) != 1 || str(notes[0]["id"]) != fmt.Sprint(m["notification_id"]) {
		t.Errorf("notification_id %v is not the mention's id (%v)", m["notification_id"], notes)
	}
	waitFor(t, "the push queue to empty", func() bool { return pushQueued(t, ts) == 0 })
	if n := d.count(); n != 1 {
		t.Errorf("%d pushes, want 1 (the like was not asked for)", n)
	}
}

func pushQueued(t *testing.T, ts *testServer) int {
	t.Helper()
	var n int
	if err := ts.st.DB().Writer().QueryRow(`SELECT count(*) FROM push_deliveries`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPushGoneUnsubscribes: a push service that answers 410 Gone ends the subscription.
func TestPushGoneUnsubscribes(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write", "push")
	d := newPushDevice(t)
	d.status.Store(http.StatusGone)
	c.json(t, "POST", "/api/v1/push/subscription", d.subscription("all", "mention"), 200)
	mentionOwner(t, ts, newPeer(t, "erin"), "are you still there?")
	waitFor(t, "the push", func() bool { return d.count() == 1 })
	waitFor(t, "the subscription to go", func() bool {
		resp, _ := c.do(t, "GET", "/api/v1/push/subscription", nil)
		return resp.StatusCode == 404
	})
	if n := pushQueued(t, ts); n != 0 {
		t.Errorf("%d pushes still queued", n)
	}
}

// TestPushResumesAfterRestart: a push the push service could not take (503) stays queued, and
// the restarted server sends it once it is due.
func TestPushResumesAfterRestart(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write", "push")
	d := newPushDevice(t)
	d.status.Store(http.StatusServiceUnavailable)
	sub := c.json(t, "POST", "/api/v1/push/subscription", d.subscription("all", "mention"), 200)
	mentionOwner(t, ts, newPeer(t, "frank"), "ping")
	waitFor(t, "the first attempt", func() bool { return d.count() == 1 })
	waitFor(t, "the failure to be recorded", func() bool {
		var attempts int
		ts.st.DB().Writer().QueryRow(`SELECT ifnull(max(attempts), 0) FROM push_deliveries`).Scan(&attempts)
		return attempts == 1
	})

	d.status.Store(http.StatusCreated)
	ts.restart(t)
	ts.advance(time.Hour)
	waitFor(t, "the push after the restart", func() bool { return d.count() == 2 })
	if m := d.message(t, 1, str(sub["server_key"])); m["title"] != "You were mentioned by Frank" || m["body"] != "ping" {
		t.Errorf("resumed push = %v", m)
	}
	waitFor(t, "the queue to empty", func() bool { return pushQueued(t, ts) == 0 })
}

// TestPushPolicyFollowed: with policy "followed", a mention by an account the owner does not
// follow is not pushed.
func TestPushPolicyFollowed(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write", "push")
	d := newPushDevice(t)
	c.json(t, "POST", "/api/v1/push/subscription", d.subscription("followed", "mention"), 200)
	mentionOwner(t, ts, newPeer(t, "gina"), "you do not follow me")
	waitFor(t, "the notification", func() bool {
		l, _ := ts.st.Notifications(context.Background(), []string{"mention"}, store.Page{Limit: 5})
		return len(l) == 1
	})
	waitFor(t, "the push queue to empty", func() bool { return pushQueued(t, ts) == 0 })
	if n := d.count(); n != 0 {
		t.Errorf("%d pushes, want none under policy followed", n)
	}
}

// TestPushLegacyEncodingByDefault: an app that does not ask for the standard gets what Mastodon
// sends it, the aesgcm draft with its Encryption and Crypto-Key headers, and opens it.
func TestPushLegacyEncodingByDefault(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write", "push")
	d := newPushDevice(t)
	sub := c.json(t, "POST", "/api/v1/push/subscription", d.legacySubscription("all", "mention"), 200)
	if sub["standard"] != false {
		t.Errorf("standard = %v, want false", sub["standard"])
	}
	mentionOwner(t, ts, newPeer(t, "hugo"), "old school")
	waitFor(t, "the push", func() bool { return d.count() == 1 })
	d.mu.Lock()
	ce := d.got[0].Header.Get("Content-Encoding")
	d.mu.Unlock()
	if ce != "aesgcm" {
		t.Errorf("Content-Encoding %q, want aesgcm", ce)
	}
	if m := d.message(t, 0, str(sub["server_key"])); m["title"] != "You were mentioned by Hugo" || m["body"] != "old school" {
		t.Errorf("payload = %v", m)
	}
}
