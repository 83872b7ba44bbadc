package app

import (
	"errors"

	"roost/server/media"
)

// UploadErrorOf is ErrorOf for the errors of media.Library.Save: its refusals of a file
// (media.RefusedError) are Invalid, with their message for the owner; anything else is what
// ErrorOf makes of it.
func UploadErrorOf(err error) (Kind, string) {
	if r, ok := errors.AsType[*media.RefusedError](err); ok {
		return Invalid, r.Msg
	}
	return ErrorOf(err)
}
