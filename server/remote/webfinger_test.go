package remote

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// jrdHandler answers WebFinger for the accounts in users (user -> JRD body template, %s is the
// server's base URL) after checking that the resource arrived escaped and decodes to acct:user@host.
func jrdHandler(t *testing.T, users map[string]string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/webfinger" {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("Accept") != JRDAccept {
			t.Errorf("Accept = %q", r.Header.Get("Accept"))
		}
		// The query must be percent-encoded on the wire: ':' and '@' escaped.
		if !strings.HasPrefix(r.URL.RawQuery, "resource=acct%3A") || strings.ContainsAny(r.URL.RawQuery, "@ ") {
			t.Errorf("raw query %q not escaped", r.URL.RawQuery)
		}
		res := r.URL.Query().Get("resource")
		user, host, ok := strings.Cut(strings.TrimPrefix(res, "acct:"), "@")
		jrd, found := users[user]
		if !ok || !found || !strings.EqualFold(host, r.Host) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/jrd+json; charset=utf-8")
		fmt.Fprintf(w, jrd, "http://"+r.Host)
	})
}

func TestWebFinger(t *testing.T) {
	srv := newServer(t, jrdHandler(t, map[string]string{
		"alice": `{"subject":"acct:alice@x","aliases":["%[1]s/@alice"],"links":[
			{"rel":"http://webfinger.net/rel/profile-page","type":"text/html","href":"%[1]s/@alice"},
			{"rel":"self","type":"text/html","href":"%[1]s/wrong"},
			{"rel":"self","type":"application/json","href":"%[1]s/wrong"},
			{"rel":"self","type":"application/activity+json","href":"javascript:alert(1)"},
			{"rel":"self","type":"application/activity+json","href":"%[1]s/users/alice"},
			{"rel":"http://ostatus.org/schema/1.0/subscribe","template":"%[1]s/authorize_interaction?uri={uri}"}]}`,
		"bob.b+c_d": `{"subject":"acct:bob.b+c_d@x","links":[
			{"rel":"self","type":"application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"","href":"%[1]s/u/bob"}]}`,
		"nolink":    `{"subject":"acct:nolink@x","links":[{"rel":"self","type":"text/html","href":"%[1]s/x"}]}`,
		"nosubject": `{"links":[{"rel":"self","type":"application/activity+json","href":"%[1]s/users/ns"}]}`,
		"broken":    `{"subject":`,
		"elsewhere": `{"links":[{"rel":"profile","href":"%[1]s/x"},{"rel":"self","type":"application/activity+json","href":"https://user:pw@evil.example/x"}]}`,
	}))
	host := strings.TrimPrefix(srv.URL, "http://")
	c := newTestClient(t, nil)
	for _, h := range []string{"alice@" + host, "@alice@" + host, "acct:alice@" + host, " ACCT:alice@" + strings.ToUpper(host) + " "} {
		iri, err := c.WebFinger(t.Context(), h)
		if err != nil {
			t.Fatalf("WebFinger(%q): %v", h, err)
		}
		if iri != srv.URL+"/users/alice" {
			t.Errorf("WebFinger(%q) = %q", h, iri)
		}
	}
	if subject, iri, err := c.WebFingerSubject(t.Context(), "alice@"+host); err != nil ||
		subject != "acct:alice@x" || iri != srv.URL+"/users/alice" {
		t.Errorf("WebFingerSubject(alice) = %q, %q, %v", subject, iri, err)
	}
	if subject, iri, err := c.WebFingerSubject(t.Context(), "nosubject@"+host); err != nil ||
		subject != "" || iri != srv.URL+"/users/ns" {
		t.Errorf("WebFingerSubject(nosubject) = %q, %q, %v", subject, iri, err)
	}
	if _, _, err := c.WebFingerSubject(t.Context(), "nolink@"+host); !errors.Is(err, ErrNoActor) {
		t.Errorf("WebFingerSubject(nolink) = %v, want ErrNoActor", err)
	}
	if iri, err := c.WebFinger(t.Context(), "bob.b+c_d@"+host); err != nil || iri != srv.URL+"/u/bob" {
		t.Errorf("WebFinger(bob) = %q, %v", iri, err)
	}
	if _, err := c.WebFinger(t.Context(), "nobody@"+host); !errors.Is(err, ErrNotFound) {
		t.Errorf("WebFinger(nobody) = %v, want ErrNotFound", err)
	}
	if _, err := c.WebFinger(t.Context(), "nolink@"+host); !errors.Is(err, ErrNoActor) {
		t.Errorf("WebFinger(nolink) = %v, want ErrNoActor", err)
	}
	if _, err := c.WebFinger(t.Context(), "broken@"+host); err == nil {
		t.Error("WebFinger(broken) succeeded")
	}
	if _, err := c.WebFinger(t.Context(), "elsewhere@"+host); !errors.Is(err, ErrForbiddenURL) {
		t.Errorf("WebFinger(elsewhere) = %v, want ErrForbiddenURL", err)
	}
	strict := newTestClient(t, func(c *Config) { c.AllowPrivate = nil })
	if _, err := strict.WebFinger(t.Context(), "alice@"+host); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("WebFinger to loopback = %v, want ErrForbiddenAddress", err)
	}
}

