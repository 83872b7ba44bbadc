package resolve

import (
	"errors"

	"roost/store"
)

// RefusedError is a request the Resolver refuses for what it names (a blocked domain, a handle
// that is none or that its server does not confirm): Msg is written for the user.
type RefusedError struct {
	Msg string
	Err error // the cause, for the log; nil for most
}

func (e *RefusedError) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *RefusedError) Unwrap() error { return e.Err }

// UnreachableError is a remote account or document (What, for the user) that could not be
// fetched or looked up.
type UnreachableError struct {
	What string
	Err  error
}

func (e *UnreachableError) Error() string { return e.What + " could not be fetched: " + e.Err.Error() }

func (e *UnreachableError) Unwrap() error { return e.Err }

// unreachable is the UnreachableError of what, unless err says more already: a refusal, or the
// store's not found or conflict.
func unreachable(what string, err error) error {
	var r *RefusedError
	if errors.As(err, &r) || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
		return err
	}
	return &UnreachableError{What: what, Err: err}
}
