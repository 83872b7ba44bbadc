package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"roost/store/relays"
)

// TestFedifyRelay subscribes Roost to a relay played by the Fedify peer, with the owner's
// commands as a user types them (`roost relay add|list|forward|remove` against the running
// server's data folder): first as a Mastodon-style relay (Roost's instance actor follows the
// Public collection at the relay's inbox), which forwards a Create signed by itself whose body
// lies about the note; then as a LitePub relay (the relay's actor followed), which announces a
// note. Both posts appear, as their authors' servers serve them, in the federated feed (the
// client API's public timeline and the /federated page) and not in home; forwarding on sends the
// owner's public post to the relay; remove sends an Undo of the Follow.
func TestFedifyRelay(t *testing.T) {
	node := fedifyNode(t)
	r := startInteropRoost(t)
	peer := startFedify(t, node, r.certFile)
	roost := func(args ...string) string {
		t.Helper()
		return r.roost(t, "", args...)
	}
	waitState := func(url string, want relays.State) {
		t.Helper()
		interopEventually(t, url+" "+string(want), func() error {
			x, err := relays.New(r.st).ByURL(t.Context(), url)
			if err != nil {
				return err
			}
			if x.State != want {
				return fmt.Errorf("state %s", x.State)
			}
			return nil
		})
	}
	instance := "https://" + r.domain + "/actor"
	relayActor := peer.origin + "/users/relay"

	t.Log("a. a Mastodon-style relay: the instance actor follows Public at its inbox; the relay accepts")
	mastoURL := peer.origin + "/inbox"
	roost("relay", "add", mastoURL)
	f := peer.wait("the Follow of Public", func(e peerEvent) bool { return e.Ev == "relay-follow" })
	if f.Actor != instance || f.Object != "https://www.w3.org/ns/activitystreams#Public" {
		t.Errorf("the relay got a Follow of %s by %s; want Public by the instance actor %s", f.Object, f.Actor, instance)
	}
	if f.VerifiedBy != instance+"#main-key" {
		t.Errorf("the Follow was signed by %q; want the instance actor's key", f.VerifiedBy)
	}
	waitState(mastoURL, relays.Accepted)
	if out := roost("relay", "list"); !strings.Contains(out, mastoURL) || !strings.Contains(out, "accepted") {
		t.Errorf("roost relay list: %q; want %s accepted", out, mastoURL)
	}

	t.Log("b. it forwards bob's Create signed by itself, its body forged: the note as bob's server serves it is stored")
	forwarded := peer.call("publish", map[string]any{"author": "bob", "content": "Herons at dawn, from the relay"}).Note
	peer.call("relayForward", map[string]any{"note": forwarded, "content": "A forged heron"})
	waitPost(t, r, forwarded)
	r.wantFederatedNotHome(t, forwarded, "Herons at dawn, from the relay")

	t.Log("c. forwarding on: the owner's public post goes to the relay's inbox too")
	roost("relay", "forward", mastoURL, "on")
	var posted map[string]any
	r.api(t, "POST", "/api/v1/statuses?status="+url.QueryEscape("Hello, relay"), &posted)
	c := peer.wait("the owner's post at the relay", func(e peerEvent) bool {
		return e.Ev == "create" && e.Object == posted["uri"]
	})
	if c.Actor != "https://"+r.domain+"/users/me" {
		t.Errorf("the relay got the owner's Create from %s", c.Actor)
	}

	t.Log("d. roost relay remove sends an Undo of the Follow")
	roost("relay", "remove", mastoURL)
	u := peer.wait("the Undo", func(e peerEvent) bool { return e.Ev == "undo-received" })
	if u.Actor != instance || u.Object != f.ID {
		t.Errorf("the relay got an Undo of %s by %s; want of %s by %s", u.Object, u.Actor, f.ID, instance)
	}
	if out := roost("relay", "list"); strings.Contains(out, mastoURL) {
		t.Errorf("roost relay list after remove: %q", out)
	}

	t.Log("e. a LitePub relay: the instance actor follows the relay's actor; it announces carol's note")
	roost("relay", "add", relayActor)
	peer.wait("the Follow of the relay actor", func(e peerEvent) bool {
		return e.Ev == "follow-received" && e.Object == relayActor && e.Actor == instance
	})
	waitState(relayActor, relays.Accepted)
	announced := peer.call("publish", map[string]any{"author": "carol", "content": "Egrets, announced"}).Note
	peer.call("relayAnnounce", map[string]any{"note": announced})
	waitPost(t, r, announced)
	r.wantFederatedNotHome(t, announced, "Egrets, announced")
	r.wantFederatedPage(t, "Herons at dawn, from the relay", "Egrets, announced")
}

// waitPost waits until Roost stores the post iri.
func waitPost(t *testing.T, r *interopRoost, iri string) {
	t.Helper()
	interopEventually(t, iri+" stored", func() error {
		_, err := r.st.PostByIRI(t.Context(), iri)
		return err
	})
}

// wantFederatedNotHome checks that the post iri is in the API's public timeline with text, and
// with nothing forged, and not in home.
func (r *interopRoost) wantFederatedNotHome(t *testing.T, iri, text string) {
	t.Helper()
	find := func(path string) map[string]any {
		var list []map[string]any
		r.api(t, "GET", path, &list)
		for _, s := range list {
			if s["uri"] == iri {
				return s
			}
		}
		return nil
	}
	s := find("/api/v1/timelines/public")
	if s == nil {
		t.Errorf("%s is not in the public timeline", iri)
	} else if c := fmt.Sprint(s["content"]); !strings.Contains(c, text) || strings.Contains(c, "forged") {
		t.Errorf("%s shows %q; want its origin's %q", iri, c, text)
	}
	if find("/api/v1/timelines/public?remote=true") == nil {
		t.Errorf("%s is not in the remote public timeline", iri)
	}
	if find("/api/v1/timelines/home") != nil {
		t.Errorf("%s is in home; a relay's post is for the federated feed", iri)
	}
}

// wantFederatedPage signs in with the owner's password and checks the /federated page shows
// texts.
func (r *interopRoost) wantFederatedPage(t *testing.T, texts ...string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := r.ts.Client()
	c.Jar = jar
	resp, err := c.PostForm(r.ts.URL+"/login", url.Values{"password": {r.password}, "next": {"/federated"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Request.URL.Path, "/federated") {
		t.Fatalf("sign in: %d at %s: %.300s", resp.StatusCode, resp.Request.URL, body)
	}
	for _, text := range texts {
		if !strings.Contains(string(body), text) {
			t.Errorf("/federated does not show %q", text)
		}
	}
}
