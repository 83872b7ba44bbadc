package app

import (
	"roost/server/content"
	"roost/store"
)

// PostQuote returns the IRI of the post a post quotes (FEP-044f's quote, or Misskey's and
// Fedibird's older properties, as received), or "".
func PostQuote(p *store.Post) string { return content.SafeURL(p.Quote) }
