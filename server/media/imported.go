package media

import (
	"bytes"
	"context"
	"image"
	"net/http"

	"roost/store"
)

// SaveImported stores an image of the owner's brought from another server's archive. It is
// checked and processed as an upload is (Save), but the file is kept byte for byte when
// processing would only re-encode it: a PNG, a GIF, or a JPEG without EXIF metadata, that needs no
// scaling. So an export imported elsewhere carries the very same files.
func (l *Library) SaveImported(ctx context.Context, data []byte, description string) (*store.Media, error) {
	if l.dir == "" {
		return nil, ErrNotConfigured
	}
	p, err := l.proc.Process(ctx, bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if mt := http.DetectContentType(data); keepable(data, mt, p) {
		p.Full, p.FullType = data, mt
	}
	return l.save(ctx, p, description)
}

// keepable reports whether data, processed into p, may be stored as it is.
func keepable(data []byte, mt string, p *Image) bool {
	if typeExt[mt] == "" || p.FullType == "image/gif" && mt != "image/gif" {
		return false
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width != p.Width || cfg.Height != p.Height {
		return false
	}
	if mt == "image/jpeg" && bytes.Contains(data[:min(len(data), 1<<16)], []byte("Exif\x00\x00")) {
		return false // the camera's metadata (place, device) goes, as with an upload
	}
	return true
}
