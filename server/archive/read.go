package archive

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
)

// Public is the ActivityStreams collection that addresses everyone.
const Public = "https://www.w3.org/ns/activitystreams#Public"

// ErrNotArchive is returned by Open for a zip without outbox.json.
var ErrNotArchive = errors.New("not an account archive: no outbox.json in it")

// Reader reads an archive zip from a file, entry by entry: nothing is loaded whole, the posts
// of outbox.json are decoded one at a time.
type Reader struct {
	z     *zip.Reader
	files map[string]*zip.File
}

// Open opens the archive zip in r, of size bytes.
func Open(r io.ReaderAt, size int64) (*Reader, error) {
	z, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("open archive: %w", err)
	}
	ar := &Reader{z: z, files: make(map[string]*zip.File, len(z.File))}
	for _, f := range z.File {
		ar.files[strings.TrimPrefix(path.Clean("/"+f.Name), "/")] = f
	}
	if ar.files["outbox.json"] == nil {
		return nil, ErrNotArchive
	}
	return ar, nil
}

// File opens the archive's entry name ("media_attachments/files/.../x.png"); a name that
// climbs out of the archive or is missing is fs.ErrNotExist-like: ok is false.
func (ar *Reader) File(name string) (rc io.ReadCloser, size int64, ok bool) {
	f := ar.files[strings.TrimPrefix(path.Clean("/"+name), "/")]
	if f == nil {
		return nil, 0, false
	}
	rc, err := f.Open()
	if err != nil {
		return nil, 0, false
	}
	return rc, int64(f.UncompressedSize64), true
}

