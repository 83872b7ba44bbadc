package server

import (
	"context"
	"encoding/json"

	"roost/server/mastodon"
	"roost/store"
)

// postQuote returns the IRI of the post a post quotes (FEP-044f's quote, or Misskey's and
// Fedibird's older properties, as received), or "".
func postQuote(p *store.Post) string {
	var extra struct {
		Quote string `json:"quote"`
	}
	if !noExtra(p) {
		json.Unmarshal(p.Extra, &extra)
	}
	return safeURL(extra.Quote)
}

// noExtra reports whether a post has no extra properties: most posts, stored with "{}", which
// pages and the client API then need not decode for a poll or a quote.
func noExtra(p *store.Post) bool { return len(p.Extra) <= len("{}") }

// apiQuote is Mastodon's Quote entity for a post that quotes one Roost has, or nil. The quoted
// status's own quote is left out (Mastodon sends a ShallowQuote there), so a chain of quotes
// costs one look-up.
func (s *Server) apiQuote(ctx context.Context, p *store.Post, depth int) *mastodon.Quote {
	iri := postQuote(p)
	if iri == "" || depth > 0 {
		return nil
	}
	quoted, err := s.st.PostByIRI(ctx, iri)
	if err != nil || !quoted.DeletedAt.IsZero() {
		return nil
	}
	st, err := s.apiStatusAt(ctx, quoted, depth+1)
	if err != nil {
		return nil
	}
	return &mastodon.Quote{State: "accepted", QuotedStatus: st}
}
