package store

import (
	"context"
	"errors"
	"testing"
)

func TestEnqueueDuplicateActivity(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	createOwner(t, s)
	if err := s.Enqueue(ctx, &Outgoing{IRI: "https://roost.example/activities/1", Type: "Update", Body: []byte(`{}`),
		Inboxes: []string{"https://b.example/users/b1/inbox"}}); err != nil {
		t.Fatal(err)
	}
	dup := &Outgoing{IRI: "https://roost.example/activities/1", Type: "Update", Body: []byte(`{}`), Inboxes: []string{"https://c.example/inbox"}}
	if err := s.Enqueue(ctx, dup); !errors.Is(err, ErrConflict) {
		t.Errorf("Enqueue of a duplicate IRI: err = %v, want ErrConflict", err)
	}
	if n := count(t, s, `SELECT count(*) FROM deliveries`); n != 1 {
		t.Errorf("deliveries = %d, want 1", n)
	}
	if err := s.Enqueue(ctx, nil); err != nil {
		t.Errorf("Enqueue(nil) = %v, want a no-op", err)
	}
}
