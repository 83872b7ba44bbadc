package app

import (
	"strings"
)

// ParseAcct splits "acct:user@host" (or "user@host", "@user@host") into user and host.
func ParseAcct(resource string) (user, host string, ok bool) {
	r := strings.TrimPrefix(resource, "acct:")
	r = strings.TrimPrefix(r, "@")
	user, host, ok = strings.Cut(r, "@")
	if !ok || user == "" || host == "" || strings.Contains(host, "@") {
		return "", "", false
	}
	return user, strings.ToLower(host), true
}
