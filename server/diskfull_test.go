package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// With the disk full, an inbox POST is answered 503 with Retry-After (so the peer retries) and
// nothing half-written stays behind; once space returns, the same server accepts again.
func TestInboxDiskFull(t *testing.T) {
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	ctx := context.Background()
	// Let the server learn alice's key first: the full-disk case is about storing the activity.
	alice.sendAccepted(t, ts, alice.activity("Follow", ts.actor))
	ts.waitInboxIdle(t)
	before, err := ts.srv.App().Queue.InboxCount(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	// SQLite keeps a limit below the database's current size at that size: not one page more.
	if err := ts.st.LimitSize(ctx, 1); err != nil {
		t.Fatal(err)
	}
	note := alice.note(strings.Repeat("a long note to fill the disk ", 2000), []string{ts.actor}, nil)
	create := alice.create(note)
	body := mustJSON(t, create)
	req := inboxRequest(t, ts, body)
	signGetOrPost(req, body, alice)
	resp, b := doNoRedirect(t, req)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("inbox on a full disk: %d %q %s, want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
	if n, _ := ts.srv.App().Queue.InboxCount(ctx, ""); n != before {
		t.Errorf("inbox rows %d -> %d on a full disk", before, n)
	}
	if err := ts.st.IntegrityCheck(ctx); err != nil {
		t.Error(err)
	}

	// Space returns: the retry is accepted and processed, without a restart.
	if err := ts.st.LimitSize(ctx, 0); err != nil {
		t.Fatal(err)
	}
	req = inboxRequest(t, ts, body)
	signGetOrPost(req, body, alice)
	if resp, b := doNoRedirect(t, req); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("inbox after space returned: %d %s", resp.StatusCode, b)
	}
	ts.waitPost(t, note["id"].(string))
}
