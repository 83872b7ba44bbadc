package server

import (
	"net/url"
	"strings"
	"testing"
)

// TestOwnerNeverSeesInternalErrorText: an owner's action that fails inside Roost or on the network
// (here a handle whose server refuses connections) is told in the core's words (app.ErrorOf),
// never with the error's own text: addresses, the dialer's message; that text is under a folded
// <details> beside the message.
func TestOwnerNeverSeesInternalErrorText(t *testing.T) {
	ts := newTestServer(t)
	c := signIn(t, ts)
	rec := c.get("/search?q=" + url.QueryEscape("@nobody@127.0.0.1:1"))
	doc := c.follow(t, rec.Header().Get("Location"))
	msg := alertText(doc)
	if !strings.Contains(msg, "could not be fetched") {
		t.Errorf("search of an unreachable handle says %q, want that it could not be fetched", msg)
	}
	for _, leak := range []string{"dial", "refused", "tcp", "webfinger"} {
		if strings.Contains(strings.ToLower(msg), leak) {
			t.Errorf("search of an unreachable handle shows the internal error: %q", msg)
		}
	}
	// The cause is there for the owner who wants it, folded away under Details.
	d := elements(doc, byClass("error-detail"))
	if len(d) != 1 || d[0].Data != "details" || !strings.Contains(textOf(d[0]), "refused") {
		t.Errorf("the error's detail: %d folded details, want one with the cause", len(d))
	}
}
