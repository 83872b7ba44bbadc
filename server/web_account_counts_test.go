package server

import (
	"net/url"
	"strings"
	"testing"
)

// A remote account's page shows its own counts, as its server gives them, not Roost's tallies.
func TestWebAccountCounts(t *testing.T) {
	ts := newTestServer(t)
	o := signIn(t, ts)
	carol := newPeer(t, "carol")
	carol.setActorField("outbox", carol.base+"/outbox")
	carol.setActorField("followers", carol.base+"/followers")
	carol.setDoc("/outbox", map[string]any{"id": carol.base + "/outbox", "type": "OrderedCollection", "totalItems": 42})
	carol.setDoc("/followers", map[string]any{"id": carol.base + "/followers", "type": "OrderedCollection", "totalItems": 1})
	text := textOf(o.page(t, "/account?iri="+url.QueryEscape(carol.actor)))
	if !strings.Contains(text, "42 posts · 1 follower") || strings.Contains(text, "following") {
		t.Errorf("carol's page shows %q; want her counts, 42 posts and 1 follower (following not given)", text)
	}
}
