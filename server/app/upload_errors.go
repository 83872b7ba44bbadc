package app

import "strings"

// UploadErrorOf is ErrorOf for the errors of media.Library.Save, which does not type its
// refusals yet: they are written for the owner (Invalid, with their text), except what mentions
// the database, which is Internal.
// TODO(media): type the refusals and drop the look at the text.
func UploadErrorOf(err error) (Kind, string) {
	if kind, msg := ErrorOf(err); kind != Internal {
		return kind, msg
	}
	msg := err.Error()
	if strings.Contains(msg, "sql") || strings.Contains(msg, "database") {
		return Internal, ""
	}
	return Invalid, msg
}
