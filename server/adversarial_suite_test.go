package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"roost/server/activitypub"
	"roost/server/app"
	"roost/server/media/mediatest"
	"roost/server/remote"
	"roost/server/resolve"
	"roost/server/signature"
	"roost/store"
	"roost/store/access"
)

// TestAdversarial is the adversarial suite (issue 6; the attacks are those of
// research/security.md, which real servers shipped): one subtest per class of attack, each a table
// of exchanges with the outcome they must have. Inbox exchanges also require that nothing was
// stored and nothing queued (runInboxCases). Each class runs on its own Roost.
//
// Other tests hold further cases of these classes and are not repeated here: TestInboxOwnership
// and TestInboxActivityIDOnActorsOrigin (authz_test.go), the Update, Delete and Undo cases of
// TestInboxUpdateDelete and TestInboxInteractions (inbox_test.go), TestKeyRotation (a flood of
// forged signatures fetches a key at most once), the remote package's own tests of the dial guard
// and fetch limits, TestHostileRemoteHTML (web_owner_test.go), and on the owner's side TestLogin
// (open redirects after login, session fixation), TestLoginThrottle (25 failures lock an address
// out), TestCSRF, TestLogout and TestOAuthCodeFlowPKCE / TestOAuthAuthorizeErrors (code reuse,
// PKCE mismatch and downgrade, unregistered and prefix redirect URIs).
func TestAdversarial(t *testing.T) {
	t.Run("signatures", adversarialSignatures)
	t.Run("ownership", adversarialOwnership)
	t.Run("fetch spoofing", adversarialFetchSpoofing)
	t.Run("SSRF", adversarialSSRF)
	t.Run("exhaustion", adversarialExhaustion)
	t.Run("hostile HTML", adversarialHostileHTML)
	t.Run("owner", adversarialOwner)
}

// adversarialSignatures: forged, incomplete and replayed HTTP signatures, and envelopes the inbox
// must refuse before reading further (security.md §4.A). Every case is refused up front with its
// cause, and stores nothing.
func adversarialSignatures(t *testing.T) {
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

	follow := func(p *peer) []byte { return mustJSON(t, p.activity("Follow", ts.actor)) }
	signed := func(t *testing.T, p *peer, body []byte) *http.Request { return signedBody(t, ts, p, body) }
	// raw signs a Follow by alice the draft-cavage way over exactly headers, with a correct Digest.
	raw := func(keyID string, p *peer, headers ...string) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			body := follow(alice)
			req := inboxRequest(t, ts, body)
			req.Header.Set("Digest", digestOf(body))
			signRaw(t, req, keyID, p.key, headers)
			return req
		}
	}
	all := []string{"(request-target)", "host", "date", "digest"}
	// edited signs a Follow by alice properly, then lets edit change the request.
	edited := func(edit func(req *http.Request, body []byte)) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			body := follow(alice)
			req := signed(t, alice, body)
			edit(req, body)
			return req
		}
	}
	// dated signs a Follow by alice with the Date header set to now+d.
	dated := func(d time.Duration) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			body := follow(alice)
			req := inboxRequest(t, ts, body)
			req.Header.Set("Date", time.Now().Add(d).UTC().Format(http.TimeFormat))
			if err := signature.Sign(req, body, alice.keyID, alice.key); err != nil {
				t.Fatal(err)
			}
			return req
		}
	}
	setBody := func(req *http.Request, b []byte) {
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	}

	cases := []inboxCase{
		{name: "unsigned", status: 401, cause: "not signed",
			req: func(t *testing.T) *http.Request { return inboxRequest(t, ts, follow(alice)) }},
		{name: "RFC 9421 only", status: 401, cause: "not signed", req: func(t *testing.T) *http.Request {
			body := follow(alice)
			req := inboxRequest(t, ts, body)
			req.Header.Set("Content-Digest", "sha-256=:"+strings.TrimPrefix(digestOf(body), "SHA-256=")+":")
			req.Header.Set("Signature-Input", `sig1=("@method" "@target-uri" "content-digest");created=`+
				strconv.FormatInt(time.Now().Unix(), 10)+`;keyid="`+alice.keyID+`";alg="rsa-v1_5-sha256"`)
			req.Header.Set("Signature", "sig1=:"+base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 256))+":")
			return req
		}},
		{name: "headers=date only", status: 401, cause: "policy", req: raw(alice.keyID, alice, "date")},
		{name: "(request-target) not signed", status: 401, cause: "policy", req: raw(alice.keyID, alice, "host", "date", "digest")},
		{name: "host not signed", status: 401, cause: "policy", req: raw(alice.keyID, alice, "(request-target)", "date", "digest")},
		{name: "date not signed", status: 401, cause: "policy", req: raw(alice.keyID, alice, "(request-target)", "host", "digest")},
		{name: "digest not signed", status: 401, cause: "policy", req: raw(alice.keyID, alice, "(request-target)", "host", "date")},
		{name: "digest missing", status: 401, cause: "policy", req: edited(func(req *http.Request, _ []byte) {
			req.Header.Del("Digest")
		})},
		{name: "digest of another algorithm only", status: 401, cause: "policy", req: func(t *testing.T) *http.Request {
			req := raw(alice.keyID, alice, all...)(t)
			req.Header.Set("Digest", "MD5=AAAAAAAAAAAAAAAAAAAAAA==")
			return req
		}},
		{name: "body changed after signing", status: 401, cause: "policy", req: edited(func(req *http.Request, body []byte) {
			setBody(req, append(bytes.Clone(body), ' '))
		})},
		{name: "object swapped, digest recomputed but not re-signed", status: 401, cause: "not verified",
			req: edited(func(req *http.Request, _ []byte) {
				swapped := follow(alice)
				setBody(req, swapped)
				req.Header.Set("Digest", digestOf(swapped))
			})},
		{name: "Date changed after signing", status: 401, cause: "not verified", req: edited(func(req *http.Request, _ []byte) {
			req.Header.Set("Date", time.Now().Add(-time.Minute).UTC().Format(http.TimeFormat))
		})},
		{name: "date two hours old", status: 401, cause: "policy", req: dated(-2 * time.Hour)},
		{name: "date two hours ahead", status: 401, cause: "policy", req: dated(2 * time.Hour)},
		{name: "signed for another host", status: 401, cause: "policy", req: func(t *testing.T) *http.Request {
			body := follow(alice)
			req := inboxRequest(t, ts, body)
			req.Host = "third.example"
			if err := signature.Sign(req, body, alice.keyID, alice.key); err != nil {
				t.Fatal(err)
			}
			return req
		}},
		{name: "signed for another path", status: 401, cause: "not verified", req: func(t *testing.T) *http.Request {
			body := follow(alice)
			req := inboxRequest(t, ts, body)
			req.URL.Path = "/users/me/outbox"
			if err := signature.Sign(req, body, alice.keyID, alice.key); err != nil {
				t.Fatal(err)
			}
			req.URL.Path = "/users/me/inbox"
			return req
		}},
		{name: "hmac algorithm", status: 401, cause: "policy", req: edited(func(req *http.Request, _ []byte) {
			req.Header.Set("Signature", strings.Replace(req.Header.Get("Signature"), "rsa-sha256", "hmac-sha256", 1))
		})},
		{name: "signature and authorization both", status: 401, cause: "malformed", req: edited(func(req *http.Request, _ []byte) {
			req.Header.Set("Authorization", "Signature "+req.Header.Get("Signature"))
		})},
		{name: "keyId twice", status: 401, cause: "malformed", req: edited(func(req *http.Request, _ []byte) {
			req.Header.Set("Signature", `keyId="`+mallory.keyID+`",`+req.Header.Get("Signature"))
		})},
		{name: "unterminated quote", status: 401, cause: "malformed", req: edited(func(req *http.Request, _ []byte) {
			req.Header.Set("Signature", strings.TrimSuffix(req.Header.Get("Signature"), `"`))
		})},
		{name: "keyId not a URL", status: 401, cause: "policy", req: raw("main-key", alice, all...)},
		{name: "keyId with userinfo", status: 401, cause: "policy",
			req: raw(strings.Replace(mallory.keyID, "http://", "http://"+alice.host+"@", 1), mallory, all...)},
		{name: "signed by someone else's key", status: 401, cause: "not verified", req: raw(alice.keyID, mallory, all...)},
		{name: "keyId on another host than the actor", status: 401, cause: "signer is not",
			req: func(t *testing.T) *http.Request { return signed(t, mallory, follow(alice)) }},
		{name: "key document names an owner on another host", status: 401, cause: "not verified",
			req: raw(mallory.base+"/keys/alice", mallory, all...)},
		{name: "actor document whose id is on another origin", status: 401, cause: "not verified",
			req: raw(mallory.base+"/users/fake#main-key", mallory, all...)},
		{name: "actor is the owner", status: 403, cause: "own actors", req: func(t *testing.T) *http.Request {
			a := alice.activity("Follow", ts.actor)
			a["actor"] = ts.actor
			return signed(t, alice, mustJSON(t, a))
		}},
		{name: "signed with the owner's own key", status: 403, cause: "own actors", req: func(t *testing.T) *http.Request {
			b := mustJSON(t, map[string]any{"id": ts.actor + "/activities/forged", "type": "Follow", "actor": ts.actor,
				"object": ts.actor})
			req := inboxRequest(t, ts, b)
			if err := signature.Sign(req, b, ts.actor+"#main-key", ownerKey(t, ts)); err != nil {
				t.Fatal(err)
			}
			return req
		}},
		{name: "content type application/json", status: 415, req: edited(func(req *http.Request, _ []byte) {
			req.Header.Set("Content-Type", "application/json")
		})},
		{name: "content type text/plain", status: 415, req: edited(func(req *http.Request, _ []byte) {
			req.Header.Set("Content-Type", "text/plain")
		})},
		{name: "no content type", status: 415, req: edited(func(req *http.Request, _ []byte) {
			req.Header.Del("Content-Type")
		})},
	}
	runInboxCases(t, ts, []*peer{alice, mallory}, cases)
	if t.Failed() {
		return
	}

	// Replays of a request Roost accepted. alice's honest Follow still works after all the above:
	// nothing poisoned her key.
	orig := alice.activity("Follow", ts.actor)
	body := mustJSON(t, orig)
	first := signedBy(ts, alice, orig)(t)
	header := first.Header.Clone()
	replay := func(edit func(*http.Request)) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			req := inboxRequest(t, ts, body)
			req.Header = header.Clone()
			if edit != nil {
				edit(req)
			}
			return req
		}
	}
	if code := do(t, first); code != http.StatusAccepted {
		t.Fatalf("alice's Follow: status %d, want 202", code)
	}
	alice.waitPost(t, "Accept", ofTypeObject("Accept", orig["id"].(string)))
	ts.waitQueueEmpty(t)
	ts.waitInboxIdle(t)
	aliceAcct := ts.account(t, alice.actor)
	stillFollowing := func(want bool) func(t *testing.T) {
		return func(t *testing.T) {
			if ok, _ := ts.st.IsFollowing(context.Background(), aliceAcct.ID, ts.srv.Owner().ID); ok != want {
				t.Errorf("alice follows the owner: %v, want %v", ok, want)
			}
		}
	}
	runInboxCases(t, ts, []*peer{alice}, []inboxCase{
		// Harmless: the activity id was seen, so no row is added and no second Accept sent.
		{name: "exact replay of an accepted Follow", status: 202, req: replay(nil), check: stillFollowing(true)},
		{name: "replay on the shared inbox", status: 401, cause: "not verified",
			req: replay(func(r *http.Request) { r.URL.Path = "/inbox" })},
		{name: "replay with a fresh Date", status: 401, cause: "not verified", req: replay(func(r *http.Request) {
			r.Header.Set("Date", time.Now().Add(5*time.Second).UTC().Format(http.TimeFormat))
		})},
	})
	alice.sendAccepted(t, ts, alice.activity("Undo", orig))
	ts.waitInboxIdle(t)
	stillFollowing(false)(t)
	runInboxCases(t, ts, []*peer{alice}, []inboxCase{
		{name: "replay of the Follow after its Undo", status: 202, req: replay(nil), check: stillFollowing(false)},
	})
}

