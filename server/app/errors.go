package app

import (
	"errors"
	"fmt"

	"roost/server/resolve"
	"roost/store"
)

// Kind is what went wrong with a request to the core, as each surface answers it: a page with a
// message, an API status, an inbox status.
type Kind int

// The kinds of errors the core returns. An error of none of them is internal: logged, and answered
// with a generic message.
const (
	Internal  Kind = iota
	Invalid        // the input is wrong; the message says how
	NotFound       // what the request names does not exist, or is not the requester's to see
	Forbidden      // the request is understood and refused
	Conflict       // the state the request asks for already holds, or contradicts what is stored
)

// Error is an error the user may be told about: Msg is written for them.
type Error struct {
	Kind Kind
	Msg  string
	Err  error // the cause, for the log; nil for most
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// invalid is an Invalid error with a message for the user.
func invalid(format string, args ...any) error {
	return &Error{Kind: Invalid, Msg: fmt.Sprintf(format, args...)}
}

// forbidden is a Forbidden error with a message for the user.
func forbidden(format string, args ...any) error {
	return &Error{Kind: Forbidden, Msg: fmt.Sprintf(format, args...)}
}

// ErrorOf returns the kind of err and its message for the user. The store's sentinels count as
// NotFound and Conflict, before any Error wrapping them; the resolver's refusals are Invalid and
// what it could not fetch NotFound; anything else is Internal, with no message.
func ErrorOf(err error) (Kind, string) {
	var e *Error
	switch {
	case errors.Is(err, store.ErrNotFound):
		return NotFound, "not found"
	case errors.Is(err, store.ErrConflict):
		return Conflict, "that was already done"
	case errors.As(err, &e):
		return e.Kind, e.Msg
	}
	if r, ok := errors.AsType[*resolve.RefusedError](err); ok {
		return Invalid, r.Msg
	}
	if u, ok := errors.AsType[*resolve.UnreachableError](err); ok {
		return NotFound, u.What + " could not be fetched"
	}
	return Internal, ""
}
