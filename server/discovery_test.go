package server

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"roost/server/activitypub"
	"roost/server/signature"
)

func TestWebFinger(t *testing.T) {
	ts := newTestServer(t)
	tests := []struct {
		name     string
		resource string // "-" leaves the parameter out
		status   int
		subject  string
	}{
		{"acct", "acct:me@" + ts.cfg.Domain, http.StatusOK, "acct:me@" + ts.cfg.Domain},
		{"acct without scheme", "me@" + ts.cfg.Domain, http.StatusOK, "acct:me@" + ts.cfg.Domain},
		{"actor URL", ts.actor, http.StatusOK, "acct:me@" + ts.cfg.Domain},
		{"profile URL", ts.base + "/@me", http.StatusOK, "acct:me@" + ts.cfg.Domain},
		{"unknown user", "acct:nobody@" + ts.cfg.Domain, http.StatusNotFound, ""},
		{"other host", "acct:me@elsewhere.example", http.StatusNotFound, ""},
		{"missing resource", "-", http.StatusBadRequest, ""},
		{"empty resource", "", http.StatusBadRequest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/.well-known/webfinger"
			if tt.resource != "-" {
				path += "?resource=" + url.QueryEscape(tt.resource)
			}
			resp, body := ts.get(t, path, "application/jrd+json")
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("Access-Control-Allow-Origin %q, want *", got)
			}
			if tt.status != http.StatusOK {
				return
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/jrd+json") {
				t.Errorf("content type %q, want application/jrd+json", ct)
			}
			doc := decodeJSON(t, body)
			if doc["subject"] != tt.subject {
				t.Errorf("subject %v, want %s", doc["subject"], tt.subject)
			}
			self := ""
			for _, l := range doc["links"].([]any) {
				l := l.(map[string]any)
				if l["rel"] == "self" && l["type"] == "application/activity+json" {
					self = str(l["href"])
				}
			}
			if self != ts.actor {
				t.Errorf("self link %q, want %s", self, ts.actor)
			}
		})
	}
}

func TestHostMeta(t *testing.T) {
	ts := newTestServer(t)
	template := ts.base + "/.well-known/webfinger?resource={uri}"

	t.Run("xrd", func(t *testing.T) {
		resp, body := ts.get(t, "/.well-known/host-meta", "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/xrd+xml") {
			t.Errorf("content type %q", ct)
		}
		var doc struct {
			XMLName xml.Name
			Link    []struct {
				Rel      string `xml:"rel,attr"`
				Template string `xml:"template,attr"`
			} `xml:"Link"`
		}
		if err := xml.Unmarshal(body, &doc); err != nil {
			t.Fatalf("parse XRD: %v\n%s", err, body)
		}
		if doc.XMLName.Local != "XRD" || doc.XMLName.Space != "http://docs.oasis-open.org/ns/xri/xrd-1.0" {
			t.Errorf("root element %v", doc.XMLName)
		}
		if len(doc.Link) != 1 || doc.Link[0].Rel != "lrdd" || doc.Link[0].Template != template {
			t.Errorf("links %+v, want lrdd %s", doc.Link, template)
		}
	})
	for _, tc := range []struct{ name, path, accept string }{
		{"json path", "/.well-known/host-meta.json", ""},
		{"json by accept", "/.well-known/host-meta", "application/json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := ts.get(t, tc.path, tc.accept)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/jrd+json") {
				t.Errorf("content type %q", ct)
			}
			links := decodeJSON(t, body)["links"].([]any)
			if len(links) != 1 || links[0].(map[string]any)["template"] != template {
				t.Errorf("links %v", links)
			}
		})
	}
}

func TestNodeInfo(t *testing.T) {
	ts := newTestServer(t)
	resp, body := ts.get(t, "/.well-known/nodeinfo", "application/json")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("discovery status %d", resp.StatusCode)
	}
	hrefs := map[string]string{}
	for _, l := range decodeJSON(t, body)["links"].([]any) {
		l := l.(map[string]any)
		hrefs[str(l["rel"])] = str(l["href"])
	}
	for _, v := range []string{"2.0", "2.1"} {
		t.Run(v, func(t *testing.T) {
			href := hrefs["http://nodeinfo.diaspora.software/ns/schema/"+v]
			if href != ts.base+"/nodeinfo/"+v {
				t.Fatalf("discovery link for %s: %q", v, href)
			}
			resp, body := ts.get(t, href, "application/json")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "nodeinfo.diaspora.software/ns/schema/"+v) {
				t.Errorf("content type %q lacks the schema profile", ct)
			}
			doc := decodeJSON(t, body)
			if doc["version"] != v {
				t.Errorf("version %v", doc["version"])
			}
			if sw := doc["software"].(map[string]any); sw["name"] != "roost" {
				t.Errorf("software.name %v, want roost", sw["name"])
			}
			up, _ := doc["metadata"].(map[string]any)["upstream"].(map[string]any)
			if up["name"] != "mastodon" {
				t.Errorf("metadata.upstream.name %v, want mastodon", up["name"])
			}
			if p := strs(doc["protocols"]); len(p) != 1 || p[0] != "activitypub" {
				t.Errorf("protocols %v", p)
			}
		})
	}
	t.Run("unknown version", func(t *testing.T) {
		if resp, _ := ts.get(t, "/nodeinfo/1.0", "application/json"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("status %d, want 404", resp.StatusCode)
		}
	})
}

