package activitypub

import (
	"bytes"
	"encoding/json"
	"errors"
)

// IRIs is a property holding zero or more IRIs. It decodes a string, an object with "id" (or
// "href", for a Link), or an array of those; any other shape decodes as empty and never fails.
// It always encodes as an array, as Mastodon does for to and cc: every peer reads arrays.
type IRIs []string

// UnmarshalJSON implements json.Unmarshaler.
func (s *IRIs) UnmarshalJSON(b []byte) error {
	*s = appendIRIs(nil, b, 0)
	return nil
}

// MarshalJSON implements json.Marshaler.
func (s IRIs) MarshalJSON() ([]byte, error) {
	if s == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]string(s))
}

// First returns the first IRI, or "" when there is none.
func (s IRIs) First() string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// Contains reports whether iri is one of s.
func (s IRIs) Contains(iri string) bool {
	for _, v := range s {
		if v == iri {
			return true
		}
	}
	return false
}

// appendIRIs appends the IRIs in b; depth stops arrays nested inside arrays.
func appendIRIs(dst []string, b []byte, depth int) []string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return dst
	}
	switch b[0] {
	case '"':
		var s string
		if json.Unmarshal(b, &s) == nil && s != "" {
			dst = append(dst, s)
		}
	case '{':
		if id := linkID(b); id != "" {
			dst = append(dst, id)
		}
	case '[':
		if depth > 0 {
			return dst
		}
		var elems []json.RawMessage
		if json.Unmarshal(b, &elems) != nil {
			return dst
		}
		for _, e := range elems {
			dst = appendIRIs(dst, e, depth+1)
		}
	}
	return dst
}

// linkID returns an embedded object's "id", or its "href" when it is a Link without an id.
func linkID(b []byte) string {
	var v struct {
		ID   flexString `json:"id"`
		Href flexString `json:"href"`
	}
	unmarshalTolerant(b, &v)
	if v.ID != "" {
		return string(v.ID)
	}
	return string(v.Href)
}

// Ref is a property that holds either an IRI or an embedded object, such as an activity's object
// or a note's inReplyTo. An array decodes as its first usable element. Raw keeps the embedded JSON
// (nil when the value was a bare IRI), so the caller can decode it once it knows the type.
type Ref struct {
	// ID is the IRI, or the embedded object's id (or a Link's href); "" for a transient object.
	ID string
	// Type is the embedded object's first type, "" for a bare IRI.
	Type string
	// Raw is the embedded object as received; nil for a bare IRI.
	Raw json.RawMessage
}

// UnmarshalJSON implements json.Unmarshaler.
func (r *Ref) UnmarshalJSON(b []byte) error {
	*r = refFrom(b, nil)
	return nil
}

// MarshalJSON implements json.Marshaler: the embedded object when there is one, else the IRI
// as a string, else null.
func (r Ref) MarshalJSON() ([]byte, error) {
	if r.Raw != nil {
		return r.Raw, nil
	}
	if r.ID == "" {
		return []byte("null"), nil
	}
	return json.Marshal(r.ID)
}

// IsZero reports whether the property is absent; it makes `omitzero` leave it out.
func (r Ref) IsZero() bool { return r.ID == "" && r.Raw == nil }

// IsEmbedded reports whether the value was an embedded object rather than a bare IRI.
func (r Ref) IsEmbedded() bool { return r.Raw != nil }

// IRI returns r as an IRI, so a Ref can be used where a plain IRI is wanted.
func (r Ref) IRI() string { return r.ID }

// Activity decodes the embedded object as an Activity, tolerantly and without checking required
// properties. It fails when the value was a bare IRI.
func (r Ref) Activity() (*Activity, error) {
	var a Activity
	if err := r.decode(&a); err != nil {
		return nil, err
	}
	return &a, nil
}

// Object decodes the embedded object as an Object, like Activity.
func (r Ref) Object() (*Object, error) {
	var o Object
	if err := r.decode(&o); err != nil {
		return nil, err
	}
	return &o, nil
}

// Actor decodes the embedded object as an Actor, like Activity.
func (r Ref) Actor() (*Actor, error) {
	var a Actor
	if err := r.decode(&a); err != nil {
		return nil, err
	}
	return &a, nil
}

// TotalItems returns the embedded collection's totalItems (a poll option's vote count, for
// instance), or 0.
func (r Ref) TotalItems() int {
	var v struct {
		TotalItems int `json:"totalItems"`
	}
	if r.Raw != nil {
		unmarshalTolerant(r.Raw, &v)
	}
	return v.TotalItems
}

