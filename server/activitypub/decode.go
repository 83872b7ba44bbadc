package activitypub

import (
	"encoding/json"
	"errors"
	"fmt"
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
	// MaxContentBytes bounds a remote post's HTML once sanitized: a longer one (no person writes
	// one; servers that allow long posts stop at tens of thousands of characters) is kept as
	// the start of its text.
	MaxContentBytes = 100_000
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

// CheckShape reports whether a document is one JSON object of at most MaxBodyBytes, nesting at
// most MaxDepth, with no array longer than MaxArray and nothing after it but whitespace. Run it
// before decoding anything a peer sent: it reads the bytes once, stops at the first breach and
// builds nothing, so a hostile document costs no more than reading it.
func CheckShape(b []byte) error { return scanDocument(b, nil) }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// isSpace reports whether c is whitespace to JSON, which is fewer characters than to Unicode.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// DecodeActivity checks the shape of a document and decodes it as an activity. It requires an
// absolute http(s) id, a type and an actor with an absolute http(s) id.
func DecodeActivity(b []byte) (*Activity, error) {
	var a Activity
	if err := decode(b, &a); err != nil {
		return nil, err
	}
	if err := checkActivity(a.ID, a.Type, a.Actor.ID); err != nil {
		return nil, err
	}
	return &a, nil
}

func checkActivity(id, typ, actor string) error {
	switch {
	case !isHTTPURL(id):
		return fmt.Errorf("%w: activity id %q is not an http(s) URL", ErrMalformed, id)
	case typ == "":
		return fmt.Errorf("%w: activity has no type", ErrMalformed)
	case !isHTTPURL(actor):
		return fmt.Errorf("%w: activity actor %q is not an http(s) URL", ErrMalformed, actor)
	}
	return nil
}

// Envelope is what an inbox needs of an activity before it stores it: who sent what, under
// which id. Decoding it reads the document about a third as often as DecodeActivity does, which
// matters on the inbox's hot path; processing decodes the whole activity later.
type Envelope struct {
	ID   string
	Type string
	// Actor is decoded as Activity.Actor is: for an array, the first Person wins.
	Actor Ref
	// object is the object property as received, decoded only when asked for.
	object json.RawMessage
}

// ObjectID returns the IRI of the activity's object, as Activity.Object.ID would.
func (e *Envelope) ObjectID() string { return refFrom(e.object, nil).ID }

// DecodeEnvelope checks the shape of a document and decodes its envelope. It requires what
// DecodeActivity requires, and accepts exactly what DecodeActivity accepts.
func DecodeEnvelope(b []byte) (*Envelope, error) {
	var (
		id            string
		typ           flexString
		actor, object []byte
	)
	// The members are decoded in order into one variable each, as encoding/json decodes them
	// into DecodeActivity's struct: a repeated name overwrites, unless its value is of the wrong
	// JSON type, which is skipped.
	err := scanDocument(b, func(name, value []byte) error {
		var err error
		switch {
		case memberIs(name, "id"):
			err = unmarshalTolerant(value, &id)
		case memberIs(name, "type"):
			err = unmarshalTolerant(value, &typ)
		case memberIs(name, "actor"):
			actor = value
		case memberIs(name, "object"):
			object = value
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	e := &Envelope{ID: id, Type: string(typ), Actor: refFrom(actor, isPerson), object: object}
	if err := checkActivity(e.ID, e.Type, e.Actor.ID); err != nil {
		return nil, err
	}
	return e, nil
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

// decode checks the shape, then decodes b into v.
func decode(b []byte, v any) error {
	if err := CheckShape(b); err != nil {
		return err
	}
	if err := unmarshalValid(b, v); err != nil {
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
// Funkwhale and Mobilizon send, and the ChatMessage that honk and Pleroma send as a direct message.
func IsPostType(t string) bool {
	switch t {
	case "Note", "Article", "Question", "Page", "Image", "Video", "Audio", "Event", "ChatMessage":
		return true
	}
	return false
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}
