package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"roost/server/app"
	"roost/server/app/apptest"
	"roost/server/auth"
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

func newTestWeb(t testing.TB) *testWeb {
	t.Helper()
	ctx := context.Background()
	st := apptest.Store(t, app.OwnerAccount("http://roost.test", "roost.test", "me"), auth.HashPassword(testPassword))
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
