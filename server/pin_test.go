package server

import (
	"context"
	"testing"

	"roost/server/app"
)

// Pinning features a post in the featured collection and tells followers with an Add that targets
// it; unpinning sends a Remove and empties the collection.
func TestPinFeaturesPost(t *testing.T) {
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	followingPeer(t, ts, alice)
	ctx := context.Background()
	p, err := ts.srv.app.Post(ctx, app.PostInput{Text: "pin me"})
	if err != nil {
		t.Fatal(err)
	}
	featured := ts.actor + "/collections/featured"
	if _, err := ts.srv.app.Pin(ctx, p.IRI, true); err != nil {
		t.Fatal(err)
	}
	add := alice.waitPost(t, "Add", ofTypeObject("Add", p.IRI))
	if idOf(add.Activity["target"]) != featured {
		t.Errorf("Add target = %v, want %s", add.Activity["target"], featured)
	}
	_, body := ts.get(t, "/users/me/collections/featured", "application/activity+json")
	doc := decodeJSON(t, body)
	items, _ := doc["orderedItems"].([]any)
	if doc["totalItems"] != float64(1) || len(items) != 1 || idOf(items[0]) != p.IRI {
		t.Errorf("featured after pin = %s", body)
	}

	direct, err := ts.srv.app.Post(ctx, app.PostInput{Text: "secret @" + alice.handle(), Visibility: "direct"})
	if err == nil {
		if _, err := ts.srv.app.Pin(ctx, direct.IRI, true); err == nil {
			t.Errorf("pinning a direct post succeeded")
		}
	}

	if _, err := ts.srv.app.Pin(ctx, p.IRI, false); err != nil {
		t.Fatal(err)
	}
	alice.waitPost(t, "Remove", ofTypeObject("Remove", p.IRI))
	_, body = ts.get(t, "/users/me/collections/featured", "application/activity+json")
	if doc := decodeJSON(t, body); doc["totalItems"] != float64(0) {
		t.Errorf("featured after unpin = %s", body)
	}
}
