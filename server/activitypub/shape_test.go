package activitypub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// FuzzCheckShape compares CheckShape with checkShapeTokens, a slow but plain statement of the same
// rules on encoding/json's tokenizer. On well-formed JSON both must give the same kind of answer;
// on anything else both must refuse.
func FuzzCheckShape(f *testing.F) {
	for _, name := range []string{"mastodon_create_note.json", "misskey_question.json", "peertube_video.json"} {
		f.Add(readTestdata(f, name))
	}
	for _, s := range []string{`{"a":"\"[[[","b":["\\",1]}`, `{"a":[[],[{}],""]}`, " {}\n", `{"a":"\u005b"}`,
		`{"a":` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + `}`,
		`{"a":[` + strings.Repeat(`1,`, MaxArray-1) + `1]}`, `{"a":"x\`, `[1]`, `{"a":1}]`} {
		f.Add([]byte(s))
	}
	kind := func(err error) error {
		for _, k := range []error{ErrTooLarge, ErrTooDeep, ErrMalformed} {
			if errors.Is(err, k) {
				return k
			}
		}
		return err
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, want := CheckShape(b), checkShapeTokens(b)
		if json.Valid(b) {
			if kind(got) != kind(want) {
				t.Fatalf("CheckShape = %v, the tokenizer says %v", got, want)
			}
		} else if got == nil || want == nil {
			t.Fatalf("invalid JSON: CheckShape = %v, the tokenizer says %v", got, want)
		}
	})
}

func BenchmarkCheckShape(b *testing.B) {
	doc := readTestdata(b, "mastodon_create_note.json")
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if err := CheckShape(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// checkShapeTokens is CheckShape written on json.Decoder.Token: about 25 times slower, kept as
// the fuzzer's reference.
func checkShapeTokens(b []byte) error {
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

func BenchmarkCheckShapeTokens(b *testing.B) {
	doc := readTestdata(b, "mastodon_create_note.json")
	for b.Loop() {
		checkShapeTokens(doc)
	}
}
