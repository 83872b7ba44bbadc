package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"roost/server/activitypub"
	"roost/server/remote"
	"roost/server/signature"
	"roost/store"
)

// TestInboxRefusesBadRequests sends requests that must be refused before anything is stored
// (research/security.md §4.A): each gets its 4xx, and no table gains a row.
func TestInboxRefusesBadRequests(t *testing.T) {
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	mallory := newPeer(t, "mallory")
	if alice.key.Equal(mallory.key) {
		t.Fatal("alice and mallory share a key")
	}
	// Roost knows both keys already, so a refusal cannot be blamed on a failed key fetch.
	for _, p := range []*peer{alice, mallory} {
		p.sendAccepted(t, ts, p.activity("Like", p.base+"/notes/warmup"))
	}
	ts.waitInboxIdle(t)

	// mallory hosts a key document that claims alice as its owner (§4.A.10).
	mallory.setDoc("/keys/alice", map[string]any{
		"id": mallory.base + "/keys/alice", "owner": alice.actor, "publicKeyPem": mallory.publicKeyPEM(),
	})
	// ... and an actor document that claims to be alice (id on another origin).
	fake := alice.actorJSON()
	fake["publicKey"] = map[string]any{"id": mallory.base + "/users/fake#main-key", "owner": alice.actor,
		"publicKeyPem": mallory.publicKeyPEM()}
	mallory.setDoc("/users/fake", fake)

	follow := func(p *peer) []byte {
		b, _ := json.Marshal(p.activity("Follow", ts.actor))
		return b
	}
	signed := func(t *testing.T, p *peer, body []byte) *http.Request {
		req := inboxRequest(t, ts, body)
		if err := signature.Sign(req, body, p.keyID, p.key); err != nil {
			t.Fatal(err)
		}
		return req
	}
	postHeaders := []string{"(request-target)", "host", "date", "digest"}

	tests := []struct {
		name   string
		status int
		req    func(t *testing.T) *http.Request
	}{
		{"unsigned", 401, func(t *testing.T) *http.Request { return inboxRequest(t, ts, follow(alice)) }},
		{"RFC 9421 only", 401, func(t *testing.T) *http.Request {
			body := follow(alice)
			req := inboxRequest(t, ts, body)
			req.Header.Set("Content-Digest", "sha-256=:"+strings.TrimPrefix(digestOf(body), "SHA-256=")+":")
			req.Header.Set("Signature-Input", `sig1=("@method" "@target-uri" "content-digest");created=`+
				strconv.FormatInt(time.Now().Unix(), 10)+`;keyid="`+alice.keyID+`";alg="rsa-v1_5-sha256"`)
			req.Header.Set("Signature", "sig1=:"+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 256))+":")
			return req
		}},
		{"headers=date only", 401, func(t *testing.T) *http.Request {
			body := follow(alice)
			req := inboxRequest(t, ts, body)
			req.Header.Set("Digest", digestOf(body))
			signRaw(t, req, alice.keyID, alice.key, []string{"date"})
			return req
		}},
		{"digest not signed", 401, func(t *testing.T) *http.Request {
			body := follow(alice)
			req := inboxRequest(t, ts, body)
			req.Header.Set("Digest", digestOf(body))
			signRaw(t, req, alice.keyID, alice.key, []string{"(request-target)", "host", "date"})
			return req
		}},
		{"host not signed", 401, func(t *testing.T) *http.Request {
			body := follow(alice)
			req := inboxRequest(t, ts, body)
			req.Header.Set("Digest", digestOf(body))
			signRaw(t, req, alice.keyID, alice.key, []string{"(request-target)", "date", "digest"})
			return req
		}},
		{"body changed after signing", 401, func(t *testing.T) *http.Request {
			body := follow(alice)
			req := signed(t, alice, body)
			changed := append(bytes.Clone(body), ' ')
			req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(changed)), int64(len(changed))
			return req
		}},
		{"object swapped, digest recomputed but not re-signed", 401, func(t *testing.T) *http.Request {
			body := follow(alice)
			req := signed(t, alice, body)
			swapped := follow(alice)
			req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(swapped)), int64(len(swapped))
			req.Header.Set("Digest", digestOf(swapped))
			return req
		}},
		{"digest missing", 401, func(t *testing.T) *http.Request {
			req := signed(t, alice, follow(alice))
			req.Header.Del("Digest")
			return req
		}},
		{"digest of another algorithm only", 401, func(t *testing.T) *http.Request {
			body := follow(alice)
			req := inboxRequest(t, ts, body)
			req.Header.Set("Digest", "MD5=AAAAAAAAAAAAAAAAAAAAAA==")
			signRaw(t, req, alice.keyID, alice.key, postHeaders)
			return req
		}},
		{"date two hours old", 401, func(t *testing.T) *http.Request {
			body := follow(alice)
			req := inboxRequest(t, ts, body)
			req.Header.Set("Date", time.Now().Add(-2*time.Hour).UTC().Format(http.TimeFormat))
			if err := signature.Sign(req, body, alice.keyID, alice.key); err != nil {
				t.Fatal(err)
			}
			return req
		}},
		{"date two hours ahead", 401, func(t *testing.T) *http.Request {
			body := follow(alice)
			req := inboxRequest(t, ts, body)
			req.Header.Set("Date", time.Now().Add(2*time.Hour).UTC().Format(http.TimeFormat))
			if err := signature.Sign(req, body, alice.keyID, alice.key); err != nil {
				t.Fatal(err)
			}
			return req
		}},
		{"signed for another host (replay)", 401, func(t *testing.T) *http.Request {
			body := follow(alice)
			req := inboxRequest(t, ts, body)
			req.Host = "third.example"
			if err := signature.Sign(req, body, alice.keyID, alice.key); err != nil {
				t.Fatal(err)
			}
			return req
		}},
		{"signed for another path", 401, func(t *testing.T) *http.Request {
			body := follow(alice)
			req := inboxRequest(t, ts, body)
			req.URL.Path = "/users/me/outbox"
			if err := signature.Sign(req, body, alice.keyID, alice.key); err != nil {
				t.Fatal(err)
			}
			req.URL.Path = "/users/me/inbox"
			return req
		}},
		{"hmac algorithm", 401, func(t *testing.T) *http.Request {
			req := signed(t, alice, follow(alice))
			req.Header.Set("Signature", strings.Replace(req.Header.Get("Signature"), "rsa-sha256", "hmac-sha256", 1))
			return req
		}},
		{"signature and authorization both", 401, func(t *testing.T) *http.Request {
			req := signed(t, alice, follow(alice))
			req.Header.Set("Authorization", "Signature "+req.Header.Get("Signature"))
			return req
		}},
		{"keyId with userinfo", 401, func(t *testing.T) *http.Request {
			body := follow(alice)
			req := inboxRequest(t, ts, body)
			keyID := strings.Replace(mallory.keyID, "http://", "http://"+strings.TrimPrefix(alice.base, "http://")+"@", 1)
			req.Header.Set("Digest", digestOf(body))
			signRaw(t, req, keyID, mallory.key, postHeaders)
			return req
		}},
		{"signed by someone else's key", 401, func(t *testing.T) *http.Request {
			body := follow(alice)
			req := inboxRequest(t, ts, body)
			req.Header.Set("Digest", digestOf(body))
			signRaw(t, req, alice.keyID, mallory.key, postHeaders)
			return req
		}},
		{"signer is not the actor", 401, func(t *testing.T) *http.Request {
			return signed(t, mallory, follow(alice))
		}},
		{"key document names an owner on another host", 401, func(t *testing.T) *http.Request {
			body := follow(alice)
			req := inboxRequest(t, ts, body)
			req.Header.Set("Digest", digestOf(body))
			signRaw(t, req, mallory.base+"/keys/alice", mallory.key, postHeaders)
			return req
		}},
		{"actor document whose id is on another origin", 401, func(t *testing.T) *http.Request {
			body := follow(alice)
			req := inboxRequest(t, ts, body)
			req.Header.Set("Digest", digestOf(body))
			signRaw(t, req, mallory.base+"/users/fake#main-key", mallory.key, postHeaders)
			return req
		}},
		{"content type application/json", 415, func(t *testing.T) *http.Request {
			req := signed(t, alice, follow(alice))
			req.Header.Set("Content-Type", "application/json")
			return req
		}},
		{"content type text/plain", 415, func(t *testing.T) *http.Request {
			req := signed(t, alice, follow(alice))
			req.Header.Set("Content-Type", "text/plain")
			return req
		}},
		{"no content type", 415, func(t *testing.T) *http.Request {
			req := signed(t, alice, follow(alice))
			req.Header.Del("Content-Type")
			return req
		}},
		{"body over 1 MiB", 413, func(t *testing.T) *http.Request {
			a := alice.activity("Follow", ts.actor)
			a["padding"] = strings.Repeat("x", activitypub.MaxBodyBytes)
			b, _ := json.Marshal(a)
			return signed(t, alice, b)
		}},
		{"malformed JSON", 400, func(t *testing.T) *http.Request {
			return signed(t, alice, []byte(`{"type":"Follow","actor":`))
		}},
		{"two JSON documents", 400, func(t *testing.T) *http.Request {
			b := follow(alice)
			return signed(t, alice, append(b, b...))
		}},
		{"JSON array", 400, func(t *testing.T) *http.Request {
			return signed(t, alice, []byte(`[`+string(follow(alice))+`]`))
		}},
		{"JSON nested 100 deep", 400, func(t *testing.T) *http.Request {
			a := alice.activity("Follow", ts.actor)
			b, _ := json.Marshal(a)
			nested := strings.Repeat(`{"a":`, 100) + "1" + strings.Repeat("}", 100)
			b = append(b[:len(b)-1], []byte(`,"x":`+nested+`}`)...)
			return signed(t, alice, b)
		}},
		{"array of 100,000 elements", 400, func(t *testing.T) *http.Request {
			a := alice.activity("Follow", ts.actor)
			a["to"] = make([]int, 100000)
			b, _ := json.Marshal(a)
			return signed(t, alice, b)
		}},
		{"no actor", 400, func(t *testing.T) *http.Request {
			a := alice.activity("Follow", ts.actor)
			delete(a, "actor")
			b, _ := json.Marshal(a)
			return signed(t, alice, b)
		}},
		{"actor is the owner", 403, func(t *testing.T) *http.Request {
			a := alice.activity("Follow", ts.actor)
			a["actor"] = ts.actor
			b, _ := json.Marshal(a)
			return signed(t, alice, b)
		}},
		{"signed with the owner's own key", 403, func(t *testing.T) *http.Request {
			a := map[string]any{"id": ts.actor + "/activities/forged", "type": "Follow", "actor": ts.actor, "object": ts.actor}
			b, _ := json.Marshal(a)
			req := inboxRequest(t, ts, b)
			if err := signature.Sign(req, b, ts.actor+"#main-key", ts.srv.key); err != nil {
				t.Fatal(err)
			}
			return req
		}},
	}
	// causes names part of the error Roost answers, where it shows the refusal had the right cause.
	causes := map[string]string{
		"unsigned":                                     "not signed",
		"RFC 9421 only":                                "not signed",
		"headers=date only":                            "policy",
		"digest not signed":                            "policy",
		"host not signed":                              "policy",
		"body changed after signing":                   "policy",
		"digest missing":                               "policy",
		"date two hours old":                           "policy",
		"date two hours ahead":                         "policy",
		"signed for another host (replay)":             "policy",
		"signer is not the actor":                      "signer is not",
		"signed by someone else's key":                 "not verified",
		"key document names an owner on another host":  "not verified",
		"actor document whose id is on another origin": "not verified",
		"JSON nested 100 deep":                         "deep",
		"array of 100,000 elements":                    "large",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := ts.rowCounts(t)
			resp, body := doNoRedirect(t, tt.req(t))
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if why := causes[tt.name]; !strings.Contains(string(body), why) {
				t.Errorf("answer %q, want the cause %q", body, why)
			}
			assertUnchanged(t, before, ts.rowCounts(t))
		})
	}
	if t.Failed() {
		return
	}
	// After all that, alice's honest Follow still works: nothing above poisoned her key.
	alice.sendAccepted(t, ts, alice.activity("Follow", ts.actor))
	alice.waitPost(t, "Accept", ofType("Accept"))
}

