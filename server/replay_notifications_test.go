package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// Replays of real peers' requests about notifications, through the capServer of
// peertraffic_test.go.

// apiGet calls the client API in process (the server's host is cap.test, which the network
// does not know) with a token of the owner's.
func (c *apiClient) apiGet(t *testing.T, path string, out any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, c.ts.srv.app.Base+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	rec := httptest.NewRecorder()
	c.ts.srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// apiNotification is what the tests read of a client API notification.
type apiNotification struct {
	Type    string `json:"type"`
	Account struct {
		Acct string `json:"acct"`
	} `json:"account"`
	Status *struct {
		ID  string `json:"id"`
		URI string `json:"uri"`
	} `json:"status"`
	Target *struct {
		Acct string `json:"acct"`
	} `json:"target"`
}

// TestReplayWriteFreelyAddressingIsNoMention: WriteFreely addresses each follower in cc, so its
// article names the owner there without mentioning them; Roost keeps the article and notifies
// nothing (Mastodon records a silent mention).
func TestReplayWriteFreelyAddressingIsNoMention(t *testing.T) {
	c := newCapServer(t)
	c.replayAccepted(t, "writefreely/14")
	p := c.waitPost(t, "https://wf.test/api/posts/kbgqimlwt1")
	if !strings.Contains(p.Content, "A test article from WriteFreely") {
		t.Errorf("article content %q", p.Content)
	}
	api := newAPIClient(t, c.testServer, "read")
	var ns []apiNotification
	api.apiGet(t, "/api/v1/notifications", &ns)
	if len(ns) != 0 {
		t.Errorf("notifications = %+v, want none for being in cc", ns)
	}
}

// TestReplayMisskeyStrangerQuoteAndReply: Misskey's quote of the owner's post and its reply to
// it, from kate, whom the owner does not follow, are kept and notify: a "quote" whose status is
// the quoting post (Mastodon 4.5) and a "mention" for the reply, in the client API and on the
// web UI's notifications page.
func TestReplayMisskeyStrangerQuoteAndReply(t *testing.T) {
	c := newCapServer(t)
	c.replayAccepted(t, "misskey/37", "misskey/36")
	quote := c.waitPost(t, "https://misskey.test/notes/aufv4dpdou7c002e")
	target := c.srv.App().PostIRI(capTarget)
	if quote.Quote != target {
		t.Errorf("quote of %q, want %q", quote.Quote, target)
	}

	api := newAPIClient(t, c.testServer, "read")
	var ns []apiNotification
	api.apiGet(t, "/api/v1/notifications", &ns)
	var kinds []string
	for _, n := range ns {
		kinds = append(kinds, n.Type)
		if n.Account.Acct != "kate@misskey.test" {
			t.Errorf("%s notification from %q, want kate@misskey.test", n.Type, n.Account.Acct)
		}
		if n.Type == "quote" && (n.Status == nil || n.Status.URI != quote.IRI) {
			t.Errorf("quote notification's status = %+v, want the quoting post %s", n.Status, quote.IRI)
		}
	}
	slices.Sort(kinds)
	if !slices.Equal(kinds, []string{"mention", "quote"}) {
		t.Errorf("notifications %q, want a mention (the reply) and a quote", kinds)
	}
	var quotes []apiNotification
	api.apiGet(t, "/api/v1/notifications?types[]=quote", &quotes)
	if len(quotes) != 1 || quotes[0].Type != "quote" {
		t.Errorf("types[]=quote: %+v", quotes)
	}

	doc := signIn(t, c.testServer).page(t, "/notifications")
	var lines []string
	for _, n := range elements(doc, byClass("notification")) {
		lines = append(lines, textOf(n))
	}
	if !anyContains(lines, "quoted your post") || !anyContains(lines, "Quoting the Roost post") {
		t.Errorf("notifications page lacks the quote: %q", lines)
	}
}
