// Package activitypub holds the ActivityStreams 2.0 vocabulary Roost speaks: Go types, the JSON-LD
// context Mastodon uses, and tolerant decoding with size limits.
//
// Decoding follows the house rule "liberal in what you accept": a property that peers send as a
// string, an object or an array decodes the same way, and a value of an unexpected JSON type is
// ignored rather than failing the whole document. What is trusted (ids, origins, owners) is checked
// elsewhere; this package only guarantees that required properties are present and well-formed.
package activitypub

import (
	"mime"
	"strconv"
	"strings"
)

// Media types and well-known IRIs.
const (
	// ContentType is the media type Roost sends and prefers for ActivityPub documents.
	ContentType = `application/activity+json`
	// LDContentType is the JSON-LD media type with the ActivityStreams profile, which honk sends
	// and the ActivityPub spec names as the canonical one.
	LDContentType = `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
	// Public is the special collection that addresses an object to everyone.
	Public = "https://www.w3.org/ns/activitystreams#Public"
	// Namespace is the ActivityStreams JSON-LD namespace, also used as the ld+json profile.
	Namespace = "https://www.w3.org/ns/activitystreams"
)

// Context returns the @context Roost puts on every document: the ActivityStreams and security
// vocabularies plus the extension terms Mastodon declares on its actors and statuses (toot:,
// schema:, ostatus: and the FEP-044f quote terms). It returns a fresh value on every call.
func Context() []any {
	return []any{
		Namespace,
		"https://w3id.org/security/v1",
		map[string]any{
			"manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
			"sensitive":                 "as:sensitive",
			"Hashtag":                   "as:Hashtag",
			"alsoKnownAs":               map[string]any{"@id": "as:alsoKnownAs", "@type": "@id"},
			"movedTo":                   map[string]any{"@id": "as:movedTo", "@type": "@id"},
			"toot":                      "http://joinmastodon.org/ns#",
			"featured":                  map[string]any{"@id": "toot:featured", "@type": "@id"},
			"featuredTags":              map[string]any{"@id": "toot:featuredTags", "@type": "@id"},
			"discoverable":              "toot:discoverable",
			"indexable":                 "toot:indexable",
			"suspended":                 "toot:suspended",
			"memorial":                  "toot:memorial",
			"attributionDomains":        map[string]any{"@id": "toot:attributionDomains", "@type": "@id"},
			"Emoji":                     "toot:Emoji",
			"focalPoint":                map[string]any{"@container": "@list", "@id": "toot:focalPoint"},
			"blurhash":                  "toot:blurhash",
			"votersCount":               "toot:votersCount",
			"schema":                    "http://schema.org#",
			"PropertyValue":             "schema:PropertyValue",
			"value":                     "schema:value",
			"ostatus":                   "http://ostatus.org#",
			"atomUri":                   "ostatus:atomUri",
			"inReplyToAtomUri":          "ostatus:inReplyToAtomUri",
			"conversation":              "ostatus:conversation",
			"quote":                     map[string]any{"@id": "https://w3id.org/fep/044f#quote", "@type": "@id"},
			"quoteUri":                  "http://fedibird.com/ns#quoteUri",
			"_misskey_quote":            "https://misskey-hub.net/ns#_misskey_quote",
			"quoteAuthorization":        map[string]any{"@id": "https://w3id.org/fep/044f#quoteAuthorization", "@type": "@id"},
		},
	}
}

// IsContentType reports whether a Content-Type header value names an ActivityPub document:
// application/activity+json with any parameters, or application/ld+json whose profile parameter
// (a space-separated list of URIs) includes the ActivityStreams namespace.
// See https://www.w3.org/TR/activitypub/#server-to-server-interactions.
func IsContentType(v string) bool {
	mt, params, err := mime.ParseMediaType(v)
	if err != nil {
		return false
	}
	switch mt {
	case "application/activity+json":
		return true
	case "application/ld+json":
		for _, p := range strings.Fields(params["profile"]) {
			if isNamespace(p) {
				return true
			}
		}
	}
	return false
}

// isNamespace accepts the AS namespace with either scheme and an optional trailing slash or '#'.
func isNamespace(p string) bool {
	p = strings.TrimRight(p, "/#")
	return p == Namespace || p == "http://www.w3.org/ns/activitystreams"
}

// WantsJSON reports whether an Accept header prefers an ActivityPub document over HTML, for content
// negotiation on URLs that serve both.
//
// ActivityPub types are application/activity+json and application/ld+json (any profile); HTML types
// are text/html and application/xhtml+xml. Wildcards and application/json count for neither, so
// "*/*" gets HTML. The answer is true when an ActivityPub type is listed with q > 0 and either no
// HTML type is listed, or the best ActivityPub q is higher, or the q values tie and the ActivityPub
// type is listed first.
func WantsJSON(accept string) bool {
	asQ, htmlQ := -1.0, -1.0
	asPos, htmlPos := -1, -1
	for i, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if s, ok := params["q"]; ok {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				continue
			}
			q = f
		}
		switch mt {
		case "application/activity+json", "application/ld+json":
			if q > asQ {
				asQ, asPos = q, i
			}
		case "text/html", "application/xhtml+xml":
			if q > htmlQ {
				htmlQ, htmlPos = q, i
			}
		}
	}
	switch {
	case asQ <= 0:
		return false
	case htmlQ < 0 || asQ > htmlQ:
		return true
	case asQ == htmlQ:
		return asPos < htmlPos
	}
	return false
}