// Actor is what Roost takes from actor.json.
type Actor struct {
	ID                string `json:"id"`
	PreferredUsername string `json:"preferredUsername"`
	Name              string `json:"name"`
	Summary           string `json:"summary"`
	Icon              *Image `json:"icon"`
	Image             *Image `json:"image"`
	Followers         string `json:"followers"`
	Attachment        []struct {
		Type  string `json:"type"`
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"attachment"`
}

// Image is an actor's avatar or header: url is the entry's name in the archive.
type Image struct {
	MediaType string `json:"mediaType"`
	URL       string `json:"url"`
}

// Actor reads actor.json (nil when the archive has none).
func (ar *Reader) Actor() (*Actor, error) {
	rc, _, ok := ar.File("actor.json")
	if !ok {
		return nil, nil
	}
	defer rc.Close()
	var a Actor
	if err := json.NewDecoder(io.LimitReader(rc, 16<<20)).Decode(&a); err != nil {
		return nil, fmt.Errorf("read actor.json: %w", err)
	}
	return &a, nil
}

// Collection reads the orderedItems of likes.json or bookmarks.json: the IRIs of the posts
// (nil when the archive has no such file).
func (ar *Reader) Collection(name string) ([]string, error) {
	rc, _, ok := ar.File(name)
	if !ok {
		return nil, nil
	}
	defer rc.Close()
	var out []string
	err := eachItem(rc, func(dec *json.Decoder) error {
		var v any
		if err := dec.Decode(&v); err != nil {
			return err
		}
		if s := idOf(v); s != "" {
			out = append(out, s)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return out, nil
}

// Post is one of the owner's posts read from outbox.json.
type Post struct {
	ID          string // the original IRI
	URL         string // the original page
	Published   time.Time
	Summary     string // content warning
	Sensitive   bool
	Content     string // HTML as the original server rendered it
	Language    string
	Visibility  string // public, unlisted, private or direct
	InReplyTo   string
	To, CC      []string
	Tags        []Tag
	Attachments []Attachment
}

// Tag is a hashtag or mention of a Post.
type Tag struct {
	Type string `json:"type"`
	Name string `json:"name"`
	Href string `json:"href"`
}

// Attachment is a media file of a Post: Path is its entry in the archive.
type Attachment struct {
	Path        string
	MediaType   string
	Description string
	Blurhash    string
	Width       int
	Height      int
}

// note is the object of a Create in outbox.json.
type note struct {
	ID         string            `json:"id"`
	Type       string            `json:"type"`
	URL        any               `json:"url"`
	Published  string            `json:"published"`
	Summary    *string           `json:"summary"`
	Sensitive  bool              `json:"sensitive"`
	Content    string            `json:"content"`
	ContentMap map[string]string `json:"contentMap"`
	InReplyTo  any               `json:"inReplyTo"`
	To         strs              `json:"to"`
	CC         strs              `json:"cc"`
	Tag        []Tag             `json:"tag"`
	Attachment []struct {
		MediaType string `json:"mediaType"`
		URL       any    `json:"url"`
		Name      string `json:"name"`
		Blurhash  string `json:"blurhash"`
		Width     int    `json:"width"`
		Height    int    `json:"height"`
	} `json:"attachment"`
}

// strs reads a string or an array of strings.
type strs []string

func (s *strs) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*s = strs{one}
		return nil
	}
	var many []string
	err := json.Unmarshal(b, &many)
	*s = many
	return err
}

// Posts calls fn with each post of outbox.json, in the file's order, decoding one at a time.
// Boosts (Announce) and anything but a Create of a Note or Question are skipped. followers is the
// actor's followers collection, which tells a followers-only post from a direct one.
func (ar *Reader) Posts(followers string, fn func(*Post) error) error {
	rc, _, _ := ar.File("outbox.json")
	if rc == nil {
		return ErrNotArchive
	}
	defer rc.Close()
	return eachItem(rc, func(dec *json.Decoder) error {
		var act struct {
			Type   string          `json:"type"`
			Object json.RawMessage `json:"object"`
		}
		if err := dec.Decode(&act); err != nil {
			return err
		}
		if act.Type != "Create" || len(act.Object) == 0 || act.Object[0] != '{' {
			return nil
		}
		var n note
		if err := json.Unmarshal(act.Object, &n); err != nil {
			return fmt.Errorf("a post: %w", err)
		}
		if n.Type != "Note" && n.Type != "Question" && n.Type != "Article" {
			return nil
		}
		p := &Post{ID: n.ID, URL: idOf(n.URL), Sensitive: n.Sensitive, Content: n.Content,
			InReplyTo: idOf(n.InReplyTo), To: n.To, CC: n.CC, Tags: n.Tag}
		if p.URL == "" {
			p.URL = p.ID
		}
		if n.Summary != nil {
			p.Summary = *n.Summary
		}
		for lang := range n.ContentMap {
			p.Language = lang
		}
		p.Published, _ = time.Parse(time.RFC3339, n.Published)
		p.Visibility = visibility(n.To, n.CC, followers)
		for _, a := range n.Attachment {
			p.Attachments = append(p.Attachments, Attachment{Path: idOf(a.URL), MediaType: a.MediaType,
				Description: a.Name, Blurhash: a.Blurhash, Width: a.Width, Height: a.Height})
		}
		return fn(p)
	})
}

// visibility tells Mastodon's visibility from a post's addressing.
func visibility(to, cc []string, followers string) string {
	has := func(l []string, v string) bool {
		for _, x := range l {
			if x == v || (v == Public && (x == "as:Public" || x == "Public")) {
				return true
			}
		}
		return false
	}
	switch {
	case has(to, Public):
		return "public"
	case has(cc, Public):
		return "unlisted"
	case followers != "" && (has(to, followers) || has(cc, followers)):
		return "private"
	}
	for _, x := range append(append([]string{}, to...), cc...) {
		if strings.HasSuffix(x, "/followers") {
			return "private"
		}
	}
	return "direct"
}

// eachItem walks a collection document to its orderedItems (or items) array and calls fn for
// each element, with the decoder positioned on it; fn must decode exactly one value.
func eachItem(r io.Reader, fn func(*json.Decoder) error) error {
	dec := json.NewDecoder(r)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("not a JSON object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := t.(string)
		if key != "orderedItems" && key != "items" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return fmt.Errorf("%s is not an array", key)
		}
		for dec.More() {
			if err := fn(dec); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
	}
	return nil
}

// idOf returns the id of an IRI given as a string, an object with an id or href, or a list.
func idOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		for _, k := range []string{"id", "href", "url"} {
			if s, ok := x[k].(string); ok {
				return s
			}
		}
	case []any:
		if len(x) > 0 {
			return idOf(x[0])
		}
	}
	return ""
}
