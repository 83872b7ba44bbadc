package remote

import (
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"roost/server/signature"
)

func TestPost(t *testing.T) {
	key := testKey()
	const keyID = "https://roost.example/users/me#main-key"
	activity := []byte(`{"id":"https://roost.example/a/1","type":"Create"}`)
	var redirectTarget atomic.Int32
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/inbox":
			body, _ := io.ReadAll(r.Body)
			if r.Method != http.MethodPost || r.Header.Get("Content-Type") != ActivityContentType || string(body) != string(activity) {
				http.Error(w, "bad request", http.StatusBadRequest)
				return
			}
			p, err := signature.Check(r, body, []string{r.Host}, time.Now())
			if err == nil {
				err = signature.Verify(r, &key.PublicKey)
			}
			if err != nil || p.KeyID != keyID {
				http.Error(w, "bad signature", http.StatusUnauthorized)
				return
			}
			w.WriteHeader(http.StatusAccepted)
		case "/moved":
			http.Redirect(w, r, "/target", http.StatusPermanentRedirect)
		case "/target":
			redirectTarget.Add(1)
			w.WriteHeader(http.StatusAccepted)
		case "/busy":
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write(make([]byte, 1<<20)) // a large error body is read only in part
		case "/gone":
			w.WriteHeader(http.StatusGone)
		}
	}))
	c := newTestClient(t, nil)
	s := Signer{KeyID: keyID, Key: key}

	if err := c.Post(t.Context(), srv.URL+"/inbox", activity, s); err != nil {
		t.Fatalf("Post: %v", err)
	}
	var se *StatusError
	if err := c.Post(t.Context(), srv.URL+"/moved", activity, s); !errors.As(err, &se) || se.Code != http.StatusPermanentRedirect {
		t.Errorf("Post to redirect = %v, want StatusError 308", err)
	}
	if n := redirectTarget.Load(); n != 0 {
		t.Errorf("redirect followed %d times", n)
	}
	if err := c.Post(t.Context(), srv.URL+"/busy", activity, s); !errors.As(err, &se) || se.Code != 429 || se.RetryAfter != 30*time.Second {
		t.Errorf("Post busy = %v, want StatusError 429 retry 30s", err)
	}
	if err := c.Post(t.Context(), srv.URL+"/gone", activity, s); !errors.Is(err, ErrGone) {
		t.Errorf("Post gone = %v, want ErrGone", err)
	}
	if err := c.Post(t.Context(), srv.URL+"/inbox", activity, Signer{}); err == nil {
		t.Error("Post without a key succeeded")
	}
	strict := newTestClient(t, func(c *Config) { c.AllowPrivate = nil })
	if err := strict.Post(t.Context(), srv.URL+"/inbox", activity, s); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("Post to loopback = %v, want ErrForbiddenAddress", err)
	}
}