// adversarialOwnership: activities that pass the signature check but act on what the sender does
// not own (security.md §4.B; GoToSocial v0.13.2). mallory, whom the owner follows, attacks alice's
// objects and relations; each attack is acknowledged or refused and changes nothing, and an object
// someone else announces is taken from its origin, never from the body.
func adversarialOwnership(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	mallory := newPeer(t, "mallory")
	followedPeer(t, ts, mallory)
	followedPeer(t, ts, alice)
	ourFollow := alice.waitPost(t, "Follow", ofTypeObject("Follow", alice.actor)).Activity
	aliceFollow := followingPeer(t, ts, alice)
	mine, err := ts.srv.app.Post(ctx, app.PostInput{Text: "public"})
	if err != nil {
		t.Fatal(err)
	}
	like := alice.activity("Like", mine.IRI)
	alice.sendAccepted(t, ts, like)
	n := alice.note("<p>alice's own</p>", []string{activitypub.Public}, nil)
	alice.sendAccepted(t, ts, alice.create(n))
	ts.waitPost(t, n["id"].(string))
	ts.waitInboxIdle(t)
	ts.waitQueueEmpty(t)
	aliceAcct, owner := ts.account(t, alice.actor), ts.owner(t)

	path := func(iri string) string { return strings.TrimPrefix(iri, alice.base) }
	notStored := func(iri string) func(t *testing.T) {
		return func(t *testing.T) {
			if p, err := ts.st.PostByIRI(ctx, iri); err == nil {
				t.Errorf("stored %q attributed to account %d", p.Content, p.AccountID)
			}
		}
	}
	copyOf := func(m map[string]any, kv ...any) map[string]any {
		out := map[string]any{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i].(string)] = kv[i+1]
		}
		return out
	}
	mentionOwner := []any{map[string]any{"type": "Mention", "href": ts.actor}}

	// A note in alice's name that her server does not have.
	missing := alice.note("<p>fake words in alice's mouth</p>", []string{activitypub.Public}, []string{ts.actor})
	missing["tag"] = mentionOwner
	alice.setStatus(path(missing["id"].(string)), http.StatusNotFound)
	// A note in alice's name that her server has, with other words.
	differs := alice.note("<p>what alice really said</p>", []string{activitypub.Public}, nil)
	alice.setDoc(path(differs["id"].(string)), differs)
	differsFake := copyOf(differs, "content", "<p>fake words in alice's mouth</p>", "tag", mentionOwner)
	// A forwarded Create: actor alice, but mallory signs it.
	forwarded := alice.note("<p>forwarded fake</p>", []string{activitypub.Public}, nil)
	alice.setStatus(path(forwarded["id"].(string)), http.StatusNotFound)
	// A note on mallory's server attributed to alice, and one on alice's attributed to mallory.
	onMallory := mallory.note("<p>hosted by mallory</p>", []string{activitypub.Public}, []string{ts.actor})
	onMallory["attributedTo"], onMallory["tag"] = alice.actor, mentionOwner
	mallory.setDoc(strings.TrimPrefix(onMallory["id"].(string), mallory.base), onMallory)
	onAlice := copyOf(mallory.note("<p>claimed on alice's server</p>", []string{activitypub.Public}, nil),
		"id", alice.newID("notes"))
	alice.setStatus(path(onAlice["id"].(string)), http.StatusNotFound)
	// Posts on alice's server that mallory boosts: her own, served with other words in the body;
	// one her server attributes to mallory; one served under another id.
	real := alice.note("<p>the real words</p>", []string{activitypub.Public}, nil)
	alice.setDoc(path(real["id"].(string)), real)
	boosted := mallory.activity("Announce", copyOf(real, "content", "<p>words alice never said</p>"))
	boosted["to"] = []string{activitypub.Public}
	claimed := copyOf(alice.note("<p>mallory's, says alice's server</p>", []string{activitypub.Public}, nil),
		"attributedTo", mallory.actor)
	alice.setDoc(path(claimed["id"].(string)), claimed)
	elsewhere := alice.note("<p>served under another id</p>", []string{activitypub.Public}, nil)
	renamed := alice.newID("notes")
	alice.setDoc(path(renamed), elsewhere)
	announce := func(object any) map[string]any {
		a := mallory.activity("Announce", object)
		a["to"] = []string{activitypub.Public}
		return a
	}
	likeAsAlice := mallory.activity("Like", mine.IRI)
	likeAsAlice["actor"] = alice.actor

	cases := []inboxCase{
		{name: "Create of a note attributed to alice, missing at her origin",
			req: signedBy(ts, mallory, mallory.create(missing)), check: notStored(missing["id"].(string))},
		{name: "Create of a note attributed to alice, different at her origin",
			req: signedBy(ts, mallory, mallory.create(differsFake)), check: notStored(differs["id"].(string))},
		{name: "Create forwarded with actor alice", status: 401, cause: "signer is not",
			req: signedBy(ts, mallory, alice.create(forwarded)), check: notStored(forwarded["id"].(string))},
		{name: "Create of a note on mallory's server attributed to alice",
			req: signedBy(ts, mallory, mallory.create(onMallory)), check: notStored(onMallory["id"].(string))},
		{name: "Create of a note on alice's server attributed to mallory",
			req: signedBy(ts, mallory, mallory.create(onAlice)), check: notStored(onAlice["id"].(string))},
		{name: "Update of alice's note, claimed as mallory's",
			req: signedBy(ts, mallory, mallory.activity("Update", copyOf(n, "attributedTo", mallory.actor,
				"content", "<p>pwned</p>")))},
		{name: "Delete of alice's note, claimed as mallory's",
			req: signedBy(ts, mallory, mallory.activity("Delete", map[string]any{"id": n["id"], "type": "Note",
				"attributedTo": mallory.actor}))},
		{name: "Undo of alice's Follow of the owner",
			req: signedBy(ts, mallory, mallory.activity("Undo", map[string]any{"id": aliceFollow, "type": "Follow",
				"actor": alice.actor, "object": ts.actor}))},
		{name: "Undo of alice's Follow by id", req: signedBy(ts, mallory, mallory.activity("Undo", aliceFollow))},
		{name: "Undo of alice's Follow, claimed as mallory's",
			req: signedBy(ts, mallory, mallory.activity("Undo", map[string]any{"id": aliceFollow, "type": "Follow",
				"actor": mallory.actor, "object": ts.actor}))},
		{name: "Undo of alice's Like, claimed as mallory's",
			req: signedBy(ts, mallory, mallory.activity("Undo", copyOf(like, "actor", mallory.actor)))},
		{name: "Reject of the owner's Follow of alice", req: signedBy(ts, mallory, mallory.activity("Reject", ourFollow))},
		{name: "Reject by id of the owner's Follow of alice",
			req: signedBy(ts, mallory, mallory.activity("Reject", ourFollow["id"]))},
		{name: "Reject of the owner's Follow of alice, claimed as sent to mallory",
			req: signedBy(ts, mallory, mallory.activity("Reject", copyOf(ourFollow, "object", mallory.actor)))},
		{name: "Like on behalf of alice", status: 401, cause: "signer is not", req: signedBy(ts, mallory, likeAsAlice)},
		{name: "Announce of alice's post with other words in the body", status: 202,
			allow: []string{"inbox", "posts", "boosts"}, req: signedBy(ts, mallory, boosted),
			check: func(t *testing.T) {
				p, err := ts.st.PostByIRI(ctx, real["id"].(string))
				if err != nil {
					t.Fatalf("the announced post was not fetched: %v", err)
				}
				if strings.Contains(p.Content, "never said") || !strings.Contains(p.Content, "the real words") {
					t.Errorf("stored content %q, want alice's own", p.Content)
				}
				if p.AccountID != aliceAcct.ID {
					t.Errorf("post stored for account %d, not alice", p.AccountID)
				}
				if _, err := ts.st.BoostOf(ctx, ts.account(t, mallory.actor).ID, p.ID); err != nil {
					t.Errorf("mallory's boost: %v", err)
				}
			}},
		{name: "Announce of a post alice's server attributes to mallory",
			req: signedBy(ts, mallory, announce(claimed)), check: notStored(claimed["id"].(string))},
		{name: "Announce of a post served under another id", req: signedBy(ts, mallory, announce(renamed)),
			check: notStored(renamed)},
		{name: "Update of the owner's actor", req: signedBy(ts, mallory, mallory.activity("Update",
			map[string]any{"id": ts.actor, "type": "Person", "name": "pwned", "inbox": mallory.actor + "/inbox"}))},
		{name: "Delete of the owner's actor", req: signedBy(ts, mallory, mallory.activity("Delete", ts.actor))},
		{name: "Move of the owner to mallory", req: signedBy(ts, mallory, func() map[string]any {
			a := mallory.activity("Move", ts.actor)
			a["target"] = mallory.actor
			return a
		}())},
	}
	runInboxCases(t, ts, []*peer{alice, mallory}, cases)

	// alice's relations and objects, and the owner, are intact.
	if ok, _ := ts.st.IsFollowing(ctx, aliceAcct.ID, owner.ID); !ok {
		t.Error("alice no longer follows the owner")
	}
	if ok, _ := ts.st.IsFollowing(ctx, owner.ID, aliceAcct.ID); !ok {
		t.Error("the owner no longer follows alice")
	}
	if _, err := ts.st.LikeOf(ctx, aliceAcct.ID, mine.ID); err != nil {
		t.Errorf("alice's like: %v", err)
	}
	if p, err := ts.st.PostByIRI(ctx, n["id"].(string)); err != nil || !p.DeletedAt.IsZero() ||
		!strings.Contains(p.Content, "own") || p.AccountID != aliceAcct.ID {
		t.Errorf("alice's note: %+v, %v", p, err)
	}
	if o := ts.owner(t); o.DisplayName != owner.DisplayName || o.MovedTo != "" || o.PublicKeyPEM != owner.PublicKeyPEM {
		t.Errorf("the owner's account changed: %+v", o)
	}
	if a := ts.account(t, alice.actor); a.PublicKeyPEM != alice.publicKeyPEM() {
		t.Error("alice's key was replaced")
	}
}

