package server

import (
	"net/http"
	"strings"
	"testing"

	"roost/server/activitypub"
	"roost/server/signature"
)

// The signature and content-type variants real servers send are accepted
// (research/interop-quirks.md), each with its effect: the Follow is answered with an Accept.
func TestInboxInteropVariants(t *testing.T) {
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	// GoToSocial: the keyId is a path, served as a key document naming its owner.
	gts := newPeer(t, "gts")
	gts.keyID = gts.actor + "/main-key"
	gts.setActorField("publicKey", map[string]any{"id": gts.keyID, "owner": gts.actor, "publicKeyPem": gts.publicKeyPEM()})
	gts.setDoc("/users/gts/main-key", map[string]any{"id": gts.keyID, "owner": gts.actor, "publicKeyPem": gts.publicKeyPEM()})
	// GoToSocial as it really answers an unsigned GET of its key URL: a stub Person whose id is
	// the actor, carrying only the key.
	stub := newPeer(t, "stub")
	stub.keyID = stub.actor + "/main-key"
	stub.setActorField("publicKey", map[string]any{"id": stub.keyID, "owner": stub.actor, "publicKeyPem": stub.publicKeyPEM()})
	stub.setDoc("/users/stub/main-key", map[string]any{"id": stub.actor, "type": "Person", "preferredUsername": "stub",
		"publicKey": map[string]any{"id": stub.keyID, "owner": stub.actor, "publicKeyPem": stub.publicKeyPEM()}})

	tests := []struct {
		name string
		p    *peer
		sign func(t *testing.T, req *http.Request, body []byte)
	}{
		{"mastodon", alice, func(t *testing.T, req *http.Request, body []byte) {
			if err := signature.Sign(req, body, alice.keyID, alice.key); err != nil {
				t.Fatal(err)
			}
		}},
		{"snac header order", alice, func(t *testing.T, req *http.Request, body []byte) {
			req.Header.Set("Digest", digestOf(body))
			signRaw(t, req, alice.keyID, alice.key, []string{"(request-target)", "host", "digest", "date"})
		}},
		{"fedify signs content-type", alice, func(t *testing.T, req *http.Request, body []byte) {
			req.Header.Set("Digest", digestOf(body))
			signRaw(t, req, alice.keyID, alice.key, []string{"(request-target)", "host", "date", "digest", "content-type"})
		}},
		{"gotosocial hs2019 and key path", gts, func(t *testing.T, req *http.Request, body []byte) {
			req.Header.Set("Digest", digestOf(body))
			signRaw(t, req, gts.keyID, gts.key, []string{"(request-target)", "host", "date", "digest"})
			req.Header.Set("Signature", strings.Replace(req.Header.Get("Signature"), `algorithm="rsa-sha256"`, `algorithm="hs2019"`, 1))
		}},
		{"gotosocial stub actor at the key path", stub, func(t *testing.T, req *http.Request, body []byte) {
			req.Header.Set("Digest", digestOf(body))
			signRaw(t, req, stub.keyID, stub.key, []string{"(request-target)", "host", "date", "digest"})
		}},
		{"honk ld+json content type", alice, func(t *testing.T, req *http.Request, body []byte) {
			req.Header.Set("Content-Type", activitypub.LDContentType)
			if err := signature.Sign(req, body, alice.keyID, alice.key); err != nil {
				t.Fatal(err)
			}
		}},
		{"authorization header", alice, func(t *testing.T, req *http.Request, body []byte) {
			if err := signature.Sign(req, body, alice.keyID, alice.key); err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Signature "+req.Header.Get("Signature"))
			req.Header.Del("Signature")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			follow := tt.p.activity("Follow", ts.actor)
			body := mustJSON(t, follow)
			req := inboxRequest(t, ts, body)
			tt.sign(t, req, body)
			if resp, b := doNoRedirect(t, req); resp.StatusCode != http.StatusAccepted {
				t.Fatalf("status %d, want 202: %s", resp.StatusCode, b)
			}
			tt.p.waitPost(t, "Accept", ofTypeObject("Accept", follow["id"].(string)))
		})
	}
}
