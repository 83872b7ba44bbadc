package mastodon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Bool reads a boolean request parameter as Mastodon (Rails' ActiveModel::Type::Boolean) does:
// "0", "f", "F", "false", "FALSE", "off" and "OFF" are false, and so is an absent or empty
// parameter (which Rails reads as nil); anything else ("1", "true", "on", "yes", even "False") is
// true. See BoolParam to tell an empty parameter from a false one.
func Bool(v string) bool {
	b, _ := BoolParam(v)
	return b
}

// BoolParam is Bool that also reports whether v holds a value at all: an empty v is nil in Rails,
// so the setting it would change keeps its default.
func BoolParam(v string) (value, ok bool) {
	switch v {
	case "":
		return false, false
	case "0", "f", "F", "false", "FALSE", "off", "OFF":
		return false, true
	}
	return true, true
}

// Boolean is a boolean in a JSON request body read as Rails reads it: true and false, numbers
// (0 is false, any other true) and strings as Bool; an empty string is false. Use *Boolean to
// tell an absent or null member from a false one.
type Boolean bool

// UnmarshalJSON implements json.Unmarshaler.
func (b *Boolean) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	switch {
	case bytes.Equal(data, []byte("null")):
		return nil // as for any other type: the value stays as it was
	case len(data) > 0 && data[0] == '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*b = Boolean(Bool(s))
		return nil
	case bytes.Equal(data, []byte("true")):
		*b = true
		return nil
	case bytes.Equal(data, []byte("false")):
		*b = false
		return nil
	}
	f, err := strconv.ParseFloat(string(data), 64)
	if err != nil {
		return fmt.Errorf("mastodon: %.40s is not a boolean", data)
	}
	*b = f != 0
	return nil
}
