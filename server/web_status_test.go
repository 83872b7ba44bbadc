package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"roost/store"
	"roost/store/access"
)

// TestStatusPage: the owner's status page shows the version and a host with a delivery queued
// for an inbox that does not answer, failed once; without a session it sends the browser to the login page.
func TestStatusPage(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.Version = "v9.8.7-test" })
	ctx := context.Background()

	// Port 1 on loopback refuses connections: the delivery fails and stays queued for a retry.
	err := ts.st.Enqueue(ctx, &store.Outgoing{IRI: ts.base + "/users/me/activities/status-test", Type: "Create",
		Body: []byte(`{"type":"Create"}`), Inboxes: []string{"http://127.0.0.1:1/inbox"}})
	if err != nil {
		t.Fatal(err)
	}

	waitFor(t, "the delivery to fail once", func() bool {
		q, err := ts.srv.App().Queue.DeliveryQueue(ctx)
		return err == nil && len(q) == 1 && q[0].Failing == 1
	})

	get := func(cookie *http.Cookie) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", ts.base+"/status", nil)
		if cookie != nil {
			req.AddCookie(cookie)
		}
		rec := httptest.NewRecorder()
		ts.srv.Handler().ServeHTTP(rec, req)
		return rec
	}

	rec := get(nil)
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/login") {
		t.Errorf("GET /status without a session: %d, Location %q; want a redirect to /login", rec.Code, rec.Header().Get("Location"))
	}

	token := randomToken(32)
	se := &access.Session{ID: hashToken(token), CSRF: randomToken(24), ExpiresAt: time.Now().Add(time.Hour)}
	if err := access.New(ts.st).CreateSession(ctx, se); err != nil {
		t.Fatal(err)
	}
	rec = get(&http.Cookie{Name: ts.srv.app.CookieName(), Value: token})
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /status signed in: %d\n%s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	for _, want := range []string{"v9.8.7-test", "<td>127.0.0.1:1</td><td>1</td><td>1</td>", "Inbox backlog", `href="/status"`} {
		if !strings.Contains(body, want) {
			t.Errorf("status page lacks %q:\n%s", want, body)
		}
	}
	if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
}
