package app

import (
	"encoding/json"

	"roost/server/content"
	"roost/store"
)

// PostQuote returns the IRI of the post a post quotes (FEP-044f's quote, or Misskey's and
// Fedibird's older properties, as received), or "".
func PostQuote(p *store.Post) string {
	var extra struct {
		Quote string `json:"quote"`
	}
	if !noExtra(p) {
		json.Unmarshal(p.Extra, &extra)
	}
	return content.SafeURL(extra.Quote)
}

// noExtra reports whether a post has no extra properties: most posts, stored with "{}", which
// pages and the client API then need not decode for a poll or a quote.
func noExtra(p *store.Post) bool { return len(p.Extra) <= len("{}") }
