package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"roost/server/app"
	"roost/server/auth"
	"roost/server/signature"
	"roost/static"
	"roost/store"
)

// testPassword is the owner's password in the web's tests.
const testPassword = "correct horse battery"

// testWeb is the web surface on a core on a fresh store in t.TempDir(), owned by "me" at
// http://roost.test, its routes on a bare mux (the composition root's headers and cross-origin
// check are not in front). The core's background workers do not run.
type testWeb struct {
	h   *Handler
	mux *http.ServeMux
	st  *store.Store
}

func newTestWeb(t *testing.T) *testWeb {
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
	if _, err := st.CreateOwner(ctx, a, pems[0], pems[1], auth.HashPassword(testPassword)); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	cfg := Config{Domain: "roost.test", HandleDomain: "roost.test", Scheme: "http", Started: time.Now()}
	core, err := app.New(ctx, app.Config{Domain: cfg.Domain, HandleDomain: cfg.HandleDomain, Scheme: cfg.Scheme,
		Poll: time.Second}, st, log)
	if err != nil {
		t.Fatal(err)
	}
	w := &testWeb{h: New(cfg, core, st, log, static.New(), nil), mux: http.NewServeMux(), st: st}
	w.h.Mount(w.mux)
	return w
}

// login POSTs the sign-in form from addr, with cookie when it is not nil, and returns the answer.
func (w *testWeb) login(password, addr string, cookie *http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "http://roost.test/login",
		strings.NewReader(url.Values{"password": {password}, "next": {"/home"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = addr
	if cookie != nil {
		req.AddCookie(cookie)
	}
	rec := httptest.NewRecorder()
	w.mux.ServeHTTP(rec, req)
	return rec
}
