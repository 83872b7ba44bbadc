package server

import (
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"roost/store/relays"
)

// The owner subscribes to a Mastodon-style relay on the Relays settings page (its Follow of the
// Public collection queued, from the instance actor), sees it pending, turns forwarding on with
// the checkbox, and unsubscribes (an Undo queued).
func TestWebRelays(t *testing.T) {
	ts := newTestServer(t)
	o := signIn(t, ts)
	const inbox = "https://relay.example/inbox"
	if text := textOf(o.page(t, "/settings/relays")); !strings.Contains(text, "No relays yet") {
		t.Errorf("the Relays page before any: %q", text)
	}
	o.submit(t, "/settings/relays", url.Values{"url": {inbox}})
	x, err := relays.New(ts.st).ByURL(t.Context(), inbox)
	if err != nil {
		t.Fatalf("the relay after the form: %v", err)
	}
	follow, err := ts.st.ActivityByIRI(t.Context(), x.FollowIRI)
	if err != nil {
		t.Fatalf("no Follow queued: %v", err)
	}
	instance := ts.srv.App().InstanceActorIRI()
	if body := string(follow.Body); !strings.Contains(body, `"object":"https://www.w3.org/ns/activitystreams#Public"`) ||
		!strings.Contains(body, `"actor":"`+instance+`"`) {
		t.Errorf("the Follow queued: %s", body)
	}
	page := o.page(t, "/settings/relays")
	if text := textOf(page); !strings.Contains(text, inbox+": pending") {
		t.Errorf("the Relays page: %q", text)
	}
	box := firstElement(t, page, "the forward checkbox", func(n *html.Node) bool {
		v, _ := attrOf(n, "name")
		return n.Data == "input" && v == "forward"
	})
	if _, checked := attrOf(box, "checked"); checked {
		t.Error("forwarding is on before the owner turned it on")
	}
	o.submit(t, "/settings/relays/forward", url.Values{"url": {inbox}, "forward": {"on"}})
	box = firstElement(t, o.page(t, "/settings/relays"), "the forward checkbox", func(n *html.Node) bool {
		v, _ := attrOf(n, "name")
		return n.Data == "input" && v == "forward"
	})
	if _, checked := attrOf(box, "checked"); !checked {
		t.Error("the checkbox is not checked after turning forwarding on")
	}
	o.submit(t, "/settings/relays/remove", url.Values{"url": {inbox}})
	if _, err := relays.New(ts.st).ByURL(t.Context(), inbox); err == nil {
		t.Error("the relay is still there after Unsubscribe")
	}
	if text := textOf(o.page(t, "/settings/relays")); strings.Contains(text, inbox+":") {
		t.Errorf("the Relays page after Unsubscribe: %q", text)
	}
	var n int // the Undo's delivery to the relay's inbox
	if err := ts.st.DB().Reader().QueryRowContext(t.Context(), `SELECT count(*) FROM activities a JOIN deliveries d
		ON d.activity_id = a.id WHERE a.type = 'Undo' AND d.inbox = ?`, inbox).Scan(&n); err != nil || n != 1 {
		t.Errorf("Undo deliveries to the relay: %d, %v", n, err)
	}
}