// A Create by mallory of a note attributed to alice, with alice's id, is not stored as alice's,
// whatever alice's server answers (security.md §4.B.2, §4.B.4).
func TestInboxForgedAuthorship(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	mallory := newPeer(t, "mallory")
	followedPeer(t, ts, mallory)
	followedPeer(t, ts, alice)

	for _, origin := range []string{"missing at origin", "different at origin"} {
		t.Run(origin, func(t *testing.T) {
			n := alice.note("<p>fake words in alice's mouth</p>", []string{activitypub.Public}, []string{ts.actor})
			path := strings.TrimPrefix(n["id"].(string), alice.base)
			if origin == "missing at origin" {
				alice.setStatus(path, http.StatusNotFound)
			} else {
				real := alice.note("<p>what alice really said</p>", []string{activitypub.Public}, nil)
				real["id"] = n["id"]
				alice.setDoc(path, real)
			}
			n["tag"] = []any{map[string]any{"type": "Mention", "href": ts.actor}}
			act := mallory.create(n)
			before := ts.rowCounts(t)
			if code := mallory.send(t, ts, act); code != http.StatusAccepted && code/100 != 4 {
				t.Fatalf("status %d", code)
			}
			ts.waitInboxIdle(t)
			if p, err := ts.st.PostByIRI(ctx, n["id"].(string)); err == nil {
				t.Fatalf("stored %q attributed to account %d", p.Content, p.AccountID)
			}
			assertUnchanged(t, before, ts.rowCounts(t), "inbox")
		})
	}

	t.Run("forwarded Create with actor alice", func(t *testing.T) {
		n := alice.note("<p>forwarded fake</p>", []string{activitypub.Public}, nil)
		alice.setStatus(strings.TrimPrefix(n["id"].(string), alice.base), http.StatusNotFound)
		act := alice.create(n) // actor alice, but mallory signs it
		before := ts.rowCounts(t)
		if code := mallory.send(t, ts, act); code != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", code)
		}
		assertUnchanged(t, before, ts.rowCounts(t))
	})
}

