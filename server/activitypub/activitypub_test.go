package activitypub

import (
	"encoding/json"
	"testing"
)

func TestIsContentType(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"application/activity+json", true},
		{"application/activity+json; charset=utf-8", true},
		{"Application/Activity+JSON", true},
		{LDContentType, true},
		{`application/ld+json; profile="https://www.w3.org/ns/activitystreams"; charset=utf-8`, true},
		{`application/ld+json; profile="https://example.org/p https://www.w3.org/ns/activitystreams"`, true},
		{`application/ld+json;profile="http://www.w3.org/ns/activitystreams#"`, true},
		{"application/ld+json", false},
		{`application/ld+json; profile="https://example.org/p"`, false},
		{"application/json", false},
		{"text/html", false},
		{"", false},
		{"application/activity+json; =broken", false},
	}
	for _, tt := range tests {
		if got := IsContentType(tt.in); got != tt.want {
			t.Errorf("IsContentType(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestWantsJSON(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"application/activity+json, application/ld+json", true}, // Mastodon
		{`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`, true},
		{"application/activity+json", true},
		{`application/ld+json; profile="https://www.w3.org/ns/activitystreams", application/activity+json`, true},
		{"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8", false}, // browsers
		{"text/html, application/activity+json", false},
		{"application/activity+json, text/html", true},
		{"text/html;q=0.5, application/activity+json", true},
		{"application/activity+json;q=0, text/html", false},
		{"application/activity+json;q=0", false},
		{"*/*", false},
		{"application/json", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := WantsJSON(tt.in); got != tt.want {
			t.Errorf("WantsJSON(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestContext(t *testing.T) {
	c := Context()
	if len(c) != 3 || c[0] != Namespace || c[1] != "https://w3id.org/security/v1" {
		t.Fatalf("Context() = %v", c)
	}
	terms := c[2].(map[string]any)
	for _, term := range []string{"manuallyApprovesFollowers", "toot", "featured", "featuredTags", "alsoKnownAs",
		"movedTo", "schema", "PropertyValue", "value", "discoverable", "indexable", "sensitive", "Hashtag", "Emoji",
		"focalPoint", "blurhash", "votersCount", "memorial", "suspended", "attributionDomains"} {
		if _, ok := terms[term]; !ok {
			t.Errorf("context lacks %q", term)
		}
	}
	terms["toot"] = "changed"
	if Context()[2].(map[string]any)["toot"] != "http://joinmastodon.org/ns#" {
		t.Error("Context shares state between calls")
	}
	if _, err := json.Marshal(c); err != nil {
		t.Fatal(err)
	}
}
