package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"roost/store"
	"roost/store/access"
)

// OAuth 2's rules for the Mastodon client API (https://docs.joinmastodon.org/spec/oauth/), which
// both the consent page (web) and the token endpoint (the client API) apply: Mastodon's scopes
// and their hierarchy, and what makes an authorization request valid (RFC 6749 §4.1.1, PKCE S256
// per RFC 7636).

const (
	// OOBRedirect is the out-of-band redirect URI: the code is shown to the owner to paste.
	OOBRedirect = "urn:ietf:wg:oauth:2.0:oob"
	// AuthCodeTTL bounds an authorization code's life (RFC 6749 §4.1.2 recommends 10 minutes at most).
	AuthCodeTTL = 5 * time.Minute
	// TokenBytes is the entropy of client ids, secrets, codes and tokens.
	TokenBytes = 32
)

// mastodonScopes are the scopes Roost accepts, as Mastodon 4.3 lists them
// (config/initializers/doorkeeper.rb). It is never written to.
var mastodonScopes = []string{
	"read", "write", "follow", "push", "profile",
	"read:accounts", "read:blocks", "read:bookmarks", "read:favourites", "read:filters", "read:follows",
	"read:lists", "read:mutes", "read:notifications", "read:search", "read:statuses",
	"write:accounts", "write:blocks", "write:bookmarks", "write:conversations", "write:favourites",
	"write:filters", "write:follows", "write:lists", "write:media", "write:mutes", "write:notifications",
	"write:reports", "write:statuses",
	"admin:read", "admin:read:accounts", "admin:read:reports", "admin:read:domain_allows",
	"admin:read:domain_blocks", "admin:read:ip_blocks", "admin:read:email_domain_blocks",
	"admin:read:canonical_email_blocks",
	"admin:write", "admin:write:accounts", "admin:write:reports", "admin:write:domain_allows",
	"admin:write:domain_blocks", "admin:write:ip_blocks", "admin:write:email_domain_blocks",
	"admin:write:canonical_email_blocks",
}

// HasScope reports whether granted scopes cover want, with Mastodon's hierarchy: "read" covers
// every "read:*", "write" every "write:*" (and "admin:read"/"admin:write" their sub-scopes);
// "follow" covers read:follows write:follows read:blocks write:blocks read:mutes write:mutes;
// "profile" and "push" cover only themselves.
func HasScope(granted []string, want string) bool {
	for _, g := range granted {
		switch {
		case g == want:
			return true
		case g == "follow":
			switch want {
			case "read:follows", "write:follows", "read:blocks", "write:blocks", "read:mutes", "write:mutes":
				return true
			}
		case g == "read" || g == "write" || g == "admin:read" || g == "admin:write":
			if strings.HasPrefix(want, g+":") {
				return true
			}
		}
	}
	return false
}

// ParseScopes splits a scope parameter: space-separated per RFC 6749 §3.3, also tolerating the
// literal "+" and "," some clients send.
func ParseScopes(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '+' || r == ',' || r == '\t' || r == '\n' }) {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// UnknownScope returns the first scope Roost does not know, or "".
func UnknownScope(scopes []string) string {
	for _, sc := range scopes {
		if !slices.Contains(mastodonScopes, sc) {
			return sc
		}
	}
	return ""
}

// ScopesWithin reports whether every requested scope is covered by the app's.
func ScopesWithin(requested, allowed []string) bool {
	for _, sc := range requested {
		if !HasScope(allowed, sc) {
			return false
		}
	}
	return true
}

// AuthRequest is a validated authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3).
type AuthRequest struct {
	Client      *access.App
	RedirectURI string
	Scopes      []string
	State       string
	Challenge   string
}

// ParseAuthRequest checks an authorization request, looking its client up with client (the store's
// AppByClientID). Its error is a message for the owner's page: nothing is sent to a redirect URI
// before the client and the URI are known to match.
func ParseAuthRequest(ctx context.Context, f url.Values,
	client func(ctx context.Context, clientID string) (*access.App, error)) (*AuthRequest, string, error) {
	clientID := f.Get("client_id")
	if clientID == "" {
		return nil, "The request names no application (client_id is missing).", nil
	}
	c, err := client(ctx, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "No application with this client_id is registered here.", nil
	}
	if err != nil {
		return nil, "", err
	}
	req := &AuthRequest{Client: c, State: f.Get("state"), RedirectURI: f.Get("redirect_uri")}
	if req.RedirectURI == "" && len(c.RedirectURIs) == 1 {
		req.RedirectURI = c.RedirectURIs[0]
	}
	if !slices.Contains(c.RedirectURIs, req.RedirectURI) {
		return nil, "The redirect URI is not one the application registered.", nil
	}
	if f.Get("response_type") != "code" {
		return nil, "Only the authorization code flow (response_type=code) is supported.", nil
	}
	req.Scopes = ParseScopes(f.Get("scope"))
	if len(req.Scopes) == 0 {
		req.Scopes = []string{"read"} // Mastodon's default scope
	}
	if bad := UnknownScope(req.Scopes); bad != "" {
		return nil, "The application asks for an unknown scope: " + bad + ".", nil
	}
	if !ScopesWithin(req.Scopes, c.Scopes) {
		return nil, "The application asks for more access than it registered for.", nil
	}
	req.Challenge = f.Get("code_challenge")
	method := f.Get("code_challenge_method")
	if req.Challenge != "" || method != "" {
		if method != "S256" {
			return nil, "Only the S256 code challenge method is supported.", nil
		}
		if !ValidPKCE(req.Challenge) {
			return nil, "The code challenge is malformed.", nil
		}
	}
	return req, "", nil
}

// ValidPKCE reports whether s has the shape of a code verifier or S256 challenge (RFC 7636 §4.1).
func ValidPKCE(s string) bool {
	if len(s) < 43 || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("-._~", c)) {
			return false
		}
	}
	return true
}

// S256 is the S256 code challenge of a verifier.
func S256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Scopes returns the scopes Roost accepts, as Mastodon 4.3 lists them.
func Scopes() []string { return slices.Clone(mastodonScopes) }
