package app

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"

	"roost/store"
)

// MaxAttachments is how many images one post may carry, as on Mastodon.
const MaxAttachments = 4

// mediaNameRE is the name of a stored upload (media.go in package server stores them).
var mediaNameRE = regexp.MustCompile(`^[0-9a-f]{32}\.(png|jpg|gif)$`)

// MediaURL is the public URL of a stored file.
func (s *App) MediaURL(name string) string {
	if name == "" {
		return ""
	}
	return s.Base + "/media/" + name
}

// attachmentOf is an upload as a post carries it.
func (s *App) attachmentOf(m *store.Media) store.Attachment {
	a := store.Attachment{Type: "Document", MediaType: m.MediaType, URL: s.MediaURL(m.Name), Name: m.Description,
		Blurhash: m.Blurhash, Width: m.Width, Height: m.Height, PreviewURL: s.MediaURL(m.ThumbName)}
	if m.FocusX != 0 || m.FocusY != 0 {
		a.FocalPoint = []float64{m.FocusX, m.FocusY}
	}
	return a
}

// removeFiles deletes media files after their rows are gone.
func (s *App) removeFiles(names []string) {
	for _, n := range names {
		if mediaNameRE.MatchString(n) {
			if err := os.Remove(filepath.Join(s.cfg.MediaDir, n)); err != nil && !errors.Is(err, os.ErrNotExist) {
				s.log.Warn("remove media file", "name", n, "err", err)
			}
		}
	}
}
