package queue

import (
	"context"
	"roost/store"
	"roost/store/storetest"
	"slices"
	"testing"
	"time"
)

// queueActivity enqueues one activity of the owner's to inboxes and returns it.
func queueActivity(tb testing.TB, s *testDB, iri string, inboxes ...string) *store.Outgoing {
	tb.Helper()
	out := &store.Outgoing{IRI: iri, Type: "Update", Body: []byte(`{"id":"` + iri + `"}`), Inboxes: inboxes}
	if err := s.Enqueue(context.Background(), out); err != nil {
		tb.Fatalf("Enqueue(%s): %v", iri, err)
	}
	return out
}

func claim(tb testing.TB, s *testDB, limit int, lease time.Duration) []Delivery {
	tb.Helper()
	ds, err := s.ClaimDeliveries(context.Background(), limit, limit, nil, lease)
	if err != nil {
		tb.Fatalf("ClaimDeliveries: %v", err)
	}
	return ds
}

func deliveryInboxes(ds []Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Inbox)
	}
	slices.Sort(out)
	return out
}

const (
	inboxB1 = "https://b.example/users/b1/inbox"
	inboxB2 = "https://b.example/users/b2/inbox"
	inboxC  = "https://c.example/inbox"
)

func TestClaimDeliveriesLease(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	createOwner(t, s)
	out := queueActivity(t, s, "https://roost.example/activities/1", inboxB1, inboxB2, inboxC)

	first := claim(t, s, 10, time.Minute)
	if got, want := deliveryInboxes(first), []string{inboxB1, inboxB2, inboxC}; !slices.Equal(got, want) {
		t.Fatalf("first claim = %q, want %q", got, want)
	}
	for _, d := range first {
		if d.ActivityID != out.ID || d.Attempts != 0 {
			t.Errorf("claimed %+v", d)
		}
		body, err := s.ActivityBody(ctx, d.ActivityID)
		if err != nil || string(body) != string(out.Body) {
			t.Errorf("ActivityBody = %q, %v", body, err)
		}
	}
	if again := claim(t, s, 10, time.Minute); len(again) != 0 {
		t.Errorf("second claim while leased = %q, want nothing", deliveryInboxes(again))
	}
	if next, err := s.NextDeliveryAt(ctx); err != nil || !next.Equal(clock.Now().Add(time.Minute)) {
		t.Errorf("NextDeliveryAt = %v, %v; want the lease end %v", next, err, clock.Now().Add(time.Minute))
	}

	clock.Add(time.Minute - time.Millisecond)
	if early := claim(t, s, 10, time.Minute); len(early) != 0 {
		t.Errorf("claim before the lease ends = %q, want nothing", deliveryInboxes(early))
	}
	// The worker died holding the lease: once it runs out the rows go out again.
	clock.Add(time.Millisecond)
	recovered := claim(t, s, 10, time.Minute)
	if got := deliveryInboxes(recovered); len(got) != 3 {
		t.Errorf("claim after the lease ran out = %q, want all 3", got)
	}

	t.Run("limit", func(t *testing.T) {
		clock.Add(time.Minute)
		if got := claim(t, s, 2, time.Minute); len(got) != 2 {
			t.Errorf("claim with limit 2 = %d rows", len(got))
		}
		if got := claim(t, s, 2, time.Minute); len(got) != 1 {
			t.Errorf("claim of the rest = %d rows, want 1", len(got))
		}
	})
}

