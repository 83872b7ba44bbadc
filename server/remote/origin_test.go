package remote

import (
	"net/url"
	"testing"
)

func TestOrigin(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://example.com/users/a", "https://example.com"},
		{"HTTPS://Example.COM./x", "https://example.com"},
		{"https://example.com:443/x", "https://example.com"},
		{"http://example.com:80/x", "http://example.com"},
		{"https://example.com:8443/x", "https://example.com:8443"},
		{"http://example.com:443/x", "http://example.com:443"},
		{"https://user:pw@example.com/x", "https://example.com"},
		{"https://[2001:DB8::1]:443/x", "https://[2001:db8::1]"},
		{"https://[2001:db8::1]:8443/x", "https://[2001:db8::1]:8443"},
		{"https://127.0.0.1:1234/x", "https://127.0.0.1:1234"},
		{"http://[fe80::1%25eth0]:8080/x", ""},
		{"A://[::%25%20]", ""}, // the zone unescapes to a space, which no origin may hold
		{"/relative", ""},
		{"mailto:a@example.com", ""},
		{"https://", ""},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.in)
		if err != nil {
			t.Fatalf("parse %q: %v", tt.in, err)
		}
		if got := Origin(u); got != tt.want {
			t.Errorf("Origin(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if Origin(nil) != "" {
		t.Error("Origin(nil) not empty")
	}
}

func TestSameOrigin(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"https://a.example/users/x", "https://A.example:443/other", true},
		{"https://a.example/x", "https://a.example./y", true},
		{"https://a.example/x", "http://a.example/x", false},
		{"https://a.example/x", "https://b.example/x", false},
		{"https://a.example/x", "https://a.example:8443/x", false},
		{"https://a.example/x", "https://a.example.evil.test/x", false},
		{"https://a.example@evil.test/x", "https://a.example/x", false},
		{"", "", false},
		{"/x", "/y", false},
		{"https://a.example/%zz", "https://a.example/x", false},
	}
	for _, tt := range tests {
		if got := SameOrigin(tt.a, tt.b); got != tt.want {
			t.Errorf("SameOrigin(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

// FuzzOrigin checks that Origin never panics, is idempotent, and that an origin is always same-origin
// with the URL it came from. Seeds are in testdata/fuzz/FuzzOrigin.
func FuzzOrigin(f *testing.F) {
	f.Add("https://example.com/users/a")
	f.Add("HTTP://[::1]:80/x")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := url.Parse(s)
		if err != nil {
			return
		}
		o := Origin(u)
		if o == "" {
			if SameOrigin(s, s) {
				t.Errorf("SameOrigin(%q, itself) with empty origin", s)
			}
			return
		}
		ou, err := url.Parse(o)
		if err != nil {
			t.Fatalf("origin %q of %q does not parse: %v", o, s, err)
		}
		if o2 := Origin(ou); o2 != o {
			t.Errorf("Origin not idempotent: %q -> %q -> %q", s, o, o2)
		}
		if !SameOrigin(s, s) {
			t.Errorf("SameOrigin(%q, itself) = false", s)
		}
	})
}
