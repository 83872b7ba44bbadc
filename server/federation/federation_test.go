package federation

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"roost/server/activitypub"
	"roost/server/app"
	"roost/server/app/apptest"
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
	st := apptest.Store(t, app.OwnerAccount("http://roost.test", "roost.test", "me"), "")
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