func TestDeliveryFailedRetry(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	createOwner(t, s)
	queueActivity(t, s, "https://roost.example/activities/1", inboxB1, inboxC)
	ds := claim(t, s, 10, time.Minute)
	var b, c Delivery
	for _, d := range ds {
		switch d.Host {
		case "b.example":
			b = d
		case "c.example":
			c = d
		}
	}
	start := clock.Now()
	retryAt := start.Add(10 * time.Minute)
	if err := s.DeliveryFailed(ctx, b, "503 Service Unavailable", retryAt, true); err != nil {
		t.Fatal(err)
	}
	if err := s.DeliveryFailed(ctx, c, "410 Gone for this one request", start.Add(time.Minute), false); err != nil {
		t.Fatal(err)
	}

	hb, err := s.Host(ctx, "b.example")
	if err != nil {
		t.Fatal(err)
	}
	if hb.Failures != 1 || !hb.FailingSince.Equal(start) {
		t.Errorf("Host(b.example) = %+v, want 1 failure since %v", hb, start)
	}
	if hc, err := s.Host(ctx, "c.example"); err != nil || hc.Failures != 0 {
		t.Errorf("Host(c.example) = %+v, %v; a failure not counted against the host was", hc, err)
	}
	var nextAt, attempts int
	var lastErr string
	if err := s.r.QueryRowContext(ctx, `SELECT next_at, attempts, last_error FROM deliveries WHERE id = ?`, b.ID).
		Scan(&nextAt, &attempts, &lastErr); err != nil {
		t.Fatal(err)
	}
	if int64(nextAt) != retryAt.UnixMilli() || attempts != 1 || lastErr != "503 Service Unavailable" {
		t.Errorf("failed row: next_at %d attempts %d error %q", nextAt, attempts, lastErr)
	}

	clock.Set(start.Add(time.Minute))
	cs := claim(t, s, 10, time.Hour)
	if !slices.Equal(deliveryInboxes(cs), []string{inboxC}) {
		t.Fatalf("claim before b's retry = %q, want only %s", deliveryInboxes(cs), inboxC)
	}
	if err := s.DeliverySucceeded(ctx, cs[0]); err != nil {
		t.Fatal(err)
	}
	clock.Set(retryAt)
	got := claim(t, s, 10, time.Minute)
	if len(got) != 1 || got[0].ID != b.ID || got[0].Attempts != 1 {
		t.Fatalf("claim at retry time = %+v, want b with 1 attempt", got)
	}

	// A second failure keeps the first failing_since.
	clock.Add(time.Minute)
	if err := s.DeliveryFailed(ctx, got[0], "timeout", clock.Now().Add(time.Hour), true); err != nil {
		t.Fatal(err)
	}
	if hb, _ := s.Host(ctx, "b.example"); hb.Failures != 2 || !hb.FailingSince.Equal(start) {
		t.Errorf("Host(b.example) after 2 failures = %+v", hb)
	}
	q, err := s.DeliveryQueue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 1 || q[0] != (QueueStats{Host: "b.example", Queued: 1, Failing: 1}) {
		t.Errorf("DeliveryQueue = %+v", q)
	}
}

func TestDeliveryFailedFinalDropsRow(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	createOwner(t, s)
	queueActivity(t, s, "https://roost.example/activities/1", inboxB1)
	ds := claim(t, s, 10, time.Minute)
	if len(ds) != 1 {
		t.Fatalf("claimed %d", len(ds))
	}
	if err := s.DeliveryFailed(ctx, ds[0], "404", time.Time{}, true); err != nil {
		t.Fatal(err)
	}
	if n := storetest.Count(t, s.r, `SELECT count(*) FROM deliveries`); n != 0 {
		t.Errorf("deliveries after a final failure = %d, want 0", n)
	}
	if h, _ := s.Host(ctx, "b.example"); h.Failures != 1 {
		t.Errorf("Host failures = %d, want 1", h.Failures)
	}
	if next, err := s.NextDeliveryAt(ctx); err != nil || !next.IsZero() {
		t.Errorf("NextDeliveryAt with an empty queue = %v, %v; want zero", next, err)
	}
}

func TestPauseHost(t *testing.T) {
	const lease = 24 * time.Hour // longer than the test: nothing comes back by running out
	s, clock := newTestStore(t)
	ctx := context.Background()
	createOwner(t, s)
	queueActivity(t, s, "https://roost.example/activities/1", inboxB1, inboxB2, inboxC)

	if err := s.PauseHost(ctx, "b.example", clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := deliveryInboxes(claim(t, s, 10, lease)); !slices.Equal(got, []string{inboxC}) {
		t.Errorf("claim with b.example paused = %q, want only %s", got, inboxC)
	}
	clock.Add(30 * time.Minute)
	if got := claim(t, s, 10, lease); len(got) != 0 {
		t.Errorf("claim during the pause = %q", deliveryInboxes(got))
	}
	// Hearing from the host (any case) ends the pause early.
	if err := s.HostHeard(ctx, "B.Example"); err != nil {
		t.Fatal(err)
	}
	if got := deliveryInboxes(claim(t, s, 10, lease)); !slices.Equal(got, []string{inboxB1, inboxB2}) {
		t.Errorf("claim after HostHeard = %q, want b's two", got)
	}
	h, err := s.Host(ctx, "b.example")
	if err != nil {
		t.Fatal(err)
	}
	if !h.PausedUntil.IsZero() || !h.LastSuccess.Equal(clock.Now()) {
		t.Errorf("Host after HostHeard = %+v", h)
	}
}

func TestPauseHostRunsOut(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	createOwner(t, s)
	queueActivity(t, s, "https://roost.example/activities/1", inboxB1)
	until := clock.Now().Add(time.Hour)
	if err := s.PauseHost(ctx, "b.example", until); err != nil {
		t.Fatal(err)
	}
	clock.Set(until.Add(-time.Millisecond))
	if got := claim(t, s, 10, time.Minute); len(got) != 0 {
		t.Errorf("claim during the pause = %q", deliveryInboxes(got))
	}
	clock.Set(until)
	if got := claim(t, s, 10, time.Minute); len(got) != 1 {
		t.Errorf("claim when the pause ends = %q, want 1", deliveryInboxes(got))
	}
}

// Deliveries pushed far back while a host was down go out as soon as it is heard from.
func TestHostHeardBringsRetriesForward(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	createOwner(t, s)
	queueActivity(t, s, "https://roost.example/activities/1", inboxB1)
	ds := claim(t, s, 1, time.Minute)
	if err := s.DeliveryFailed(ctx, ds[0], "timeout", clock.Now().Add(24*time.Hour), true); err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Minute)
	if got := claim(t, s, 1, time.Minute); len(got) != 0 {
		t.Fatalf("claimed a row due tomorrow")
	}
	if err := s.HostHeard(ctx, "b.example"); err != nil {
		t.Fatal(err)
	}
	if got := claim(t, s, 1, time.Minute); len(got) != 1 {
		t.Errorf("claim after HostHeard = %d rows, want 1", len(got))
	}
	if h, _ := s.Host(ctx, "b.example"); h.Failures != 0 || !h.FailingSince.IsZero() {
		t.Errorf("Host after HostHeard = %+v", h)
	}
}

