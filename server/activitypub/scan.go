package activitypub

import (
	"encoding/json"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// scanDocument checks a document in one pass: at most MaxBodyBytes, one JSON object with nothing
// after it but whitespace, nesting at most MaxDepth, no array longer than MaxArray, and the
// syntax exactly as encoding/json accepts it (FuzzCheckShape compares the two). It builds
// nothing, so a hostile document costs no more than reading it. With member non-nil it calls
// member for each member of the top-level object, in order, with the name as written (quotes
// and escapes included; see memberIs) and the value's bytes, once the whole document has passed.
//
// It exists because encoding/json reads a document twice before decoding any of it (once to
// check it, once to skip what the target has no field for), at about 100 MB/s here: an inbox
// POST needs four properties of the activity, and this finds them in a tenth of that time. It
// carries part of the inbox target in BENCHMARKS.md (4,000 signed POSTs a second, p99 under
// 50 ms, on 2 vCPUs): DecodeEnvelope took 42-59 us with encoding/json and 15-19 us with it.
// BenchmarkCheckShape against BenchmarkCheckShapeTokens (encoding/json's tokenizer) and
// BenchmarkDecodeEnvelope measure it alone, BenchmarkLoadInbox in the server; FuzzCheckShape and
// FuzzUnmarshalValid keep what it accepts equal to what encoding/json accepts. Measure both
// before replacing it with encoding/json (or encoding/json/v2).
func scanDocument(b []byte, member func(name, value []byte) error) error {
	if len(b) > MaxBodyBytes {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(b), MaxBodyBytes)
	}
	s := scanner{b: b}
	s.skipSpace()
	switch {
	case s.i == len(b):
		return fmt.Errorf("%w: empty document", ErrMalformed)
	case b[s.i] != '{':
		return fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	if member != nil {
		s.members = make([][2][]byte, 0, 16)
	}
	if err := s.value(0); err != nil {
		return err
	}
	if s.skipSpace(); s.i < len(b) {
		return s.unexpected()
	}
	for _, m := range s.members {
		if err := member(m[0], m[1]); err != nil {
			return err
		}
	}
	return nil
}

// scanner is scanDocument's state: the document, the offset of the next byte, and the
// top-level members seen so far when they are wanted (members non-nil).
type scanner struct {
	b       []byte
	i       int
	members [][2][]byte
}

func (s *scanner) skipSpace() { s.i = skipSpace(s.b, s.i) }

// value reads one value starting at s.i (after any whitespace) inside depth open containers.
func (s *scanner) value(depth int) error {
	s.skipSpace()
	if s.i == len(s.b) {
		return s.unexpected()
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(depth + 1)
	case c == '[':
		return s.array(depth + 1)
	case c == '"':
		return s.string()
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return s.unexpected()
}

func (s *scanner) object(depth int) error {
	if depth > MaxDepth {
		return fmt.Errorf("%w: nested deeper than %d", ErrTooDeep, MaxDepth)
	}
	s.i++ // {
	if s.skipSpace(); s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return nil
	}
	for {
		if s.skipSpace(); s.i == len(s.b) || s.b[s.i] != '"' {
			return s.unexpected()
		}
		name := s.i
		if err := s.string(); err != nil {
			return err
		}
		nameEnd := s.i
		if s.skipSpace(); s.i == len(s.b) || s.b[s.i] != ':' {
			return s.unexpected()
		}
		s.i++
		s.skipSpace()
		start := s.i
		if err := s.value(depth); err != nil {
			return err
		}
		if depth == 1 && s.members != nil {
			s.members = append(s.members, [2][]byte{s.b[name:nameEnd], s.b[start:s.i]})
		}
		if end, err := s.next('}'); end || err != nil {
			return err
		}
	}
}

func (s *scanner) array(depth int) error {
	if depth > MaxDepth {
		return fmt.Errorf("%w: nested deeper than %d", ErrTooDeep, MaxDepth)
	}
	s.i++ // [
	if s.skipSpace(); s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return nil
	}
	for n := 1; ; n++ {
		if n > MaxArray {
			return fmt.Errorf("%w: array longer than %d", ErrTooLarge, MaxArray)
		}
		if err := s.value(depth); err != nil {
			return err
		}
		if end, err := s.next(']'); end || err != nil {
			return err
		}
	}
}