// adversarialFetchSpoofing: fetched documents must be what they claim (security.md §4.C, §4.B.6):
// an id on another origin (also after a redirect), a wrong content type, our own host and our own
// uploads are all refused, and nothing is stored.
func adversarialFetchSpoofing(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t, func(c *Config) { c.MediaDir = filepath.Join(t.TempDir(), "media") })
	alice := newPeer(t, "alice")
	mallory := newPeer(t, "mallory")

	mallory.setDoc("/users/alias", alice.actorJSON()) // alice's document, served by mallory
	ours := mallory.actorJSON()
	ours["id"] = ts.actor
	mallory.setDoc("/users/ours", ours)
	note := alice.note("<p>x</p>", []string{activitypub.Public}, nil)
	onMallory := map[string]any{}
	for k, v := range note {
		onMallory[k] = v
	}
	onMallory["id"] = mallory.base + "/notes/x"
	mallory.setDoc("/notes/x", onMallory)
	mallory.setDoc("/notes/y", mallory.note("<p>mallory's</p>", []string{activitypub.Public}, nil))

	// spoof serves documents with any content type, redirects and broken ids, on loopback.
	var spoof *httptest.Server
	spoof = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if to := r.URL.Query().Get("to"); to != "" {
			http.Redirect(w, r, to, http.StatusFound)
			return
		}
		if hops, err := strconv.Atoi(r.URL.Query().Get("hops")); err == nil && hops > 0 {
			http.Redirect(w, r, r.URL.Path+"?hops="+strconv.Itoa(hops-1), http.StatusFound)
			return
		}
		doc := map[string]any{"id": spoof.URL + r.URL.Path, "type": "Person", "preferredUsername": "spoof",
			"inbox": spoof.URL + "/inbox"}
		switch r.URL.Query().Get("id") {
		case "none":
			delete(doc, "id")
		case "number":
			doc["id"] = 7
		}
		ct := r.URL.Query().Get("ct")
		if ct == "" {
			ct = activitypub.ContentType
		}
		w.Header().Set("Content-Type", ct)
		json.NewEncoder(w).Encode(doc)
	}))
	t.Cleanup(spoof.Close)
	viaSpoof := func(q url.Values) string { return spoof.URL + "/users/spoof?" + q.Encode() }

	upload, err := ts.srv.media.Save(ctx, bytes.NewReader(mediatest.JPEG(t, 32, 32)), "")
	if err != nil {
		t.Fatal(err)
	}
	media := ts.srv.media.URL(upload.Name)

	actor := func(iri string) func() error {
		return func() error { _, err := ts.srv.app.Resolve.Account(ctx, iri); return err }
	}
	post := func(iri string) func() error {
		return func() error { _, err := ts.srv.app.FetchPost(ctx, iri); return err }
	}
	type fetchCase struct {
		name string
		run  func() error
		want error
	}
	tests := []fetchCase{
		{"actor id on another origin", actor(mallory.base + "/users/alias"), remote.ErrIDMismatch},
		{"actor claiming our own id", actor(mallory.base + "/users/ours"), remote.ErrIDMismatch},
		{"our own actor", func() error { _, err := ts.srv.app.Resolve.FetchActor(ctx, ts.actor); return err }, resolve.ErrLocal},
		{"our own post", post(ts.actor + "/statuses/1"), resolve.ErrLocal},
		{"our own upload as an actor", actor(media), resolve.ErrLocal},
		{"our own upload as a post", post(media), resolve.ErrLocal},
		{"post attributed to another origin", post(mallory.base + "/notes/x"), app.ErrRejected},
		{"redirect to another host, document with the first host's id",
			actor(viaSpoof(url.Values{"to": {mallory.base + "/users/alias"}})), remote.ErrIDMismatch},
		{"redirect to another host, document with that host's id",
			actor(viaSpoof(url.Values{"to": {mallory.actor}})), remote.ErrIDMismatch},
		{"post redirected to another host", post(viaSpoof(url.Values{"to": {mallory.base + "/notes/y"}})), app.ErrRejected},
		{"post redirected to our own host", post(viaSpoof(url.Values{"to": {ts.actor}})), app.ErrRejected},
		{"four redirects", actor(viaSpoof(url.Values{"hops": {"4"}})), remote.ErrTooManyRedirects},
		{"no id", actor(viaSpoof(url.Values{"id": {"none"}})), remote.ErrIDMismatch},
		{"id not a string", actor(viaSpoof(url.Values{"id": {"number"}})), remote.ErrIDMismatch},
	}
	for _, ct := range []string{"application/json", "text/html", "text/plain", "application/octet-stream",
		"image/png", "application/ld+json", `application/ld+json; profile="https://example.com/ns"`,
		"application/activity+json; charset=iso-8859-1", "application/activity+jsonx", "invalid/;;"} {
		tests = append(tests, fetchCase{"content type " + ct, actor(viaSpoof(url.Values{"ct": {ct}})), remote.ErrContentType})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := ts.rowCounts(t)
			if err := tt.run(); !errors.Is(err, tt.want) {
				t.Errorf("err %v, want %v", err, tt.want)
			}
			assertUnchanged(t, before, ts.rowCounts(t))
		})
	}
	if o := ts.owner(t); o.PublicKeyPEM == mallory.publicKeyPEM() || !o.Local {
		t.Error("the owner's account was overwritten")
	}

	// Our own uploads are images whatever is asked, and never an actor or a note to the inbox
	// (Mastodon CVE-2024-25623, Pleroma 2.2.0).
	t.Run("our own upload asked for as ActivityPub", func(t *testing.T) {
		resp, body := ts.get(t, strings.TrimPrefix(media, ts.base), activitypub.ContentType)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" ||
			resp.Header.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") || json.Valid(body) {
			t.Errorf("media answer %d %v", resp.StatusCode, resp.Header)
		}
	})
	followedPeer(t, ts, mallory)
	onUpload := mallory.note("<p>stored under our upload</p>", []string{activitypub.Public}, nil)
	onUpload["id"] = media
	runInboxCases(t, ts, []*peer{alice, mallory}, []inboxCase{
		{name: "keyId on our own upload", status: 403, cause: "own actors", req: func(t *testing.T) *http.Request {
			body := mustJSON(t, mallory.activity("Follow", ts.actor))
			req := inboxRequest(t, ts, body)
			if err := signAs(req, body, media, mallory); err != nil {
				t.Fatal(err)
			}
			return req
		}},
		{name: "Create of a note with the id of our own upload", req: signedBy(ts, mallory, mallory.create(onUpload)),
			check: func(t *testing.T) {
				if _, err := ts.st.PostByIRI(ctx, media); err == nil {
					t.Error("a note was stored under our upload's URL")
				}
			}},
	})
}