// An Announce by mallory of alice's post carries an embedded copy with other content: Roost
// fetches the post from alice's server and stores that (security.md §1.8).
func TestAnnounceRefetchesFromOrigin(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	mallory := newPeer(t, "mallory")
	followedPeer(t, ts, mallory)

	real := alice.note("<p>the real words</p>", []string{activitypub.Public}, nil)
	iri := real["id"].(string)
	alice.setDoc(strings.TrimPrefix(iri, alice.base), real)
	fake := map[string]any{}
	for k, v := range real {
		fake[k] = v
	}
	fake["content"] = "<p>words alice never said</p>"
	ann := mallory.activity("Announce", fake)
	ann["to"] = []string{activitypub.Public}
	mallory.sendAccepted(t, ts, ann)
	p := ts.waitPost(t, iri)
	if strings.Contains(p.Content, "never said") || !strings.Contains(p.Content, "the real words") {
		t.Errorf("stored content %q, want alice's own", p.Content)
	}
	if p.AccountID != ts.account(t, alice.actor).ID {
		t.Errorf("post stored for account %d, not alice", p.AccountID)
	}
	waitFor(t, "boost recorded", func() bool {
		_, err := ts.st.BoostOf(ctx, ts.account(t, mallory.actor).ID, p.ID)
		return err == nil
	})
}

