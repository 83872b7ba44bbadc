package mastodon

import (
	"encoding/json"
	"testing"
)

// Request booleans read as Rails' ActiveModel::Type::Boolean casts them: its FALSE_VALUES are
// false, nil and "" are no value, and everything else is true ("sensitive=1" blurs the image).
func TestBool(t *testing.T) {
	for _, tc := range []struct {
		in        string
		value, ok bool
	}{
		{"", false, false},
		{"0", false, true},
		{"f", false, true},
		{"F", false, true},
		{"false", false, true},
		{"FALSE", false, true},
		{"off", false, true},
		{"OFF", false, true},
		{"1", true, true},
		{"t", true, true},
		{"true", true, true},
		{"TRUE", true, true},
		{"on", true, true},
		{"yes", true, true},
		{"no", true, true},    // not among Rails' false values
		{"False", true, true}, // Rails compares case-sensitively
		{"0.0", true, true},   // a string, not the number 0
		{" 0", true, true},
	} {
		value, ok := BoolParam(tc.in)
		if value != tc.value || ok != tc.ok {
			t.Errorf("BoolParam(%q) = %v, %v; want %v, %v", tc.in, value, ok, tc.value, tc.ok)
		}
		if got := Bool(tc.in); got != tc.value {
			t.Errorf("Bool(%q) = %v, want %v", tc.in, got, tc.value)
		}
	}
}

// In a JSON body, booleans, numbers and strings read as Rails reads them; an absent or null
// member leaves a *Boolean nil.
func TestBooleanJSON(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		body string
		want *bool
		err  bool
	}{
		{`{}`, nil, false},
		{`{"sensitive": null}`, nil, false},
		{`{"sensitive": true}`, &yes, false},
		{`{"sensitive": false}`, &no, false},
		{`{"sensitive": 1}`, &yes, false},
		{`{"sensitive": 0}`, &no, false},
		{`{"sensitive": 0.0}`, &no, false},
		{`{"sensitive": 2}`, &yes, false},
		{`{"sensitive": "1"}`, &yes, false},
		{`{"sensitive": "true"}`, &yes, false},
		{`{"sensitive": "on"}`, &yes, false},
		{`{"sensitive": "0"}`, &no, false},
		{`{"sensitive": "false"}`, &no, false},
		{`{"sensitive": "off"}`, &no, false},
		{`{"sensitive": ""}`, &no, false},
		{`{"sensitive": [true]}`, nil, true},
		{`{"sensitive": {}}`, nil, true},
	} {
		var v struct {
			Sensitive *Boolean `json:"sensitive"`
		}
		err := json.Unmarshal([]byte(tc.body), &v)
		if (err != nil) != tc.err {
			t.Errorf("%s: err = %v, want error %v", tc.body, err, tc.err)
			continue
		}
		if tc.err {
			continue
		}
		switch {
		case tc.want == nil && v.Sensitive != nil:
			t.Errorf("%s: sensitive = %v, want nil", tc.body, *v.Sensitive)
		case tc.want != nil && (v.Sensitive == nil || bool(*v.Sensitive) != *tc.want):
			t.Errorf("%s: sensitive = %v, want %v", tc.body, v.Sensitive, *tc.want)
		}
	}
}