// adversarialSSRF: with no private range allowed but 127.0.0.2 (where the honest peers and a
// redirector run), Roost never connects to the "internal" services on 127.0.0.1 and [::1]: not
// for an actor, an object, a key, WebFinger (the owner's or a visitor's), a delivery or a proxied
// image, named by address, IPv4-mapped IPv6, the unspecified address, localhost, or reached
// through a redirect (security.md §4.D). Ranges without a listener (10/8, link-local metadata,
// CGNAT, ULA, NAT64) must be refused as well.
func adversarialSSRF(t *testing.T) {
	ctx := context.Background()
	l2, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("cannot listen on 127.0.0.2, where the honest peers run: %v", err)
		}
		t.Skipf("cannot listen on 127.0.0.2 (only Linux routes all of 127/8), where the honest peers run: %v", err)
	}
	l2.Close()
	ts := newTestServer(t, func(c *Config) {
		c.AllowPrivate = []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}
		c.MediaDir = filepath.Join(t.TempDir(), "media")
		c.CacheDir = filepath.Join(t.TempDir(), "cache")
		c.MediaProxy = true
	})

	cl := listenCounting(t, "127.0.0.1:0")
	if cl == nil {
		t.Fatal("cannot listen on 127.0.0.1")
	}
	internal := startPeer(t, "internal", cl)
	_, port, _ := net.SplitHostPort(internal.host)
	listeners := []*countingListener{cl}
	var internal6 *peer
	if cl6 := listenCounting(t, "[::1]:0"); cl6 != nil {
		internal6 = startPeer(t, "internal", cl6)
		listeners = append(listeners, cl6)
	}
	on127002 := func(name string) *peer {
		l, err := net.Listen("tcp", "127.0.0.2:0")
		if err != nil {
			t.Fatal(err)
		}
		return startPeer(t, name, l)
	}
	outside := on127002("outside")
	followedPeer(t, ts, outside)
	// gateway redirects anywhere, and its WebFinger names an internal actor or redirects there.
	gl, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	gateway := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/.well-known/webfinger" {
			if strings.HasPrefix(r.URL.Query().Get("resource"), "acct:hop@") {
				http.Redirect(w, r, internal.base+r.URL.RequestURI(), http.StatusFound)
				return
			}
			w.Header().Set("Content-Type", "application/jrd+json")
			json.NewEncoder(w).Encode(map[string]any{"subject": r.URL.Query().Get("resource"), "links": []any{
				map[string]string{"rel": "self", "type": activitypub.ContentType, "href": internal.actor}}})
			return
		}
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	}))
	gateway.Listener.Close()
	gateway.Listener = gl
	gateway.Start()
	t.Cleanup(gateway.Close)
	via := func(to string) string { return gateway.URL + "/r?to=" + url.QueryEscape(to) }

	// Where the internal service is reached. A call must fail with ErrForbiddenAddress; an HTTP
	// exchange (an inbox POST, a proxied image, a visitor's remote follow) would get the same answer
	// had Roost connected, so for those the connection count below is the proof. The [::1] targets
	// need an IPv6 loopback and are left out without one.
	targets := []struct{ name, base string }{
		{"127.0.0.1", internal.base},
		{"localhost", "http://localhost:" + port},
		{"IPv4-mapped ::ffff:127.0.0.1", "http://[::ffff:127.0.0.1]:" + port},
		{"IPv4-mapped ::ffff:7f00:1", "http://[::ffff:7f00:1]:" + port},
		{"0.0.0.0", "http://0.0.0.0:" + port},
		{"127.0.0.3, beside the allowed 127.0.0.2", "http://127.0.0.3:" + port},
		{"10.0.0.1", "http://10.0.0.1"},
		{"172.16.0.1", "http://172.16.0.1"},
		{"192.168.0.1", "http://192.168.0.1"},
		{"cloud metadata 169.254.169.254", "http://169.254.169.254"},
		{"CGNAT 100.64.0.1", "http://100.64.0.1"},
		{"ULA fd00::1", "http://[fd00::1]"},
		{"NAT64 64:ff9b::7f00:1", "http://[64:ff9b::7f00:1]:" + port},
	}
	if internal6 != nil {
		_, port6, _ := net.SplitHostPort(internal6.host)
		targets = append(targets, struct{ name, base string }{"::1", internal6.base},
			struct{ name, base string }{"unspecified ::", "http://[::]:" + port6})
	}
	// keyRequest is an inbox POST, signed with the internal peer's key under keyID.
	keyRequest := func(keyID string) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			actor := strings.TrimSuffix(keyID, "#main-key")
			body := mustJSON(t, map[string]any{"id": internal.newID("activities"), "type": "Follow", "actor": actor,
				"object": ts.actor})
			req := inboxRequest(t, ts, body)
			if err := signAs(req, body, keyID, internal); err != nil {
				t.Fatal(err)
			}
			return req
		}
	}
	get := func(path string) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request { return getRequest(t, ts, path) }
	}
	var ops []ssrfOp
	for _, tg := range targets {
		host := strings.TrimPrefix(tg.base, "http://")
		ops = append(ops,
			ssrfOp{name: "actor on " + tg.name, call: func() error {
				_, err := ts.srv.app.Resolve.Account(ctx, tg.base+"/users/internal")
				return err
			}},
			ssrfOp{name: "object on " + tg.name, call: func() error {
				_, err := ts.srv.app.FetchPost(ctx, tg.base+"/notes/1")
				return err
			}},
			ssrfOp{name: "WebFinger on " + tg.name, call: func() error {
				_, err := ts.srv.app.Resolve.Handle(ctx, "internal@"+host)
				return err
			}},
			ssrfOp{name: "delivery to " + tg.name, call: func() error {
				return ts.srv.app.SendActivity(ctx, tg.base+"/users/internal/inbox", []byte(`{}`))
			}},
			ssrfOp{name: "key on " + tg.name, req: keyRequest(tg.base + "/users/internal#main-key"),
				status: http.StatusUnauthorized},
			ssrfOp{name: "proxied image on " + tg.name, req: get(ts.srv.imageSrc(tg.base + "/avatar.png")),
				status: http.StatusBadGateway},
			ssrfOp{name: "visitor's remote follow on " + tg.name,
				req: get("/remote-follow?acct=" + url.QueryEscape("internal@"+host)), status: http.StatusBadGateway},
		)
	}
	// Through the gateway on 127.0.0.2, which Roost may reach.
	ops = append(ops,
		ssrfOp{name: "actor redirected to 127.0.0.1", call: func() error {
			_, err := ts.srv.app.Resolve.Account(ctx, via(internal.actor))
			return err
		}},
		ssrfOp{name: "actor redirected to localhost", call: func() error {
			_, err := ts.srv.app.Resolve.Account(ctx, via("http://localhost:"+port+"/users/internal"))
			return err
		}},
		ssrfOp{name: "actor redirected to 169.254.169.254", call: func() error {
			_, err := ts.srv.app.Resolve.Account(ctx, via("http://169.254.169.254/latest/meta-data/"))
			return err
		}},
		ssrfOp{name: "WebFinger naming an actor on 127.0.0.1", call: func() error {
			_, err := ts.srv.app.Resolve.Handle(ctx, "point@"+gl.Addr().String())
			return err
		}},
		ssrfOp{name: "WebFinger redirected to 127.0.0.1", call: func() error {
			_, err := ts.srv.app.Resolve.Handle(ctx, "hop@"+gl.Addr().String())
			return err
		}},
		ssrfOp{name: "key redirected to 127.0.0.1", req: keyRequest(via(internal.keyID)), status: http.StatusUnauthorized},
		ssrfOp{name: "proxied image redirected to 127.0.0.1", req: get(ts.srv.imageSrc(via(internal.base + "/avatar.png"))),
			status: http.StatusBadGateway},
	)
	if internal6 != nil {
		ops = append(ops, ssrfOp{name: "actor redirected to [::1]", call: func() error {
			_, err := ts.srv.app.Resolve.Account(ctx, via(internal6.actor))
			return err
		}})
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) { op.run(t, ts) })
	}

	// Activities from a followed peer on 127.0.0.2 that would make Roost fetch internal objects.
	onInternal := internal.note("<p>internal</p>", []string{activitypub.Public}, nil)
	internal.setDoc(strings.TrimPrefix(onInternal["id"].(string), internal.base), onInternal)
	embedded := map[string]any{}
	for k, v := range onInternal {
		embedded[k] = v
	}
	embedded["attributedTo"] = outside.actor
	announce := func(object string) map[string]any {
		a := outside.activity("Announce", object)
		a["to"] = []string{activitypub.Public}
		return a
	}
	runInboxCases(t, ts, []*peer{outside}, []inboxCase{
		{name: "Announce of a post on 127.0.0.1", req: signedBy(ts, outside, announce(onInternal["id"].(string)))},
		{name: "Announce of a post redirected to 127.0.0.1",
			req: signedBy(ts, outside, announce(via(onInternal["id"].(string))))},
		{name: "Create of a note whose id is on 127.0.0.1", req: signedBy(ts, outside, outside.create(embedded))},
	})

	// An actor on 127.0.0.2 whose inbox and avatar are internal follows the owner: the Accept is
	// dropped without a connection, not retried, and the avatar is not proxied.
	trap := on127002("trap")
	trap.setActorField("inbox", internal.actor+"/inbox")
	trap.setActorField("endpoints", map[string]any{"sharedInbox": internal.base + "/inbox"})
	trap.setActorField("icon", map[string]any{"type": "Image", "url": internal.base + "/avatar.png"})
	trap.sendAccepted(t, ts, trap.activity("Follow", ts.actor))
	ts.waitInboxIdle(t)
	ts.waitQueueEmpty(t)
	t.Run("avatar on 127.0.0.1 of a follower", func(t *testing.T) {
		ssrfOp{req: get(ts.srv.imageSrc(ts.account(t, trap.actor).AvatarURL)), status: http.StatusBadGateway}.run(t, ts)
	})

	for _, l := range listeners {
		if n := l.n.Load(); n != 0 {
			t.Errorf("the internal service on %s saw %d connections, want 0", l.Addr(), n)
		}
	}
}

