package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"roost/server/media"
)

// TestUploadErrorOf: what the media library refuses a file for is shown to the owner as it is
// written; an error of the store, however it is worded, is internal and shown to nobody.
func TestUploadErrorOf(t *testing.T) {
	_, notAnImage := media.NewProcessor(1<<20).Process(context.Background(), strings.NewReader("plain text, not a picture"))
	_, tooLarge := media.NewProcessor(1<<20).Process(context.Background(), strings.NewReader(strings.Repeat("x", 2<<20)))
	for _, tt := range []struct {
		name string
		err  error
		kind Kind
		msg  string
	}{
		{"not an image", notAnImage, Invalid, "text/plain; charset=utf-8 is not an image Roost accepts (PNG, JPEG, GIF or WebP)"},
		{"too large", tooLarge, Invalid, "the file is over 1 MiB"},
		{"no media folder", fmt.Errorf("save: %w", media.ErrNotConfigured), Invalid, "uploads are not configured"},
		{"the database", fmt.Errorf("store upload: %w", errors.New("sqlite: disk I/O error")), Internal, ""},
		{"an error worded like a refusal", errors.New("the file is over 16 MiB"), Internal, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			kind, msg := UploadErrorOf(tt.err)
			if kind != tt.kind || (tt.kind != Internal && msg != tt.msg) {
				t.Errorf("UploadErrorOf(%v) = %v, %q; want %v, %q", tt.err, kind, msg, tt.kind, tt.msg)
			}
		})
	}
}