// countingListener counts the connections it accepts.
type countingListener struct {
	net.Listener
	n atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// With no private range allowed, Roost never connects to a loopback peer: not to resolve an
// actor, not to fetch a key for an inbox POST, not to deliver (security.md §4.D).
func TestSSRFLoopbackRefused(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t, func(c *Config) { c.AllowPrivate = nil })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := &countingListener{Listener: l}
	evil := startPeer(t, "evil", cl)

	if _, err := ts.srv.account(ctx, evil.actor); !errors.Is(err, remote.ErrForbiddenAddress) {
		t.Errorf("resolve actor: %v, want ErrForbiddenAddress", err)
	}
	if _, err := ts.srv.fetchAS(ctx, evil.base+"/notes/1"); !errors.Is(err, remote.ErrForbiddenAddress) {
		t.Errorf("fetch: %v, want ErrForbiddenAddress", err)
	}
	if _, err := ts.srv.Follow(ctx, evil.actor); !errors.Is(err, remote.ErrForbiddenAddress) {
		t.Errorf("follow: %v, want ErrForbiddenAddress", err)
	}
	before := ts.rowCounts(t)
	if code := evil.send(t, ts, evil.activity("Follow", ts.actor)); code != http.StatusUnauthorized {
		t.Errorf("inbox POST signed by a loopback key: status %d, want 401", code)
	}
	assertUnchanged(t, before, ts.rowCounts(t))
	// A forged account row pointing at loopback cannot make delivery connect either.
	if _, err := ts.st.UpsertAccount(ctx, &store.Account{IRI: evil.actor, Username: "evil", Host: evil.host,
		Inbox: evil.actor + "/inbox", Type: "Person"}); err != nil {
		t.Fatal(err)
	}
	if err := ts.srv.sendActivity(ctx, evil.actor+"/inbox", []byte(`{}`)); !errors.Is(err, remote.ErrForbiddenAddress) {
		t.Errorf("deliver: %v, want ErrForbiddenAddress", err)
	}
	if n := cl.n.Load(); n != 0 {
		t.Errorf("the loopback peer saw %d connections, want 0", n)
	}
}

