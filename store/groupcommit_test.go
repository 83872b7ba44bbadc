package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// Concurrent AddInbox calls are committed together and each learns whether its activity was new.
func TestAddInboxGroupCommit(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	const n = 300
	var wg sync.WaitGroup
	added := make([]bool, 2*n)
	errs := make([]error, 2*n)
	for i := range 2 * n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Every activity is sent twice; exactly one of the two is new.
			added[i], errs[i] = s.AddInbox(ctx, fmt.Sprintf("https://a.example/act/%d", i%n), "https://a.example/u", []byte("{}"))
		}()
	}
	wg.Wait()
	newCount := 0
	for i := range 2 * n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if added[i] {
			newCount++
		}
	}
	if newCount != n {
		t.Errorf("%d calls reported a new activity, want %d", newCount, n)
	}
	if got, err := s.InboxCount(ctx, ""); err != nil || got != n {
		t.Errorf("InboxCount = %d, %v; want %d", got, err, n)
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