func TestDeliverySucceeded(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	createOwner(t, s)
	queueActivity(t, s, "https://roost.example/activities/1", inboxB1, inboxB2)
	ds := claim(t, s, 10, time.Minute)
	if len(ds) != 2 {
		t.Fatalf("claimed %d", len(ds))
	}
	if err := s.DeliveryFailed(ctx, ds[0], "timeout", clock.Now().Add(time.Hour), true); err != nil {
		t.Fatal(err)
	}
	if err := s.PauseHost(ctx, "b.example", clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Second)
	if err := s.DeliverySucceeded(ctx, ds[1]); err != nil {
		t.Fatal(err)
	}
	if n := storetest.Count(t, s.r, `SELECT count(*) FROM deliveries WHERE id = ?`, ds[1].ID); n != 0 {
		t.Errorf("delivered row still queued")
	}
	h, err := s.Host(ctx, "b.example")
	if err != nil {
		t.Fatal(err)
	}
	want := HostState{Host: "b.example", LastSuccess: clock.Now()}
	if h.Failures != 0 || !h.FailingSince.IsZero() || !h.PausedUntil.IsZero() || !h.LastSuccess.Equal(want.LastSuccess) {
		t.Errorf("Host after success = %+v, want %+v", h, want)
	}
	if n := storetest.Count(t, s.r, `SELECT count(*) FROM deliveries`); n != 1 {
		t.Errorf("deliveries = %d, want the failed one left", n)
	}
}

// A claim takes at most perHost rows of any host and none of the hosts it is told to skip, so
// one host's backlog cannot fill the caller's slots; released rows are due again at once.
func TestClaimDeliveriesPerHost(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	createOwner(t, s)
	for i := range 5 {
		queueActivity(t, s, "https://roost.example/activities/"+string(rune('a'+i)), inboxB1, inboxB2, inboxC)
	}
	hosts := func(ds []Delivery) map[string]int {
		m := map[string]int{}
		for _, d := range ds {
			m[d.Host]++
		}
		return m
	}

	got, err := s.ClaimDeliveries(ctx, 100, 3, []string{"c.example"}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if h := hosts(got); h["b.example"] != 3 || h["c.example"] != 0 || len(got) != 3 {
		t.Errorf("claim with perHost 3, skipping c.example: by host %v, want b.example 3", h)
	}
	got2, err := s.ClaimDeliveries(ctx, 100, 100, nil, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if h := hosts(got2); h["b.example"] != 7 || h["c.example"] != 5 {
		t.Errorf("second claim by host %v, want the other 7 of b.example and 5 of c.example", h)
	}

	ids := []int64{got[0].ID, got[1].ID}
	if err := s.ReleaseDeliveries(ctx, ids); err != nil {
		t.Fatal(err)
	}
	again, err := s.ClaimDeliveries(ctx, 100, 100, nil, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got := []int64{again[0].ID, again[1].ID}; len(again) != 2 || !slices.Equal(got, ids) {
		t.Errorf("claim after releasing %v = %v", ids, again)
	}
}
