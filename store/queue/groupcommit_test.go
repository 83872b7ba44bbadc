package queue

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Concurrent AddInbox calls are committed together and each learns its activity was stored.
// Copies of an activity still waiting are stored too, and claiming returns each activity once.
func TestAddInboxGroupCommit(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	const n = 300
	var wg sync.WaitGroup
	added := make([]bool, 2*n)
	errs := make([]error, 2*n)
	for i := range 2 * n {
		wg.Go(func() {
			// Every activity is sent twice.
			added[i], errs[i] = s.AddInbox(ctx, fmt.Sprintf("https://a.example/act/%d", i%n), "https://a.example/u", []byte("{}"))
		})
	}
	wg.Wait()
	for i := range 2 * n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !added[i] {
			t.Errorf("call %d: a copy of an activity not yet processed was refused", i)
		}
	}
	if got, err := s.InboxCount(ctx, ""); err != nil || got != 2*n {
		t.Errorf("InboxCount = %d, %v; want %d", got, err, 2*n)
	}
	claimed := map[string]int{}
	for _, iri := range claimInbox(t, s, 4*n) {
		claimed[iri]++
	}
	for i := range n {
		if iri := fmt.Sprintf("https://a.example/act/%d", i); claimed[iri] != 1 {
			t.Errorf("%s claimed %d times, want once", iri, claimed[iri])
		}
	}
}

// After Close, AddInbox fails instead of hanging.
func TestAddInboxAfterClose(t *testing.T) {
	s, _ := newTestStore(t)
	s.Close()
	if _, err := s.AddInbox(context.Background(), "https://a.example/act/1", "https://a.example/u", []byte("{}")); err == nil {
		t.Error("AddInbox after Close succeeded")
	}
}

// A POST on its way (InboxComing) is waited for: it is committed in the same transaction as the
// one before it, instead of in a transaction and an fsync of its own.
func TestAddInboxWaitsForComing(t *testing.T) {
	s, clock := newTestStore(t)
	s.inbox.Linger = time.Minute // longer than the test: only the second POST ends the wait
	ctx := context.Background()
	handed := s.InboxComing()
	first := make(chan error, 1)
	go func() {
		_, err := s.AddInbox(ctx, "https://a.example/act/1", "https://a.example/u", []byte("{}"))
		first <- err
	}()
	select {
	case err := <-first:
		t.Fatalf("the first activity was committed (err %v) while another was coming", err)
	case <-time.After(50 * time.Millisecond):
	}
	// A transaction of its own would stamp the first activity before this and the second after.
	clock.Set(testEpoch.Add(time.Hour))
	handed()
	handed() // a second call changes nothing
	if _, err := s.AddInbox(ctx, "https://a.example/act/2", "https://a.example/u", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	items, _, err := s.ClaimInbox(ctx, 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || !items[0].ReceivedAt.Equal(items[1].ReceivedAt) {
		for _, it := range items {
			t.Logf("%s received %v", it.ActivityIRI, it.ReceivedAt)
		}
		t.Errorf("%d activities claimed, want 2 committed together", len(items))
	}
}

// Closing the store while the committer waits for a POST that never comes still commits what
// it holds: the caller learns its activity was stored, and it is there after a restart.
func TestAddInboxCloseWhileWaiting(t *testing.T) {
	file := filepath.Join(t.TempDir(), "roost.db")
	s, err := open(context.Background(), file)
	if err != nil {
		t.Fatal(err)
	}
	s.inbox.Linger = time.Minute
	s.InboxComing() // never handed over
	type result struct {
		added bool
		err   error
	}
	done := make(chan result, 1)
	go func() {
		added, err := s.AddInbox(context.Background(), "https://a.example/act/1", "https://a.example/u", []byte("{}"))
		done <- result{added, err}
	}()
	time.Sleep(50 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if r := <-done; !r.added || r.err != nil {
		t.Fatalf("AddInbox = %v, %v; want true, nil", r.added, r.err)
	}
	s = openStore(t, file)
	if n, err := s.InboxCount(context.Background(), ""); err != nil || n != 1 {
		t.Errorf("after reopening, InboxCount = %d, %v; want 1", n, err)
	}
}
