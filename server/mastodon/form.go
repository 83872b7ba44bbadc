package mastodon

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"encoding/json"
	"fmt"
	"io"
	"mime"
)

// BodyLimit and MultipartLimit cap Mastodon API request bodies.
const (
	BodyLimit      = 1 << 20
	MultipartLimit = 40 << 20
)

// FormBool reads a boolean parameter as Rails does (BoolParam); ok is false when it is
// absent or empty.
func FormBool(f url.Values, k string) (v, ok bool) { return BoolParam(f.Get(k)) }

// FormObjects reads a list of objects sent Rails-style: "key[0][field]" (indexed forms, and JSON
// arrays or objects as ReadForm flattens them), in index order, then "key[][field]" (repeated
// fields, zipped by position).
func FormObjects(f url.Values, key string) []map[string]string {
	indexed := map[string]map[string]string{}
	var zipped []map[string]string
	for k, vs := range f {
		rest, ok := strings.CutPrefix(k, key+"[")
		if !ok || len(vs) == 0 {
			continue
		}
		idx, field, ok := strings.Cut(rest, "][")
		if !ok {
			continue
		}
		field = strings.TrimSuffix(field, "]")
		if idx == "" {
			for i, v := range vs {
				for len(zipped) <= i {
					zipped = append(zipped, map[string]string{})
				}
				zipped[i][field] = v
			}
			continue
		}
		if indexed[idx] == nil {
			indexed[idx] = map[string]string{}
		}
		indexed[idx][field] = vs[0]
	}
	keys := make([]string, 0, len(indexed))
	for k := range indexed {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		x, errA := strconv.Atoi(a)
		y, errB := strconv.Atoi(b)
		if errA == nil && errB == nil {
			return x - y
		}
		return strings.Compare(a, b)
	})
	var out []map[string]string
	for _, k := range keys {
		out = append(out, indexed[k])
	}
	return append(out, zipped...)
}

func HasFormPrefix(f url.Values, prefix string) bool {
	for k := range f {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

// ReadForm parses a Mastodon API request body whatever its type: a JSON object (nested objects
// and arrays flattened to Rails-style keys: "media_ids[]", "poll[options][]",
// "fields_attributes[0][name]"), a URL-encoded or multipart form (its files stay in
// r.MultipartForm), or an empty body; then the query string. Body values come first, so Get
// prefers them. Bodies are capped at 1 MiB, multipart ones at 40 MiB.
func ReadForm(r *http.Request) (url.Values, error) {
	out := url.Values{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case ct == "multipart/form-data":
		if r.MultipartForm == nil {
			r.Body = http.MaxBytesReader(nil, r.Body, MultipartLimit)
			if err := r.ParseMultipartForm(8 << 20); err != nil {
				return nil, fmt.Errorf("read multipart body: %w", err)
			}
		}
		for k, vs := range r.MultipartForm.Value {
			out[k] = append(out[k], vs...)
		}
	case ct == "application/json" || strings.HasSuffix(ct, "+json"):
		body, err := readLimited(r.Body, BodyLimit)
		if err != nil {
			return nil, err
		}
		if len(strings.TrimSpace(string(body))) > 0 {
			dec := json.NewDecoder(strings.NewReader(string(body)))
			dec.UseNumber()
			var obj map[string]any
			if err := dec.Decode(&obj); err != nil {
				return nil, fmt.Errorf("decode json body: %w", err)
			}
			flattenJSON(out, "", obj)
		}
	case ct == "application/x-www-form-urlencoded" || ct == "":
		if r.Body == nil {
			break
		}
		body, err := readLimited(r.Body, BodyLimit)
		if err != nil {
			return nil, err
		}
		vs, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, fmt.Errorf("parse form body: %w", err)
		}
		for k, v := range vs {
			out[k] = append(out[k], v...)
		}
	}
	for k, vs := range r.URL.Query() {
		out[k] = append(out[k], vs...)
	}
	return out, nil
}

// ReadSmallForm is ReadForm for a body of at most limit bytes; a longer one is an error that
// IsTooLarge recognises, found before the body is read when Content-Length announces it.
func ReadSmallForm(w http.ResponseWriter, r *http.Request, limit int64) (url.Values, error) {
	if r.ContentLength > limit {
		return nil, &http.MaxBytesError{Limit: limit}
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
	}
	return ReadForm(r)
}

// IsTooLarge reports whether err is a body over its limit.
func IsTooLarge(err error) bool {
	var tooBig *http.MaxBytesError
	return errors.As(err, &tooBig)
}

func readLimited(body io.Reader, limit int64) ([]byte, error) {
	if body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("body larger than %d bytes", limit)
	}
	return b, nil
}

// flattenJSON adds v to out under key, with the names Rails gives form parameters.
func flattenJSON(out url.Values, key string, v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if key != "" {
				k = key + "[" + k + "]"
			}
			flattenJSON(out, k, e)
		}
	case []any:
		for i, e := range v {
			switch e.(type) {
			case map[string]any, []any:
				flattenJSON(out, key+"["+strconv.Itoa(i)+"]", e)
			default:
				k := key
				if !strings.HasSuffix(k, "[]") {
					k += "[]"
				}
				flattenJSON(out, k, e)
			}
		}
	case string:
		out.Add(key, v)
	case json.Number:
		out.Add(key, v.String())
	case bool:
		out.Add(key, strconv.FormatBool(v))
	case nil:
		// null: as if absent.
	}
}

// FormList returns the values of a list parameter given as "k[]" (repeated), "k" (repeated) or
// one "k" string separated by spaces or newlines.
func FormList(f url.Values, k string) []string {
	var out []string
	for _, v := range append(f[k+"[]"], f[k]...) {
		out = append(out, strings.Fields(v)...)
	}
	return out
}
