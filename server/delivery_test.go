package server

import (
	"context"
	"net/http"
	"testing"
	"time"

	"roost/server/app"
)

// A peer that fails with 500 gets the activity again once the backoff has passed.
func TestDeliveryRetriesServerError(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	fol := newPeer(t, "fol")
	fol.inboxStatus = func(r received, n int) int {
		if r.typ() == "Create" && fol.count(ofType("Create")) == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusAccepted
	}
	followingPeer(t, ts, fol)

	p, err := ts.srv.app.Post(ctx, app.PostInput{Text: "try again"})
	if err != nil {
		t.Fatal(err)
	}
	fol.waitPost(t, "the first attempt", ofTypeObject("Create", p.IRI))
	waitFor(t, "the failure recorded", func() bool {
		h, err := ts.srv.App().Queue.Host(ctx, fol.host)
		return err == nil && h.Failures == 1
	})
	if n := ts.queued(t); n != 1 {
		t.Fatalf("%d deliveries queued after a 500, want 1 waiting for its retry", n)
	}
	// The first retry is due 30 s (±25%) later: move the clock past it.
	ts.advance(time.Minute)
	waitFor(t, "the retry", func() bool { return fol.count(ofTypeObject("Create", p.IRI)) == 2 })
	ts.waitQueueEmpty(t)
	for _, r := range fol.received() {
		if !r.Verified {
			t.Errorf("%s not verified: %v", r.typ(), r.VerifyErr)
		}
	}
	if h, _ := ts.srv.App().Queue.Host(ctx, fol.host); h.Failures != 0 {
		t.Errorf("host failures %d after a success, want 0", h.Failures)
	}
	if n := fol.count(ofTypeObject("Create", p.IRI)); n != 2 {
		t.Errorf("%d attempts, want 2", n)
	}
}

// A 404 or 410 from an inbox is final: the row is dropped, never retried.
func TestDeliveryGivesUpOnGone(t *testing.T) {
	for _, code := range []int{http.StatusNotFound, http.StatusGone, http.StatusBadRequest} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			ctx := context.Background()
			ts := newTestServer(t)
			fol := newPeer(t, "fol")
			fol.inboxStatus = func(r received, n int) int {
				if r.typ() == "Create" {
					return code
				}
				return http.StatusAccepted
			}
			followingPeer(t, ts, fol)
			p, err := ts.srv.app.Post(ctx, app.PostInput{Text: "nobody home"})
			if err != nil {
				t.Fatal(err)
			}
			fol.waitPost(t, "the attempt", ofTypeObject("Create", p.IRI))
			ts.waitQueueEmpty(t)
			ts.advance(72 * time.Hour)
			// Another post makes the worker run again with the clock moved on.
			p2, err := ts.srv.app.Post(ctx, app.PostInput{Text: "still nobody"})
			if err != nil {
				t.Fatal(err)
			}
			fol.waitPost(t, "the second post", ofTypeObject("Create", p2.IRI))
			ts.waitQueueEmpty(t)
			if n := fol.count(ofTypeObject("Create", p.IRI)); n != 1 {
				t.Errorf("%d attempts after %d, want 1", n, code)
			}
			if h, _ := ts.srv.App().Queue.Host(ctx, fol.host); h.Failures != 0 {
				t.Errorf("a %d counted against the host (%d failures)", code, h.Failures)
			}
		})
	}
}

// Queued deliveries are rows: they survive closing the store, and a new Server sends them.
func TestDeliveryResumesAfterRestart(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	fol := newPeer(t, "fol")
	followingPeer(t, ts, fol)
	ts.waitQueueEmpty(t) // the peer has the Accept; its row goes once the worker has the answer

	ts.stopRun()
	p, err := ts.srv.app.Post(ctx, app.PostInput{Text: "written just before a crash"})
	if err != nil {
		t.Fatal(err)
	}
	if n := ts.queued(t); n != 1 {
		t.Fatalf("%d deliveries queued, want 1", n)
	}
	if n := fol.count(ofTypeObject("Create", p.IRI)); n != 0 {
		t.Fatalf("delivered with the workers stopped")
	}

	ts.restart(t)
	got := fol.waitPost(t, "the Create after restart", ofTypeObject("Create", p.IRI))
	if !got.Verified {
		t.Errorf("signature after restart: %v", got.VerifyErr)
	}
	ts.waitQueueEmpty(t)
	if n := fol.count(ofTypeObject("Create", p.IRI)); n != 1 {
		t.Errorf("%d copies, want 1", n)
	}
}

// An activity acknowledged with 202 is processed even if the server stops before processing it.
func TestInboxResumesAfterRestart(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	fol := newPeer(t, "fol")
	ts.stopRun()

	follow := fol.activity("Follow", ts.actor)
	fol.sendAccepted(t, ts, follow)
	if n, err := ts.srv.App().Queue.InboxPending(ctx); err != nil || n != 1 {
		t.Fatalf("inbox pending %d, %v; want 1", n, err)
	}

	ts.restart(t)
	fol.waitPost(t, "Accept", ofTypeObject("Accept", follow["id"].(string)))
	if ok, _ := ts.st.IsFollowing(ctx, ts.account(t, fol.actor).ID, ts.srv.Owner().ID); !ok {
		t.Error("not a follower after restart")
	}
}
