package federation

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"roost/server/activitypub"
	"roost/server/app"
	"roost/server/signature"
	"roost/store"
)

// testHandler is the federation surface of a core on a fresh store in t.TempDir(), owned by "me"
// at http://roost.test, with its routes mounted. The core's background workers do not run: what
// the inbox accepts stays in the store.
type testHandler struct {
	h   *Handler
	mux *http.ServeMux
	st  *store.Store
}

func newTestHandler(t *testing.T) *testHandler {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "roost.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var pems [2]string
	var pub string
	for i := range pems {
		k, err := signature.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		if pems[i], err = signature.EncodePrivateKeyPEM(k); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if pub, err = signature.EncodePublicKeyPEM(&k.PublicKey); err != nil {
				t.Fatal(err)
			}
		}
	}
	a := app.OwnerAccount("http://roost.test", "roost.test", "me")
	a.PublicKeyPEM = pub
	if _, err := st.CreateOwner(ctx, a, pems[0], pems[1], ""); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	cfg := app.Config{Domain: "roost.test", HandleDomain: "roost.test", Scheme: "http", Poll: time.Second}
	core, err := app.New(ctx, cfg, st, log)
	if err != nil {
		t.Fatal(err)
	}
	h := New(Config{Domain: cfg.Domain, HandleDomain: cfg.HandleDomain, Version: "test"}, core, st, log, http.NotFound)
	mux := http.NewServeMux()
	h.Mount(mux)
	return &testHandler{h: h, mux: mux, st: st}
}

// testPeer is a remote actor the store already knows, with its key, so the inbox verifies its
// signatures without fetching anything.
type testPeer struct {
	iri string
	key *rsa.PrivateKey
}

func newTestPeer(t *testing.T, th *testHandler, name string) *testPeer {
	t.Helper()
	k, err := signature.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := signature.EncodePublicKeyPEM(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	iri := "https://peer.test/users/" + name
	if _, err := th.st.UpsertAccount(context.Background(), &store.Account{IRI: iri, Type: "Person", Username: name,
		Host: "peer.test", Inbox: iri + "/inbox", KeyID: iri + "#main-key", PublicKeyPEM: pub}); err != nil {
		t.Fatal(err)
	}
	return &testPeer{iri: iri, key: k}
}

// post signs activity as p, POSTs it to the owner's inbox and returns the answer.
func (p *testPeer) post(t *testing.T, th *testHandler, activity map[string]any) *http.Response {
	t.Helper()
	body, err := json.Marshal(activity)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "http://roost.test/users/me/inbox", bytes.NewReader(body))
	req.Header.Set("Content-Type", activitypub.ContentType)
	if err := signature.Sign(req, body, p.iri+"#main-key", p.key); err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	th.mux.ServeHTTP(w, req)
	return w.Result()
}

// follow is p's Follow of the owner, numbered n.
func (p *testPeer) follow(n string) map[string]any {
	return map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": p.iri + "/follows/" + n,
		"type": "Follow", "actor": p.iri, "object": "http://roost.test/users/me"}
}