func TestWebFingerHTTPS(t *testing.T) {
	srv := httptestTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/jrd+json")
		fmt.Fprintf(w, `{"links":[{"rel":"self","type":"application/activity+json","href":"https://%s/users/alice"}]}`, r.Host)
	}))
	host := strings.TrimPrefix(srv.URL, "https://")
	c := newTestClient(t, func(c *Config) { c.AllowHTTP = false; c.RootCAs = srv.pool })
	iri, err := c.WebFinger(t.Context(), "alice@"+host)
	if err != nil || iri != srv.URL+"/users/alice" {
		t.Fatalf("WebFinger = %q, %v", iri, err)
	}
}

func TestWebFingerContentType(t *testing.T) {
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `{"links":[{"rel":"self","type":"application/activity+json","href":"http://%s/u"}]}`, r.Host)
	}))
	c := newTestClient(t, nil)
	if _, err := c.WebFinger(t.Context(), "a@"+strings.TrimPrefix(srv.URL, "http://")); !errors.Is(err, ErrContentType) {
		t.Errorf("WebFinger = %v, want ErrContentType", err)
	}
}

func TestSplitHandle(t *testing.T) {
	tests := []struct {
		in, user, host string
	}{
		{"alice@example.com", "alice", "example.com"},
		{"@alice@Example.COM", "alice", "example.com"},
		{"acct:alice@example.com", "alice", "example.com"},
		{"alice@127.0.0.1:8080", "alice", "127.0.0.1:8080"},
		{"alice@[::1]:8080", "alice", "[::1]:8080"},
		{"a.b-c_d+e@example.com", "a.b-c_d+e", "example.com"},
		{"@alice@Bücher.Example", "alice", "xn--bcher-kva.example"},
		{"alice@日本.example:8443", "alice", "xn--wgv71a.example:8443"},
		{"alice@xn--bcher-kva.example", "alice", "xn--bcher-kva.example"},
	}
	for _, tt := range tests {
		u, h, err := SplitHandle(tt.in)
		if err != nil || u != tt.user || h != tt.host {
			t.Errorf("SplitHandle(%q) = %q, %q, %v; want %q, %q", tt.in, u, h, err, tt.user, tt.host)
		}
	}
	for _, bad := range []string{
		"", "alice", "@alice", "alice@", "@example.com", "alice@@example.com", "alice@example.com@evil",
		"alice@example.com/path", "alice@example.com?x", "alice@example.com#x", "ali ce@example.com",
		"alice@exa mple.com", "alice@example.com\r\nHost: evil", "alice@example.com:99999", "alice@example.com:x",
		"alice@example.%63om", "alice@[::1", "ali/ce@example.com", "acct:", "https://example.com/@alice",
		"alice@-bücher.example", // a label may not start with a hyphen
	} {
		if _, _, err := SplitHandle(bad); !errors.Is(err, ErrBadHandle) {
			t.Errorf("SplitHandle(%q) = %v, want ErrBadHandle", bad, err)
		}
	}
}

// FuzzActorFromJRD checks that any JRD either yields an absolute http(s) URL or an error, without
// panicking. Seeds (captured shapes from Mastodon, GoToSocial, Misskey, honk) are in
// testdata/fuzz/FuzzActorFromJRD.
func FuzzActorFromJRD(f *testing.F) {
	f.Add([]byte(`{"subject":"acct:a@b.example","links":[{"rel":"self","type":"application/activity+json","href":"https://b.example/users/a"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		href, err := ActorFromJRD(body)
		if err != nil {
			return
		}
		u, err := url.Parse(href)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			t.Errorf("ActorFromJRD returned %q", href)
		}
	})
}