// ssrfOp is one way to make Roost reach a URL: a call that must fail with ErrForbiddenAddress, or
// an HTTP exchange that must get status. Either way nothing is stored.
type ssrfOp struct {
	name   string
	call   func() error
	req    func(t *testing.T) *http.Request
	status int
}

func (op ssrfOp) run(t *testing.T, ts *testServer) {
	t.Helper()
	before := ts.rowCounts(t)
	if op.call != nil {
		if err := op.call(); !errors.Is(err, remote.ErrForbiddenAddress) {
			t.Errorf("err %v, want ErrForbiddenAddress", err)
		}
	} else {
		resp, body := doNoRedirect(t, op.req(t))
		if resp.StatusCode != op.status {
			t.Errorf("status %d, want %d: %.200s", resp.StatusCode, op.status, body)
		}
	}
	assertUnchanged(t, before, ts.rowCounts(t))
}

// getRequest builds a GET of path (or an absolute URL) on ts.
func getRequest(t *testing.T, ts *testServer, path string) *http.Request {
	t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = ts.base + path
	}
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// adversarialExhaustion: documents too large, too deep, too long, and peers serving endless
// chains (security.md §4.C.4, §4.C.5; Mastodon CVE-2026-23962, CVE-2022-46405). Refused up front,
// or kept within the limits.
func adversarialExhaustion(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	followedPeer(t, ts, alice)

	withField := func(k string, v any) func(t *testing.T) *http.Request {
		a := alice.activity("Follow", ts.actor)
		a[k] = v
		return signedBy(ts, alice, a)
	}
	// rawBody sends b as it is: encoding/json would refuse to write some of these documents.
	rawBody := func(b string) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request { return signedBody(t, ts, alice, []byte(b)) }
	}
	nested := func(depth int) string {
		return strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth)
	}
	// withNested is a Follow with a value nested depth deep.
	withNested := func(depth int) func(t *testing.T) *http.Request {
		b := mustJSON(t, alice.activity("Follow", ts.actor))
		return rawBody(string(b[:len(b)-1]) + `,"x":` + nested(depth) + `}`)
	}
	many := func(n int, f func(i int) any) []any {
		l := make([]any, n)
		for i := range l {
			l[i] = f(i)
		}
		return l
	}
	hashtag := func(i int) any {
		return map[string]any{"type": "Hashtag", "name": fmt.Sprintf("#t%d", i), "href": alice.base + "/tags/t" + strconv.Itoa(i)}
	}
	// created returns a Create of a note with extra fields, and a check that what was stored is
	// within its limits.
	created := func(typ string, kv ...any) (func(t *testing.T) *http.Request, string) {
		n := alice.note("<p>long lists</p>", []string{activitypub.Public}, nil)
		n["type"] = typ
		for i := 0; i+1 < len(kv); i += 2 {
			n[kv[i].(string)] = kv[i+1]
		}
		return signedBy(ts, alice, alice.create(n)), n["id"].(string)
	}
	tagsReq, tagsIRI := created("Note", "tag", many(activitypub.MaxArray, hashtag))
	attReq, attIRI := created("Note", "attachment", many(activitypub.MaxArray, func(i int) any {
		return map[string]any{"type": "Document", "mediaType": "image/png", "url": fmt.Sprintf("%s/media/%d.png", alice.base, i)}
	}))
	pollReq, pollIRI := created("Question", "oneOf", many(activitypub.MaxArray, func(i int) any {
		return map[string]any{"type": "Note", "name": "option " + strconv.Itoa(i)}
	}))
	longReq, longIRI := created("Note", "content", "<p>"+strings.Repeat("A long, long post. ", 30000)+"</p>")
	stored := func(iri string, ok func(p *store.Post) error) func(t *testing.T) {
		return func(t *testing.T) {
			p, err := ts.st.PostByIRI(ctx, iri)
			if err != nil {
				t.Fatalf("post not stored: %v", err)
			}
			if err := ok(p); err != nil {
				t.Error(err)
			}
		}
	}
	padded := alice.activity("Follow", ts.actor)
	padded["padding"] = strings.Repeat("x", activitypub.MaxBodyBytes)

	runInboxCases(t, ts, []*peer{alice}, []inboxCase{
		{name: "body over 1 MiB", status: 413, req: signedBy(ts, alice, padded)},
		{name: "JSON nested 100 deep", status: 400, cause: "deep", req: withNested(100)},
		{name: "JSON nested 100,000 deep", status: 400, cause: "deep", req: withNested(100000)},
		{name: "array of 100,000 elements", status: 400, cause: "large", req: withField("to", make([]int, 100000))},
		{name: "tag list of 5,000 entries", status: 400, cause: "large", req: withField("tag", many(5000, hashtag))},
		{name: "malformed JSON", status: 400, req: rawBody(`{"type":"Follow","actor":`)},
		{name: "two JSON documents", status: 400, req: rawBody(`{"type":"Follow"}{"type":"Follow"}`)},
		{name: "JSON array", status: 400, req: rawBody(`[` + string(mustJSON(t, alice.activity("Follow", ts.actor))) + `]`)},
		{name: "no actor", status: 400, req: func() func(t *testing.T) *http.Request {
			a := alice.activity("Follow", ts.actor)
			delete(a, "actor")
			return signedBy(ts, alice, a)
		}()},
		{name: "a thousand hashtags", status: 202, allow: []string{"inbox", "posts", "post_tags"}, req: tagsReq,
			check: stored(tagsIRI, func(p *store.Post) error {
				if len(p.Tags) > activitypub.MaxTags {
					return fmt.Errorf("%d tags stored, want at most %d", len(p.Tags), activitypub.MaxTags)
				}
				return nil
			})},
		{name: "a thousand attachments", status: 202, allow: []string{"inbox", "posts"}, req: attReq,
			check: stored(attIRI, func(p *store.Post) error {
				if len(p.Attachments) > activitypub.MaxAttachments {
					return fmt.Errorf("%d attachments stored, want at most %d", len(p.Attachments), activitypub.MaxAttachments)
				}
				return nil
			})},
		{name: "content of half a megabyte", status: 202, allow: []string{"inbox", "posts"}, req: longReq,
			check: stored(longIRI, func(p *store.Post) error {
				if len(p.Content) > activitypub.MaxContentBytes || !strings.HasPrefix(p.Content, "<p>A long, long post.") {
					return fmt.Errorf("content of %d bytes stored (%.40q), want at most %d, starting with the post's text",
						len(p.Content), p.Content, activitypub.MaxContentBytes)
				}
				return nil
			})},
		{name: "a poll of a thousand options", status: 202, allow: []string{"inbox", "posts"}, req: pollReq,
			check: stored(pollIRI, func(p *store.Post) error {
				if p.Poll == nil {
					return fmt.Errorf("no poll stored")
				}
				if n := len(p.Poll.Options); n == 0 || n > activitypub.MaxPollOptions {
					return fmt.Errorf("%d poll options stored, want 1 to %d", n, activitypub.MaxPollOptions)
				}
				return nil
			})},
	})

	// Documents Roost fetches are held to the same limits.
	huge := newPeer(t, "huge")
	for name, v := range map[string]any{"big": strings.Repeat("x", remote.DefaultMaxBody),
		"deep": json.RawMessage(nested(1000)), "long": make([]int, 100000)} {
		doc := huge.actorJSON()
		doc["id"], doc["extra"] = huge.base+"/users/"+name, v
		huge.setDoc("/users/"+name, doc)
	}
	for _, tc := range []struct {
		name string
		want error
	}{{"big", remote.ErrTooLarge}, {"deep", activitypub.ErrTooDeep}, {"long", activitypub.ErrTooLarge}} {
		t.Run("fetched actor "+tc.name, func(t *testing.T) {
			before := ts.rowCounts(t)
			if _, err := ts.srv.app.Resolve.Account(ctx, huge.base+"/users/"+tc.name); !errors.Is(err, tc.want) {
				t.Errorf("err %v, want %v", err, tc.want)
			}
			assertUnchanged(t, before, ts.rowCounts(t))
		})
	}

	// A peer serves a reply chain a thousand posts deep; Roost stores the reply it was sent and
	// fetches a bounded number of ancestors, whatever the owner then looks at.
	t.Run("reply chain a thousand deep", func(t *testing.T) {
		const depth, budget = 1000, 20
		chain := func(i int) string { return alice.base + "/notes/chain/" + strconv.Itoa(i) }
		for i := range depth {
			n := alice.note("<p>link "+strconv.Itoa(i)+"</p>", []string{activitypub.Public}, nil)
			n["id"], n["url"] = chain(i), chain(i)
			if i > 0 {
				n["inReplyTo"] = chain(i - 1)
			}
			alice.setDoc(strings.TrimPrefix(chain(i), alice.base), n)
		}
		reply := alice.note("<p>the end of the chain</p>", []string{activitypub.Public}, nil)
		reply["inReplyTo"] = chain(depth - 1)
		alice.sendAccepted(t, ts, alice.create(reply))
		p := ts.waitPost(t, reply["id"].(string))
		ts.waitInboxIdle(t)
		api := newAPIClient(t, ts, "read")
		api.json(t, http.MethodGet, "/api/v1/statuses/"+idString(p.ID)+"/context", nil, http.StatusOK)
		c := signIn(t, ts)
		c.get("/search?q=" + url.QueryEscape(chain(depth-1)))
		fetched := 0
		for i := range depth {
			fetched += alice.getCount(strings.TrimPrefix(chain(i), alice.base))
		}
		if fetched > budget {
			t.Errorf("%d posts of the chain fetched, want at most %d", fetched, budget)
		}
	})

	// An outbox whose pages never end: Roost reads its first page only.
	t.Run("outbox a thousand pages long", func(t *testing.T) {
		pager := newPeer(t, "pager")
		page := func(i int) string { return pager.base + "/outbox/" + strconv.Itoa(i) }
		pager.setActorField("outbox", pager.base+"/outbox")
		pager.setDoc("/outbox", map[string]any{"id": pager.base + "/outbox", "type": "OrderedCollection",
			"totalItems": 1000000, "first": page(0)})
		for i := range 1000 {
			pager.setDoc(strings.TrimPrefix(page(i), pager.base), map[string]any{"id": page(i),
				"type": "OrderedCollectionPage", "next": page(i + 1), "orderedItems": []any{}})
		}
		signIn(t, ts).page(t, "/account?iri="+url.QueryEscape(pager.actor))
		fetched := 0
		for i := range 1000 {
			fetched += pager.getCount(strings.TrimPrefix(page(i), pager.base))
		}
		if fetched > 3 {
			t.Errorf("%d outbox pages fetched, want at most 3", fetched)
		}
	})
}

