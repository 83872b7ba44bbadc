package server

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"roost/store"
	"roost/store/queue"
)

// TestDeliveryPausesFailingHost: a peer whose inbox keeps answering 5xx is paused after five
// failures in a row (its queued deliveries wait, and /status says until when), and resumes as
// soon as it is heard from (a signed activity of its own), when everything queued for it goes out.
func TestDeliveryPausesFailingHost(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	fol := newPeer(t, "fol")
	followingPeer(t, ts, fol)
	var down atomic.Bool
	down.Store(true)
	fol.mu.Lock()
	fol.inboxStatus = func(received, int) int {
		if down.Load() {
			return http.StatusServiceUnavailable
		}
		return http.StatusAccepted
	}
	fol.mu.Unlock()

	var posts []*store.Post
	for i := range 5 {
		posts = append(posts, ownerPost(t, ts, "post "+string(rune('1'+i))))
	}
	var h queue.HostState
	waitFor(t, "the failing host paused", func() bool {
		var err error
		h, err = ts.srv.App().Queue.Host(ctx, fol.host)
		return err == nil && h.PausedUntil.After(time.Now())
	})
	if h.Failures < 5 {
		t.Errorf("paused after %d failures, want 5", h.Failures)
	}
	if q := hostQueue(t, ts, fol.host); q.Queued != len(posts) {
		t.Errorf("%d deliveries queued for the paused host, want %d", q.Queued, len(posts))
	}
	doc := signIn(t, ts).page(t, "/status")
	var until string
	for _, row := range elements(doc, byTag("tr")) {
		if cells := elements(row, byTag("td")); len(cells) == 4 && textOf(cells[0]) == fol.host {
			until = strings.TrimSpace(textOf(cells[3]))
		}
	}
	if want := h.PausedUntil.UTC().Format("2006-01-02 15:04 UTC"); until != want {
		t.Errorf("/status says %s is paused until %q, want %q", fol.host, until, want)
	}

	// The peer is back: its next signed activity ends the pause, and the queue drains.
	down.Store(false)
	fol.sendAccepted(t, ts, fol.activity("Like", posts[0].IRI))
	if h, err := ts.srv.App().Queue.Host(ctx, fol.host); err != nil || !h.PausedUntil.IsZero() || h.Failures != 0 {
		t.Errorf("after hearing from the host: %+v, %v; want no pause, no failures", h, err)
	}
	ts.waitQueueEmpty(t)
	for _, p := range posts {
		if fol.count(ofTypeObject("Create", p.IRI)) < 2 {
			t.Errorf("%s was not delivered again after the pause", p.IRI)
		}
	}
}
