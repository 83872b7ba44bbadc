package app

import (
	"roost/store"
)

// MaxAttachments is how many images one post may carry, as on Mastodon.
const MaxAttachments = 4

// MediaURL is the public URL of a stored file.
func (s *App) MediaURL(name string) string { return s.Media.URL(name) }

// attachmentOf is an upload as a post carries it.
func (s *App) attachmentOf(m *store.Media) store.Attachment { return s.Media.Attachment(m) }

// removeFiles deletes media files after their rows are gone.
func (s *App) removeFiles(names []string) { s.Media.Remove(names) }
