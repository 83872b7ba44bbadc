package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
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