// next reads what follows a member or an element: a comma, or the container's closing byte, in
// which case end is true.
func (s *scanner) next(closing byte) (end bool, err error) {
	if s.skipSpace(); s.i == len(s.b) {
		return false, s.unexpected()
	}
	switch s.b[s.i] {
	case ',':
		s.i++
		return false, nil
	case closing:
		s.i++
		return true, nil
	}
	return false, s.unexpected()
}

// string reads a string: any byte from 0x20 up but '"' and '\', and the escapes of RFC 8259. Like
// encoding/json it accepts invalid UTF-8, which decoding turns into U+FFFD.
func (s *scanner) string() error {
	b := s.b
	for i := s.i + 1; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			return nil
		case c == '\\':
			if i++; i == len(b) {
				s.i = i
				return s.unexpected()
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				for range 4 {
					if i++; i == len(b) || !isHex(b[i]) {
						s.i = i
						return s.unexpected()
					}
				}
			default:
				s.i = i
				return s.unexpected()
			}
		case c < 0x20:
			s.i = i
			return s.unexpected()
		}
	}
	s.i = len(b)
	return s.unexpected()
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?; what follows it is the caller's.
func (s *scanner) number() error {
	b := s.b
	digits := func() bool {
		start := s.i
		for s.i < len(b) && '0' <= b[s.i] && b[s.i] <= '9' {
			s.i++
		}
		return s.i > start
	}
	if b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(b) && b[s.i] == '0':
		s.i++
	case !digits():
		return s.unexpected()
	}
	if s.i < len(b) && b[s.i] == '.' {
		if s.i++; !digits() {
			return s.unexpected()
		}
	}
	if s.i < len(b) && (b[s.i] == 'e' || b[s.i] == 'E') {
		if s.i++; s.i < len(b) && (b[s.i] == '+' || b[s.i] == '-') {
			s.i++
		}
		if !digits() {
			return s.unexpected()
		}
	}
	return nil
}

func (s *scanner) literal(word string) error {
	for k := range len(word) {
		if s.i == len(s.b) || s.b[s.i] != word[k] {
			return s.unexpected()
		}
		s.i++
	}
	return nil
}

// unexpected is the syntax error at s.i, worded as encoding/json words its own.
func (s *scanner) unexpected() error {
	if s.i >= len(s.b) {
		return fmt.Errorf("%w: unexpected end of JSON input", ErrMalformed)
	}
	return fmt.Errorf("%w: invalid character %q at offset %d", ErrMalformed, s.b[s.i], s.i)
}

// memberIs reports whether a member name, as scanDocument passed it, selects the struct field
// tagged field (lower-case ASCII) as encoding/json selects fields: after unescaping, and
// ignoring case by Unicode simple folding, so that "ID", "Id" and "\u0069d" are all "id". A
// decoder that reads a property some other way than the one that decodes the whole activity
// later could be shown one actor and store another.
func memberIs(name []byte, field string) bool {
	raw := name[1 : len(name)-1]
	plain := true
	for _, c := range raw {
		if c == '\\' || c >= utf8.RuneSelf {
			plain = false
			break
		}
	}
	if plain {
		if len(raw) != len(field) {
			return false
		}
		for k, c := range raw {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != field[k] {
				return false
			}
		}
		return true
	}
	var key string
	if json.Unmarshal(name, &key) != nil {
		return false
	}
	// encoding/json folds ASCII to upper case and any other rune to the smallest of its fold
	// set, then compares bytes.
	i := 0
	for _, r := range key {
		if r < utf8.RuneSelf {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
		} else {
			r = smallestFold(r)
			if 'A' <= r && r <= 'Z' { // a non-ASCII rune that folds to ASCII, as K (Kelvin) does
				r += 'a' - 'A'
			} else {
				return false
			}
		}
		if i == len(field) || byte(r) != field[i] {
			return false
		}
		i++
	}
	return i == len(field)
}

// smallestFold returns the smallest rune of r's Unicode simple fold set.
func smallestFold(r rune) rune {
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}