// Fetched documents must be what they claim: an id on another origin, our own host, a wrong
// content type are all refused (security.md §4.C, §4.B.6).
func TestFetchRefusals(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	mallory := newPeer(t, "mallory")

	mallory.setDoc("/users/alias", alice.actorJSON()) // alice's document, served by mallory
	ours := mallory.actorJSON()
	ours["id"] = ts.actor
	mallory.setDoc("/users/ours", ours)
	note := alice.note("<p>x</p>", []string{activitypub.Public}, nil)

	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"actor id on another origin", func() error { _, err := ts.srv.account(ctx, mallory.base+"/users/alias"); return err }, remote.ErrIDMismatch},
		{"actor claiming our own id", func() error { _, err := ts.srv.account(ctx, mallory.base+"/users/ours"); return err }, nil},
		{"our own actor", func() error { _, err := ts.srv.fetchActor(ctx, ts.actor); return err }, errLocal},
		{"our own post", func() error { _, err := ts.srv.fetchPost(ctx, ts.actor+"/statuses/1"); return err }, errLocal},
		{"post attributed to another origin", func() error {
			n := map[string]any{}
			for k, v := range note {
				n[k] = v
			}
			n["id"] = mallory.base + "/notes/x"
			mallory.setDoc("/notes/x", n)
			_, err := ts.srv.fetchPost(ctx, mallory.base+"/notes/x")
			return err
		}, errRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := ts.rowCounts(t)
			err := tt.run()
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("err %v, want %v", err, tt.want)
			}
			assertUnchanged(t, before, ts.rowCounts(t))
		})
	}
	// The owner's account is untouched.
	if o := ts.owner(t); o.PublicKeyPEM == mallory.publicKeyPEM() || !o.Local {
		t.Error("the owner's account was overwritten")
	}

	t.Run("wrong content type", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{"id": "http://" + r.Host + r.URL.Path, "type": "Person",
				"inbox": "http://" + r.Host + "/inbox"})
		}))
		defer srv.Close()
		if _, err := ts.srv.account(ctx, srv.URL+"/users/upload.json"); !errors.Is(err, remote.ErrContentType) {
			t.Errorf("err %v, want ErrContentType", err)
		}
	})
}

