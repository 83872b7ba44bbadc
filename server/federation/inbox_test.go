package federation

import (
	"net/http"
	"testing"
)

// TestInboxRefusesBodiesOverMemoryBudget: when the bodies being read take all the memory set
// aside for them, another POST is answered 503 with Retry-After instead of reading its body.
func TestInboxRefusesBodiesOverMemoryBudget(t *testing.T) {
	th := newTestHandler(t)
	p := newTestPeer(t, th, "sender")
	if !th.h.inboxBytes.take(inboxBodyBudget) {
		t.Fatal("the budget was not free at start")
	}
	resp := p.post(t, th, p.follow("1"))
	th.h.inboxBytes.give(inboxBodyBudget)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("POST with the body budget spent: status %d, Retry-After %q; want 503 with a Retry-After",
			resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp := p.post(t, th, p.follow("1")); resp.StatusCode != http.StatusAccepted { // and accepted once memory is free again
		t.Errorf("POST with the budget free: status %d, want 202", resp.StatusCode)
	}
}
