package queue

import (
	"context"
	"testing"
	"time"
)

// The failing hosts the inbox path reads follow every write: a host failing, being paused and
// being heard from again.
func TestFailingHostsFollowWrites(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	createOwner(t, s)

	// A failing host is made due again when it is heard from; a healthy one costs no write.
	queueActivity(t, s, "https://roost.example/activities/1", inboxB1)
	ds := claim(t, s, 10, time.Minute)
	if err := s.HostHeard(ctx, "b.example"); err != nil { // loads the set while nothing fails
		t.Fatal(err)
	}
	if err := s.DeliveryFailed(ctx, ds[0], "refused", clock.Now().Add(time.Hour), true); err != nil {
		t.Fatal(err)
	}
	if h, err := s.Host(ctx, "b.example"); err != nil || h.Failures != 1 {
		t.Fatalf("host after a failure: %+v, %v", h, err)
	}
	if err := s.HostHeard(ctx, "b.example"); err != nil {
		t.Fatal(err)
	}
	if h, err := s.Host(ctx, "b.example"); err != nil || h.Failures != 0 {
		t.Errorf("host after it was heard from: %+v, %v; want no failures", h, err)
	}
	if next, err := s.NextDeliveryAt(ctx); err != nil || next.After(clock.Now()) {
		t.Errorf("the delivery put back an hour is due at %v, %v; want now", next, err)
	}
	if err := s.PauseHost(ctx, "b.example", clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.HostHeard(ctx, "b.example"); err != nil {
		t.Fatal(err)
	}
	if h, err := s.Host(ctx, "b.example"); err != nil || !h.PausedUntil.IsZero() {
		t.Errorf("host paused after it was heard from: %+v, %v", h, err)
	}
}
