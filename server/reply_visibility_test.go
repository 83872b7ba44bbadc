package server

import (
	"context"
	"net/url"
	"strconv"
	"testing"

	"golang.org/x/net/html"

	"roost/server/activitypub"
	"roost/server/app"
	"roost/store"
)

// A reply the owner writes without choosing a visibility gets its parent's, never a wider one:
// from Post (which roost post calls), from the API without "visibility", and preselected in the
// web form.
func TestReplyDefaultsToParentVisibility(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	followedPeer(t, ts, alice)
	api := newAPIClient(t, ts, "read", "write")
	web := signIn(t, ts)
	aliceFollowers := alice.actor + "/followers"

	for _, tc := range []struct {
		want, form string
		to, cc     []string // of alice's parent post
	}{
		{store.Public, "public", []string{activitypub.Public}, []string{aliceFollowers}},
		{store.Unlisted, "unlisted", []string{aliceFollowers}, []string{activitypub.Public}},
		{store.Private, "followers", []string{aliceFollowers}, nil},
		{store.Direct, "direct", []string{ts.actor}, nil},
	} {
		t.Run(tc.want, func(t *testing.T) {
			n := alice.note("<p>the parent</p>", tc.to, tc.cc)
			alice.sendAccepted(t, ts, alice.create(n))
			parent := ts.waitPost(t, n["id"].(string))
			if parent.Visibility != tc.want {
				t.Fatalf("alice's parent stored as %q, want %q", parent.Visibility, tc.want)
			}
			reply, err := ts.srv.app.Post(ctx, app.PostInput{Text: "a reply", InReplyTo: parent.IRI})
			if err != nil {
				t.Fatal(err)
			}
			if reply.Visibility != tc.want {
				t.Errorf("Post without a visibility: %q, want %q", reply.Visibility, tc.want)
			}

			st := api.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "an API reply",
				"in_reply_to_id": strconv.FormatInt(parent.ID, 10)}, 200)
			if st["visibility"] != tc.want { // the API's names are the store's
				t.Errorf("API reply without visibility: %v, want the parent's %q", st["visibility"], tc.want)
			}

			doc := web.page(t, "/compose?reply_to="+url.QueryEscape(parent.IRI))
			sel := firstElement(t, doc, "visibility select", func(n *html.Node) bool {
				v, _ := attrOf(n, "name")
				return n.Data == "select" && v == "visibility"
			})
			var selected []string
			for _, o := range elements(sel, byTag("option")) {
				if _, ok := attrOf(o, "selected"); ok {
					v, _ := attrOf(o, "value")
					selected = append(selected, v)
				}
			}
			if len(selected) != 1 || selected[0] != tc.form {
				t.Errorf("web reply form preselects %v, want [%s]", selected, tc.form)
			}
		})
	}

	// A post that replies to nothing is public when no visibility is chosen.
	p, err := ts.srv.app.Post(ctx, app.PostInput{Text: "not a reply"})
	if err != nil || p.Visibility != store.Public {
		t.Errorf("a post without a visibility: %v, %v; want public", p, err)
	}
}