func (r Ref) decode(v any) error {
	if r.Raw == nil {
		return errors.New("not an embedded object")
	}
	return unmarshalValid(r.Raw, v)
}

// Embed marshals v and returns it as an embedded Ref, for building activities such as
// Create{Note} or Accept{Follow}.
func Embed(v any) (Ref, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Ref{}, err
	}
	r := refFrom(b, nil)
	if r.Raw == nil {
		return Ref{}, errors.New("embed: not a JSON object")
	}
	return r, nil
}

// refFrom decodes a Ref. For arrays it takes the first element that prefer accepts (by embedded
// type), else the first usable element; prefer may be nil.
func refFrom(b []byte, prefer func(typ string) bool) Ref {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return Ref{}
	}
	switch b[0] {
	case '"':
		var s string
		json.Unmarshal(b, &s)
		return Ref{ID: s}
	case '{':
		var v struct {
			ID   flexString `json:"id"`
			Href flexString `json:"href"`
			Type flexString `json:"type"`
		}
		unmarshalTolerant(b, &v)
		id := string(v.ID)
		if id == "" {
			id = string(v.Href)
		}
		return Ref{ID: id, Type: string(v.Type), Raw: bytes.Clone(b)}
	case '[':
		var elems []json.RawMessage
		if json.Unmarshal(b, &elems) != nil {
			return Ref{}
		}
		var first Ref
		for _, e := range elems {
			if e = bytes.TrimSpace(e); len(e) == 0 || e[0] == '[' {
				continue
			}
			r := refFrom(e, nil)
			if r.IsZero() {
				continue
			}
			if prefer == nil || prefer(r.Type) {
				return r
			}
			if first.IsZero() {
				first = r
			}
		}
		return first
	}
	return Ref{}
}

// flexString decodes a string, the first string of an array (JSON-LD "type": ["Note"]), or an
// object's id or href; anything else is "".
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	*s = flexString(IRIs(appendIRIs(nil, b, 0)).First())
	return nil
}

// list decodes either one object or an array of objects, skipping elements that are not objects.
type list[T any] []T

func (l *list[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	var elems []json.RawMessage
	switch b[0] {
	case '{':
		elems = []json.RawMessage{b}
	case '[':
		if json.Unmarshal(b, &elems) != nil {
			return nil
		}
	default:
		*l = nil
		return nil
	}
	out := make(list[T], 0, len(elems))
	for _, e := range elems {
		if e = bytes.TrimSpace(e); len(e) == 0 || e[0] != '{' {
			continue
		}
		var v T
		unmarshalTolerant(e, &v)
		out = append(out, v)
	}
	*l = out
	return nil
}

// unmarshalTolerant is json.Unmarshal that ignores values of the wrong JSON type: encoding/json
// skips such a field, finishes decoding and reports only the first one, which is what we want.
func unmarshalTolerant(b []byte, v any) error { return ignoreTypeErrors(json.Unmarshal(b, v)) }

// ignoreTypeErrors drops the *json.UnmarshalTypeError that json.Unmarshal reports after decoding
// everything else.
func ignoreTypeErrors(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return nil
	}
	return err
}

// unmarshalValid is unmarshalTolerant for a b that is known to be one well-formed JSON value,
// such as an embedded object of a checked document. When v decodes itself (Activity, Object,
// Actor), it calls v's UnmarshalJSON as json.Unmarshal would, without json.Unmarshal's two
// passes over b first: one to check the syntax, one to find where the value ends. Those
// UnmarshalJSON methods decode through json.Unmarshal themselves, which still checks b.
func unmarshalValid(b []byte, v any) error {
	u, ok := v.(json.Unmarshaler)
	if !ok {
		return unmarshalTolerant(b, v)
	}
	b = b[skipSpace(b, 0):]
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return ignoreTypeErrors(u.UnmarshalJSON(b))
}

// URLs is the url property: decoded like IRIs (strings, Links or arrays of them), but encoded as a
// bare string when there is one, as Mastodon writes it.
type URLs []string

// UnmarshalJSON implements json.Unmarshaler.
func (s *URLs) UnmarshalJSON(b []byte) error {
	*s = appendIRIs(nil, b, 0)
	return nil
}

// MarshalJSON implements json.Marshaler.
func (s URLs) MarshalJSON() ([]byte, error) {
	if len(s) == 1 {
		return json.Marshal(s[0])
	}
	return json.Marshal([]string(s))
}

// First returns the first URL, or "" when there is none.
func (s URLs) First() string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
