package auth

import (
	"strings"
	"testing"
)

func TestScopeHierarchy(t *testing.T) {
	for _, tc := range []struct {
		granted string
		want    string
		ok      bool
	}{
		{"read", "read:statuses", true},
		{"read", "read", true},
		{"read", "write:statuses", false},
		{"write", "write:media", true},
		{"write", "read:statuses", false},
		{"follow", "read:follows", true},
		{"follow", "write:mutes", true},
		{"follow", "read:statuses", false},
		{"read write", "follow", false},
		{"profile", "read:accounts", false},
		{"read", "profile", false},
		{"push", "push", true},
		{"read", "push", false},
		{"read:statuses", "read", false},
		{"admin:read", "admin:read:accounts", true},
		{"read", "readx", false},
		{"", "read", false},
	} {
		if got := HasScope(strings.Fields(tc.granted), tc.want); got != tc.ok {
			t.Errorf("HasScope(%q, %q) = %v, want %v", tc.granted, tc.want, got, tc.ok)
		}
	}
}