// adversarialHostileHTML: markup meant to run script or restyle pages, in every text a peer
// controls (security.md §4.E): stored sanitized, inert on the owner's pages and the public
// permalink, and safe in the Mastodon API.
func adversarialHostileHTML(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	evil := newPeer(t, "evil")
	evil.setActorField("name", hostileText)
	evil.setActorField("summary", hostile)
	evil.setActorField("attachment", []any{
		map[string]any{"type": "PropertyValue", "name": hostileText, "value": hostile},
	})
	evil.setActorField("url", "javascript:alert(1)")
	evil.setActorField("icon", map[string]any{"type": "Image", "url": "javascript:alert(1)"})
	evil.setActorField("image", map[string]any{"type": "Image", "url": "javascript:alert(1)"})
	followedPeer(t, ts, evil)
	mine, err := ts.srv.app.Post(ctx, app.PostInput{Text: "a post to reply to"})
	if err != nil {
		t.Fatal(err)
	}

	// Every post type, each with a hostile content, summary, name, url, tags and attachments; the
	// Note is a public reply to the owner (so it shows on the public permalink and notifications).
	var posts []*store.Post
	for _, typ := range []string{"Note", "Article", "Question"} {
		n := evil.note(hostile, []string{activitypub.Public}, []string{ts.actor})
		n["type"] = typ
		n["summary"] = hostileText
		n["name"] = hostileText
		n["url"] = "javascript:alert(1)"
		if typ == "Note" {
			n["inReplyTo"] = mine.IRI
		}
		if typ == "Question" {
			n["oneOf"] = []any{map[string]any{"type": "Note", "name": hostileText}}
		}
		n["tag"] = []any{
			map[string]any{"type": "Mention", "name": hostileText, "href": ts.actor},
			map[string]any{"type": "Hashtag", "name": "#x<script>alert(1)</script>", "href": "javascript:alert(1)"},
			map[string]any{"type": "Emoji", "name": ":x<script>:", "icon": map[string]any{"url": "javascript:alert(1)"}},
		}
		n["attachment"] = []any{
			map[string]any{"type": "Document", "mediaType": "image/png", "url": "javascript:alert(1)", "name": hostileText},
			map[string]any{"type": "Document", "mediaType": "image/png", "url": evil.base + "/a.png", "name": hostileText},
			map[string]any{"type": "Document", "mediaType": "text/html", "url": "data:text/html,<script>alert(1)</script>"},
		}
		evil.sendAccepted(t, ts, evil.create(n))
		posts = append(posts, ts.waitPost(t, n["id"].(string)))
	}
	ts.waitInboxIdle(t)
	acct := ts.account(t, evil.actor)
	c := signIn(t, ts)
	api := newAPIClient(t, ts, "read")

	type surface struct {
		name  string
		check func(t *testing.T)
	}
	surfaces := []surface{
		{"stored account", func(t *testing.T) {
			for what, v := range map[string]string{"display name": acct.DisplayName, "summary": acct.Summary,
				"url": acct.URL, "avatar": acct.AvatarURL, "header": acct.HeaderURL} {
				assertSafeHTML(t, what, v)
			}
			if len(acct.Fields) != 1 {
				t.Fatalf("fields %+v", acct.Fields)
			}
			assertSafeHTML(t, "field name", acct.Fields[0].Name)
			assertSafeHTML(t, "field value", acct.Fields[0].Value)
		}},
	}
	for _, p := range posts {
		surfaces = append(surfaces, surface{"stored " + p.Type, func(t *testing.T) {
			for what, v := range map[string]string{"content": p.Content, "summary": p.Summary, "url": p.URL,
				"quote": p.Quote} {
				assertSafeHTML(t, what, v)
			}
			if p.Poll != nil {
				for _, o := range p.Poll.Options {
					assertSafeHTML(t, "poll option", o)
				}
			}
			for _, tag := range p.Tags {
				assertSafeHTML(t, "tag", tag.Name+" "+tag.Href+" "+tag.Icon)
			}
			for _, a := range p.Attachments {
				assertSafeHTML(t, "attachment", a.URL+" "+a.Name)
			}
			if !strings.Contains(p.Content, "harmless words") {
				t.Errorf("the harmless text is gone too: %q", p.Content)
			}
		}})
	}
	for _, path := range []string{"/home", "/notifications", "/account?iri=" + url.QueryEscape(evil.actor),
		"/@me/" + idString(mine.ID)} {
		surfaces = append(surfaces, surface{"page " + path, func(t *testing.T) {
			doc := c.page(t, path)
			assertInert(t, path, doc)
			if !strings.Contains(textOf(doc), "harmless words") {
				t.Errorf("%s does not show the harmless text", path)
			}
		}})
	}
	for _, path := range []string{"/api/v1/timelines/home", "/api/v1/notifications", "/api/v1/accounts/" + idString(acct.ID),
		"/api/v1/accounts/" + idString(acct.ID) + "/statuses", "/api/v1/statuses/" + idString(mine.ID) + "/context"} {
		surfaces = append(surfaces, surface{"API " + path, func(t *testing.T) {
			resp, body := api.do(t, http.MethodGet, path, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			assertSafeJSON(t, path, body)
			if !bytes.Contains(body, []byte("harmless words")) && !strings.HasPrefix(path, "/api/v1/accounts/"+idString(acct.ID)) {
				t.Errorf("%s does not hold the harmless text", path)
			}
		}})
	}
	for _, s := range surfaces {
		t.Run(s.name, s.check)
	}
}

// adversarialOwner: attacks on the owner's session and on the OAuth flow of the client API
// (security.md §4.H): cross-site form posts, spread-out brute force, stolen or stale session ids,
// redirect URI tricks and a PKCE verifier copied from the challenge. Each is refused and changes
// nothing.
func adversarialOwner(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	setOwnerPassword(t, ts)
	c := signIn(t, ts)
	other := signIn(t, ts) // a second session, whose token must not serve the first
	o := &oauthHarness{ts: ts, h: c.h, cookie: c.cookie, csrf: c.csrf}
	oa := o.registerApp(t, "https://app.example/callback", "read write follow")
	alice := newPeer(t, "alice")
	target, err := ts.srv.app.Post(ctx, app.PostInput{Text: "keep me"})
	if err != nil {
		t.Fatal(err)
	}
	// Brute force spread over many networks, or over one IPv6 /64, is refused by the sign-in
	// throttle: TestLoginBruteForce in server/web, which counts the failures without hashing them.

	as := func(cookie string) *ownerClient {
		return &ownerClient{ts: ts, h: c.h, cookie: &http.Cookie{Name: ts.srv.app.CookieName(), Value: cookie}}
	}
	authorize := func(redirect string) *httptest.ResponseRecorder {
		q := url.Values{"response_type": {"code"}, "client_id": {oa.ClientID}, "redirect_uri": {redirect},
			"scope": {"read"}}
		return o.browser(http.MethodGet, "/oauth/authorize?"+q.Encode(), nil)
	}
	register := func(redirect string) *httptest.ResponseRecorder {
		return oauthPostJSON(o, "/api/v1/apps", map[string]any{"client_name": "evil", "redirect_uris": redirect})
	}
	stale := randomToken(32)
	if err := access.New(ts.st).CreateSession(ctx, &access.Session{ID: hashToken(stale), CSRF: randomToken(24),
		ExpiresAt: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	// Signed in more than a year ago, and kept in use since: not idle, but too old.
	old := randomToken(32)
	ts.advance(-app.SessionMax - time.Hour)
	err = access.New(ts.st).CreateSession(ctx, &access.Session{ID: hashToken(old), CSRF: randomToken(24),
		ExpiresAt: time.Now().Add(app.SessionIdle)})
	ts.advance(app.SessionMax + time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	challengeVerifier := randomToken(48)
	challenge := s256(challengeVerifier)

	tests := []struct {
		name   string
		do     func(t *testing.T) *httptest.ResponseRecorder
		status int
		check  func(t *testing.T, rec *httptest.ResponseRecorder)
	}{
		{"follow form from another site", func(t *testing.T) *httptest.ResponseRecorder {
			return c.postForm("/follow", c.withCSRF(url.Values{"account": {alice.actor}}), "Sec-Fetch-Site", "cross-site")
		}, http.StatusForbidden, nil},
		{"domain block form from a foreign Origin", func(t *testing.T) *httptest.ResponseRecorder {
			return c.postForm("/settings/domain-blocks", c.withCSRF(url.Values{"domain": {"victim.example"}}),
				"Origin", "https://evil.example")
		}, http.StatusForbidden, func(t *testing.T, _ *httptest.ResponseRecorder) {
			if blocked, _ := ts.st.DomainBlocked(ctx, "victim.example"); blocked {
				t.Error("the domain was blocked")
			}
		}},
		{"password form without the token", func(t *testing.T) *httptest.ResponseRecorder {
			return c.postForm("/settings/password", url.Values{"current": {ownerPassword}, "new": {"pwned pwned pwned"},
				"confirm": {"pwned pwned pwned"}})
		}, http.StatusForbidden, func(t *testing.T, _ *httptest.ResponseRecorder) {
			if o, err := ts.st.Owner(ctx); err != nil || !checkPassword(o.PasswordHash, ownerPassword) {
				t.Errorf("the password changed (%v)", err)
			}
		}},
		{"delete form with another session's token", func(t *testing.T) *httptest.ResponseRecorder {
			return c.postForm("/delete", withToken(url.Values{"post": {target.IRI}}, other.csrf))
		}, http.StatusForbidden, func(t *testing.T, _ *httptest.ResponseRecorder) {
			if p, err := ts.st.PostByID(ctx, target.ID); err != nil || !p.DeletedAt.IsZero() {
				t.Errorf("the post was deleted (%v)", err)
			}
		}},
		{"consent form from another site", func(t *testing.T) *httptest.ResponseRecorder {
			form := url.Values{"csrf": {c.csrf}, "decision": {"approve"}, "response_type": {"code"},
				"client_id": {oa.ClientID}, "redirect_uri": {oa.Redirect}, "scope": {"read"}}
			return c.postForm("/oauth/authorize", form, "Sec-Fetch-Site", "cross-site")
		}, http.StatusForbidden, nil},
		{"logout from another site", func(t *testing.T) *httptest.ResponseRecorder {
			return c.postForm("/logout", c.withCSRF(url.Values{}), "Origin", "https://evil.example")
		}, http.StatusForbidden, func(t *testing.T, _ *httptest.ResponseRecorder) {
			if rec := c.get("/home"); rec.Code != http.StatusOK {
				t.Errorf("the session ended: /home answers %d", rec.Code)
			}
		}},
		{"like by GET", func(t *testing.T) *httptest.ResponseRecorder {
			return c.get("/like?post=" + url.QueryEscape(target.IRI) + "&csrf=" + c.csrf)
		}, http.StatusNotFound, nil},
		{"stored session id as the cookie", func(t *testing.T) *httptest.ResponseRecorder {
			return as(hashToken(c.cookie.Value)).get("/home")
		}, http.StatusSeeOther, wantLoginRedirect},
		{"expired session", func(t *testing.T) *httptest.ResponseRecorder { return as(stale).get("/home") },
			http.StatusSeeOther, wantLoginRedirect},
		{"session in use but signed in over a year ago", func(t *testing.T) *httptest.ResponseRecorder {
			return as(old).get("/home")
		}, http.StatusSeeOther, wantLoginRedirect},
		{"redirect_uri with a fragment", func(t *testing.T) *httptest.ResponseRecorder { return authorize(oa.Redirect + "#x") },
			http.StatusBadRequest, nil},
		{"redirect_uri with userinfo", func(t *testing.T) *httptest.ResponseRecorder {
			return authorize("https://app.example@evil.example/callback")
		}, http.StatusBadRequest, nil},
		{"redirect_uri with a query added", func(t *testing.T) *httptest.ResponseRecorder {
			return authorize(oa.Redirect + "?next=https://evil.example/")
		}, http.StatusBadRequest, nil},
		{"redirect_uri with dot segments", func(t *testing.T) *httptest.ResponseRecorder {
			return authorize("https://app.example/callback/../../evil")
		}, http.StatusBadRequest, nil},
		{"redirect_uri on http", func(t *testing.T) *httptest.ResponseRecorder { return authorize("http://app.example/callback") },
			http.StatusBadRequest, nil},
		{"redirect_uri on a look-alike host", func(t *testing.T) *httptest.ResponseRecorder {
			return authorize("https://app.example.evil.example/callback")
		}, http.StatusBadRequest, nil},
		{"deny sent to an unregistered redirect_uri", func(t *testing.T) *httptest.ResponseRecorder {
			form := url.Values{"csrf": {c.csrf}, "decision": {"deny"}, "response_type": {"code"},
				"client_id": {oa.ClientID}, "redirect_uri": {"https://evil.example/callback"}, "state": {"s"}}
			return o.browser(http.MethodPost, "/oauth/authorize", form)
		}, http.StatusBadRequest, nil},
		{"registering a javascript: redirect_uri", func(t *testing.T) *httptest.ResponseRecorder {
			return register("javascript:alert(document.cookie)")
		}, http.StatusUnprocessableEntity, nil},
		{"registering a redirect_uri with a fragment", func(t *testing.T) *httptest.ResponseRecorder {
			return register("https://evil.example/cb#frag")
		}, http.StatusUnprocessableEntity, nil},
		{"PKCE verifier copied from the challenge", func(t *testing.T) *httptest.ResponseRecorder {
			q := o.approve(t, oa, url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}})
			return o.exchange(oa, q.Get("code"), challenge)
		}, http.StatusBadRequest, func(t *testing.T, rec *httptest.ResponseRecorder) {
			wantOAuthError(t, "verifier = challenge", rec, http.StatusBadRequest, "invalid_grant")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := ts.rowCounts(t)
			rec := tt.do(t)
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d; Location %q; body %.200s", rec.Code, tt.status,
					rec.Header().Get("Location"), rec.Body.String())
			}
			if tt.status != http.StatusSeeOther && rec.Header().Get("Location") != "" {
				t.Errorf("redirected to %q", rec.Header().Get("Location"))
			}
			for _, ck := range rec.Result().Cookies() {
				if ck.Name == ts.srv.app.CookieName() && ck.MaxAge >= 0 {
					t.Errorf("a session cookie was set: %v", ck)
				}
			}
			if tt.check != nil {
				tt.check(t, rec)
			}
			assertUnchanged(t, before, ts.rowCounts(t))
		})
	}
}

// wantLoginRedirect requires a redirect to the sign-in page.
func wantLoginRedirect(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if loc := rec.Header().Get("Location"); !strings.HasPrefix(loc, "/login") {
		t.Errorf("Location %q, want the sign-in page", loc)
	}
}
