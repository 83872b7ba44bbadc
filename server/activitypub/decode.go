package activitypub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
)

// Limits on documents Roost accepts from peers.
const (
	// MaxBodyBytes is the largest document accepted, Mastodon's limit for JSON-LD documents.
	MaxBodyBytes = 1 << 20
	// MaxDepth is the deepest nesting of objects and arrays accepted; the top-level object is 1.
	MaxDepth = 32
	// MaxArray is the longest array accepted anywhere in a document.
	MaxArray = 1000
	// MaxTags is how many tag entries (mentions, hashtags, emoji) are kept; later ones are dropped.
	MaxTags = 100
	// MaxAttachments is how many attachments of a post are kept; later ones are dropped.
	MaxAttachments = 20
	// MaxPollOptions is how many options of a Question are kept; later ones are dropped.
	MaxPollOptions = 100
	// MaxProfileFields is how many actor attachments (profile fields) are kept, Mastodon's limit.
	MaxProfileFields = 50
	// MaxAlsoKnownAs is how many alsoKnownAs entries are kept, Mastodon's limit.
	MaxAlsoKnownAs = 256
)

// Errors returned by CheckShape and the Decode functions, always wrapped with a reason.
var (
	// ErrMalformed means the document is not a single well-formed JSON object, or lacks a
	// required property.
	ErrMalformed = errors.New("malformed activitypub document")
	// ErrTooLarge means the document, or an array in it, exceeds MaxBodyBytes or MaxArray.
	ErrTooLarge = errors.New("activitypub document too large")
	// ErrTooDeep means the document nests deeper than MaxDepth.
	ErrTooDeep = errors.New("activitypub document too deep")
)

// CheckShape scans a document without building it in memory and reports whether it is one JSON
// object of at most MaxBodyBytes, nesting at most MaxDepth, with no array longer than MaxArray and
// nothing after it but whitespace. Run it before decoding anything a peer sent.
func CheckShape(b []byte) error {
	if len(b) > MaxBodyBytes {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(b), MaxBodyBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	// stack holds, per open container, the element count of an array or -1 for an object.
	var stack []int
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if len(stack) > 0 {
				return fmt.Errorf("%w: unexpected end", ErrMalformed)
			}
			return fmt.Errorf("%w: empty document", ErrMalformed)
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		if len(stack) == 0 && tok != json.Delim('{') {
			return fmt.Errorf("%w: not a JSON object", ErrMalformed)
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				break
			}
			continue
		}
		// A value (or an object key, which never lands in an array) inside an array.
		if n := len(stack); n > 0 && stack[n-1] >= 0 {
			stack[n-1]++
			if stack[n-1] > MaxArray {
				return fmt.Errorf("%w: array longer than %d", ErrTooLarge, MaxArray)
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, -1)
		case json.Delim('['):
			stack = append(stack, 0)
		}
		if len(stack) > MaxDepth {
			return fmt.Errorf("%w: nested deeper than %d", ErrTooDeep, MaxDepth)
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: trailing data after the object", ErrMalformed)
	}
	return nil
}

// DecodeActivity checks the shape of a document and decodes it as an activity. It requires an
// absolute http(s) id, a type and an actor with an absolute http(s) id.
func DecodeActivity(b []byte) (*Activity, error) {
	var a Activity
	if err := decode(b, &a); err != nil {
		return nil, err
	}
	switch {
	case !isHTTPURL(a.ID):
		return nil, fmt.Errorf("%w: activity id %q is not an http(s) URL", ErrMalformed, a.ID)
	case a.Type == "":
		return nil, fmt.Errorf("%w: activity has no type", ErrMalformed)
	case !isHTTPURL(a.Actor.ID):
		return nil, fmt.Errorf("%w: activity actor %q is not an http(s) URL", ErrMalformed, a.Actor.ID)
	}
	return &a, nil
}

// DecodeObject checks the shape of a document and decodes it as an object. It requires an
// absolute http(s) id and a type.
func DecodeObject(b []byte) (*Object, error) {
	var o Object
	if err := decode(b, &o); err != nil {
		return nil, err
	}
	switch {
	case !isHTTPURL(o.ID):
		return nil, fmt.Errorf("%w: object id %q is not an http(s) URL", ErrMalformed, o.ID)
	case o.Type == "":
		return nil, fmt.Errorf("%w: object has no type", ErrMalformed)
	}
	return &o, nil
}

// DecodeActor checks the shape of a document and decodes it as an actor. It requires an absolute
// http(s) id, an actor type (see IsActorType) and an absolute http(s) inbox.
func DecodeActor(b []byte) (*Actor, error) {
	var a Actor
	if err := decode(b, &a); err != nil {
		return nil, err
	}
	switch {
	case !isHTTPURL(a.ID):
		return nil, fmt.Errorf("%w: actor id %q is not an http(s) URL", ErrMalformed, a.ID)
	case !IsActorType(a.Type):
		return nil, fmt.Errorf("%w: type %q is not an actor type", ErrMalformed, a.Type)
	case !isHTTPURL(a.Inbox):
		return nil, fmt.Errorf("%w: actor inbox %q is not an http(s) URL", ErrMalformed, a.Inbox)
	}
	return &a, nil
}

// DecodeCollection checks the shape of a document and decodes it as a collection or collection
// page. It requires a type ending in Collection or CollectionPage.
func DecodeCollection(b []byte) (*RemoteCollection, error) {
	var c RemoteCollection
	if err := decode(b, &c); err != nil {
		return nil, err
	}
	switch c.Type {
	case "Collection", "OrderedCollection", "CollectionPage", "OrderedCollectionPage":
		return &c, nil
	}
	return nil, fmt.Errorf("%w: type %q is not a collection", ErrMalformed, c.Type)
}

func decode(b []byte, v any) error {
	if err := CheckShape(b); err != nil {
		return err
	}
	if err := unmarshalTolerant(b, v); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}

// IsActorType reports whether t is an ActivityStreams actor type.
func IsActorType(t string) bool {
	switch t {
	case "Person", "Service", "Application", "Group", "Organization":
		return true
	}
	return false
}

// IsPostType reports whether t is an object type Roost shows as a post: Mastodon's Note,
// Article, Question and Page, and the Image, Video, Audio and Event that Pixelfed, PeerTube,
// Funkwhale and Mobilizon send.
func IsPostType(t string) bool {
	switch t {
	case "Note", "Article", "Question", "Page", "Image", "Video", "Audio", "Event":
		return true
	}
	return false
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}
