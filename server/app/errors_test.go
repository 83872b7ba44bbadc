package app

import (
	"errors"
	"fmt"
	"testing"

	"roost/server/resolve"
	"roost/store"
)

// TestErrorOf: what a surface may show of an error is decided by its type; an error the core did
// not type is internal, whatever its text says.
func TestErrorOf(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		kind Kind
		msg  string
	}{
		{"invalid input", invalid("a post needs text"), Invalid, "a post needs text"},
		{"wrapped", fmt.Errorf("post: %w", invalid("at most %d images per post", 4)), Invalid, "at most 4 images per post"},
		{"a sentinel of the core", fmt.Errorf("%w", ErrSelf), Forbidden, "that is you"},
		{"not found in the store", fmt.Errorf("load: %w", store.ErrNotFound), NotFound, "not found"},
		{"not liked, as the store found", fmt.Errorf("%w: %w", ErrNotLiked, store.ErrNotFound), NotFound, "not found"},
		{"conflict in the store", store.ErrConflict, Conflict, "that was already done"},
		{"unreachable", &resolve.UnreachableError{What: "bob@example.com", Err: errors.New("dial tcp: refused")}, NotFound, "bob@example.com could not be fetched"},
		{"refused by the resolver", fmt.Errorf("fetch https://blocked.example/: %w", resolve.ErrBlocked), Invalid, "domain is blocked"},
		{"anything else", errors.New("the image is too large"), Internal, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			kind, msg := ErrorOf(tt.err)
			if kind != tt.kind || msg != tt.msg {
				t.Errorf("ErrorOf(%v) = %v, %q; want %v, %q", tt.err, kind, msg, tt.kind, tt.msg)
			}
		})
	}
}
