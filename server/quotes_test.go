package server

import (
	"strconv"
	"strings"
	"testing"

	"roost/server/activitypub"
)

func TestQuotePost(t *testing.T) {
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	followedPeer(t, ts, alice)
	c := newAPIClient(t, ts, "read", "write")

	first := alice.note("the first post", []string{activitypub.Public}, nil)
	alice.sendAccepted(t, ts, alice.create(first))
	quoted := ts.waitPost(t, str(first["id"]))
	quoting := alice.note("<p>quoting it</p><p class=\"quote-inline\">RE: <a href=\""+str(first["id"])+"\">it</a></p>",
		[]string{activitypub.Public}, nil)
	quoting["quote"], quoting["_misskey_quote"] = first["id"], first["id"]
	alice.sendAccepted(t, ts, alice.create(quoting))
	p := ts.waitPost(t, str(quoting["id"]))
	missing := alice.note("quoting what Roost never saw", []string{activitypub.Public}, nil)
	missing["quoteUrl"] = alice.newID("notes")
	alice.sendAccepted(t, ts, alice.create(missing))
	m := ts.waitPost(t, str(missing["id"]))

	st := c.json(t, "GET", "/api/v1/statuses/"+strconv.FormatInt(p.ID, 10), nil, 200)
	q, _ := st["quote"].(map[string]any)
	qs, _ := q["quoted_status"].(map[string]any)
	if q["state"] != "accepted" || qs["id"] != strconv.FormatInt(quoted.ID, 10) || qs["quote"] != nil {
		t.Errorf("quote = %v", st["quote"])
	}
	for _, id := range []int64{quoted.ID, m.ID} {
		if st := c.json(t, "GET", "/api/v1/statuses/"+strconv.FormatInt(id, 10), nil, 200); st["quote"] != nil {
			t.Errorf("status %d: quote = %v, want null", id, st["quote"])
		}
	}

	doc := signIn(t, ts).page(t, "/home")
	var links []string
	for _, a := range elements(doc, byClass("u-quotation-of")) {
		href, _ := attrOf(a, "href")
		links = append(links, href)
	}
	if got := strings.Join(links, " "); !strings.Contains(got, str(first["id"])) || !strings.Contains(got, str(missing["quoteUrl"])) {
		t.Errorf("quote links on the home page: %q", got)
	}
}
