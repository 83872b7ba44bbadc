package archive

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Context is the @context Mastodon's archive documents carry.
var Context = []any{"https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"}

// Writer writes an archive zip as it goes: every entry is streamed to the underlying writer, so
// an export needs no more memory than one post.
type Writer struct {
	z       *zip.Writer
	outbox  io.Writer
	items   int
	modTime time.Time
}

// NewWriter starts an archive on w, its entries dated now.
func NewWriter(w io.Writer, now time.Time) *Writer {
	return &Writer{z: zip.NewWriter(w), modTime: now}
}

// Create starts the entry name; whatever is written to the result until the next Create is its
// content. Media (already compressed) are stored as they are.
func (w *Writer) Create(name string) (io.Writer, error) {
	method := zip.Deflate
	switch ext := name[max(len(name)-4, 0):]; ext {
	case ".png", ".jpg", "jpeg", ".gif", "webp", ".mp4":
		method = zip.Store
	}
	return w.z.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: w.modTime})
}

// JSON writes the entry name holding v as JSON.
func (w *Writer) JSON(name string, v any) error {
	f, err := w.Create(name)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// Collection writes likes.json or bookmarks.json: an OrderedCollection of IRIs.
func (w *Writer) Collection(name string, iris []string) error {
	if iris == nil {
		iris = []string{}
	}
	return w.JSON(name, map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": name,
		"type": "OrderedCollection", "totalItems": len(iris), "orderedItems": iris})
}

// BeginOutbox starts outbox.json with total activities; Activity adds each, EndOutbox closes it.
func (w *Writer) BeginOutbox(total int) error {
	f, err := w.Create("outbox.json")
	if err != nil {
		return err
	}
	w.outbox, w.items = f, 0
	head, _ := json.Marshal(Context)
	_, err = fmt.Fprintf(f, `{"@context":%s,"id":"outbox.json","type":"OrderedCollection","totalItems":%d,"orderedItems":[`, head, total)
	return err
}

// Activity adds one activity (a Create with its object) to outbox.json.
func (w *Writer) Activity(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if w.items > 0 {
		if _, err := io.WriteString(w.outbox, ",\n"); err != nil {
			return err
		}
	}
	w.items++
	_, err = w.outbox.Write(b)
	return err
}

// EndOutbox closes outbox.json.
func (w *Writer) EndOutbox() error {
	_, err := io.WriteString(w.outbox, "]}\n")
	w.outbox = nil
	return err
}

// Close finishes the zip (its central directory); it does not close the underlying writer.
func (w *Writer) Close() error { return w.z.Close() }