func TestActorDocument(t *testing.T) {
	ts := newTestServer(t)
	for _, accept := range []string{
		"application/activity+json",
		`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`,
	} {
		t.Run(accept, func(t *testing.T) {
			resp, body := ts.get(t, "/users/me", accept)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if !activitypub.IsContentType(resp.Header.Get("Content-Type")) {
				t.Errorf("content type %q is not ActivityPub", resp.Header.Get("Content-Type"))
			}
			a := decodeJSON(t, body)
			want := map[string]string{
				"id":                ts.actor,
				"type":              "Person",
				"preferredUsername": "me",
				"inbox":             ts.actor + "/inbox",
				"outbox":            ts.actor + "/outbox",
				"followers":         ts.actor + "/followers",
				"following":         ts.actor + "/following",
				"featured":          ts.actor + "/collections/featured",
			}
			for k, v := range want {
				if a[k] != v {
					t.Errorf("%s = %v, want %s", k, a[k], v)
				}
			}
			if ep, _ := a["endpoints"].(map[string]any); ep["sharedInbox"] != ts.base+"/inbox" {
				t.Errorf("endpoints.sharedInbox %v", ep["sharedInbox"])
			}
			pk, _ := a["publicKey"].(map[string]any)
			if !strings.HasSuffix(str(pk["id"]), "#main-key") || pk["owner"] != ts.actor {
				t.Errorf("publicKey id %v owner %v", pk["id"], pk["owner"])
			}
			if _, err := signature.ParsePublicKeyPEM(str(pk["publicKeyPem"])); err != nil {
				t.Errorf("publicKeyPem: %v", err)
			}
			for _, k := range []string{"manuallyApprovesFollowers", "discoverable", "indexable"} {
				if _, ok := a[k].(bool); !ok {
					t.Errorf("%s missing or not a boolean: %v", k, a[k])
				}
			}
			if a["manuallyApprovesFollowers"] != false || a["discoverable"] != true || a["indexable"] != true {
				t.Errorf("flags: manuallyApprovesFollowers %v discoverable %v indexable %v",
					a["manuallyApprovesFollowers"], a["discoverable"], a["indexable"])
			}
			if str(a["published"]) == "" {
				t.Error("published missing")
			}
			if !hasContextTerm(a["@context"], "toot", "http://joinmastodon.org/ns#") ||
				!hasContextTerm(a["@context"], "discoverable", "toot:discoverable") {
				t.Errorf("@context lacks the toot terms: %v", a["@context"])
			}
			if ctx := strs(a["@context"]); len(ctx) == 0 || ctx[0] != activitypub.Namespace {
				t.Errorf("@context does not start with the AS namespace: %v", a["@context"])
			}
		})
	}

	t.Run("browser", func(t *testing.T) {
		resp, _ := ts.get(t, "/users/me", "text/html,application/xhtml+xml,*/*;q=0.8")
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != ts.base+"/@me" {
			t.Fatalf("status %d Location %q, want 302 to /@me", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, body := ts.get(t, "/@me", "text/html")
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("/@me: status %d type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if !strings.Contains(string(body), "@me@"+ts.cfg.Domain) {
			t.Errorf("profile page does not show the handle")
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("CSP %q", csp)
		}
	})

	t.Run("unknown user", func(t *testing.T) {
		if resp, _ := ts.get(t, "/users/nobody", "application/activity+json"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("status %d, want 404", resp.StatusCode)
		}
	})
}

// hasContextTerm reports whether an @context array holds an object defining term as want.
func hasContextTerm(ctx any, term string, want any) bool {
	l, _ := ctx.([]any)
	for _, e := range l {
		if m, ok := e.(map[string]any); ok && m[term] == want {
			return true
		}
	}
	return false
}

func TestInstanceActor(t *testing.T) {
	ts := newTestServer(t)
	// Unsigned, with no Accept at all: peers fetch our key this way (snac).
	resp, body := ts.get(t, "/actor", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	a := decodeJSON(t, body)
	if a["id"] != ts.base+"/actor" {
		t.Errorf("id %v", a["id"])
	}
	pk, _ := a["publicKey"].(map[string]any)
	if pk["id"] != ts.base+"/actor#main-key" || pk["owner"] != ts.base+"/actor" {
		t.Errorf("publicKey %v", pk)
	}
	if _, err := signature.ParsePublicKeyPEM(str(pk["publicKeyPem"])); err != nil {
		t.Errorf("publicKeyPem: %v", err)
	}
	owner := decodeJSON(t, mustBody(t, ts, "/users/me"))
	if owner["publicKey"].(map[string]any)["publicKeyPem"] == pk["publicKeyPem"] {
		t.Error("the instance actor shares the owner's key")
	}
}

func mustBody(t *testing.T, ts *testServer, path string) []byte {
	t.Helper()
	resp, body := ts.get(t, path, activitypub.ContentType)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", path, resp.StatusCode)
	}
	return body
}