var (
	scriptRE = regexp.MustCompile(`(?i)<\s*script`)
	onAttrRE = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	jsURLRE  = regexp.MustCompile(`(?i)javascript:`)
)

func assertSafeHTML(t *testing.T, what, html string) {
	t.Helper()
	for _, re := range []*regexp.Regexp{scriptRE, onAttrRE, jsURLRE} {
		if re.MatchString(html) {
			t.Errorf("%s holds %s: %q", what, re, html)
		}
	}
}

const hostile = `<p>hi<script>alert(1)</script><a href="javascript:alert(2)" onclick="alert(3)">x</a>` +
	`<img src="x" onerror="alert(4)"><svg onload=alert(5)></svg><iframe src="javascript:alert(6)"></iframe>` +
	`<a href="JaVaScRiPt:alert(7)">y</a><style>*{}</style></p>`

// Hostile HTML from peers is stored sanitized: notes (content, summary, name) and actors (name,
// summary, fields).
func TestSanitizesHostileHTML(t *testing.T) {
	ts := newTestServer(t)
	evil := newPeer(t, "evil")
	evil.setActorField("name", `Evil<script>alert(1)</script><img src=x onerror=alert(1)>`)
	evil.setActorField("summary", hostile)
	evil.setActorField("attachment", []any{
		map[string]any{"type": "PropertyValue", "name": `<b onmouseover="alert(1)">site</b>`, "value": hostile},
	})
	evil.setActorField("url", "javascript:alert(1)")
	evil.setActorField("icon", map[string]any{"type": "Image", "url": "javascript:alert(1)"})
	followedPeer(t, ts, evil)

	a := ts.account(t, evil.actor)
	for what, v := range map[string]string{"display name": a.DisplayName, "summary": a.Summary, "url": a.URL,
		"avatar": a.AvatarURL} {
		assertSafeHTML(t, "actor "+what, v)
	}
	if len(a.Fields) != 1 {
		t.Fatalf("fields %+v", a.Fields)
	}
	assertSafeHTML(t, "field name", a.Fields[0].Name)
	assertSafeHTML(t, "field value", a.Fields[0].Value)

	for _, typ := range []string{"Note", "Article"} {
		t.Run(typ, func(t *testing.T) {
			n := evil.note(hostile, []string{activitypub.Public}, nil)
			n["type"] = typ
			n["summary"] = `CW<script>alert(1)</script><b onclick=alert(1)>x</b>`
			n["name"] = `Title<script>alert(1)</script><img src=x onerror=alert(1)>`
			n["url"] = "javascript:alert(1)"
			n["tag"] = []any{map[string]any{"type": "Hashtag", "name": "#x<script>", "href": "javascript:alert(1)"}}
			n["attachment"] = []any{map[string]any{"type": "Document", "mediaType": "image/png",
				"url": "javascript:alert(1)", "name": "<script>alert(1)</script>"}}
			evil.sendAccepted(t, ts, evil.create(n))
			p := ts.waitPost(t, n["id"].(string))
			assertSafeHTML(t, "content", p.Content)
			assertSafeHTML(t, "summary", p.Summary)
			assertSafeHTML(t, "url", p.URL)
			for _, tag := range p.Tags {
				assertSafeHTML(t, "tag name", tag.Name)
				assertSafeHTML(t, "tag href", tag.Href)
			}
			for _, at := range p.Attachments {
				assertSafeHTML(t, "attachment", at.URL+at.Name)
			}
			if !strings.Contains(p.Content, "hi") {
				t.Errorf("the harmless text is gone too: %q", p.Content)
			}
		})
	}
}
