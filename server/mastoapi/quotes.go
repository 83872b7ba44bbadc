package mastoapi

import (
	"context"

	"roost/server/app"
	"roost/server/mastodon"
	"roost/store"
)

// apiQuote is Mastodon's Quote entity for a post that quotes one Roost has, or nil. The quoted
// status's own quote is left out (Mastodon sends a ShallowQuote there), so a chain of quotes
// costs one look-up.
func (h *Handler) apiQuote(ctx context.Context, p *store.Post, depth int) *mastodon.Quote {
	iri := app.PostQuote(p)
	if iri == "" || depth > 0 {
		return nil
	}
	quoted, err := h.st.PostByIRI(ctx, iri)
	if err != nil || !quoted.DeletedAt.IsZero() {
		return nil
	}
	st, err := h.apiStatusAt(ctx, quoted, depth+1)
	if err != nil {
		return nil
	}
	return &mastodon.Quote{State: "accepted", QuotedStatus: st}
}
