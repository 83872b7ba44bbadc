package resolve

import (
	"errors"
	"fmt"
	"testing"

	"roost/store"
)

// TestUnreachableKeepsWhatErrorsSay: a failure to fetch is reported as unreachable, but a refusal
// or the store's answer under it is kept, so the user is told the domain is blocked rather than
// that it could not be fetched.
func TestUnreachableKeepsWhatErrorsSay(t *testing.T) {
	for _, tt := range []struct {
		name        string
		err         error
		unreachable bool
	}{
		{"a network failure", errors.New("dial tcp: refused"), true},
		{"a blocked domain", fmt.Errorf("fetch https://blocked.example/: %w", ErrBlocked), false},
		{"an unconfirmed handle", fmt.Errorf("confirm: %w", ErrHandleUnconfirmed), false},
		{"not in the store", fmt.Errorf("load: %w", store.ErrNotFound), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := unreachable("bob@example.com", tt.err)
			u, ok := errors.AsType[*UnreachableError](got)
			if ok != tt.unreachable {
				t.Fatalf("unreachable(%v) = %v; UnreachableError: %v, want %v", tt.err, got, ok, tt.unreachable)
			}
			if ok && (u.What != "bob@example.com" || !errors.Is(got, tt.err)) {
				t.Errorf("unreachable(%v) = %#v", tt.err, u)
			}
			if !ok && got != tt.err {
				t.Errorf("unreachable(%v) = %v, want it unchanged", tt.err, got)
			}
		})
	}
}
