package server

import (
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"roost/server/activitypub"
)

// The owner follows a hashtag with the button on its tag page, sees it on the Hashtags page and
// unfollows it there; the Federated page shows a stranger's public post that reached Roost.
func TestWebFollowedTagsAndFederated(t *testing.T) {
	ts := newTestServer(t)
	o := signIn(t, ts)
	button := func(label string) func(n *html.Node) bool {
		return func(n *html.Node) bool { return n.Data == "button" && strings.TrimSpace(textOf(n)) == label }
	}
	firstElement(t, o.page(t, "/tags/roosting"), "a follow button", button("Follow #roosting"))
	o.submit(t, "/tags/follow", url.Values{"tag": {"#Roosting"}})
	if ok, err := ts.srv.App().Tags.Following(t.Context(), "roosting"); !ok || err != nil {
		t.Fatalf("following roosting after the button = %v, %v", ok, err)
	}
	firstElement(t, o.page(t, "/tags/roosting"), "an unfollow button", button("Unfollow #roosting"))
	firstElement(t, o.page(t, "/tags"), "the tag on the Hashtags page", button("Unfollow #roosting"))

	stranger := newPeer(t, "stranger")
	n := stranger.note("<p>A #Roosting heron</p>", []string{activitypub.Public}, nil)
	n["tag"] = []any{map[string]any{"type": "Hashtag", "name": "#roosting"}}
	stranger.sendAccepted(t, ts, stranger.create(n))
	ts.waitPost(t, str(n["id"]))
	if text := textOf(o.page(t, "/federated")); !strings.Contains(text, "A #Roosting heron") {
		t.Errorf("the Federated page shows %q", text)
	}
	if text := textOf(o.page(t, "/home")); !strings.Contains(text, "A #Roosting heron") {
		t.Errorf("home does not show the followed tag's post: %q", text)
	}

	o.submit(t, "/tags/unfollow", url.Values{"tag": {"roosting"}})
	if ok, _ := ts.srv.App().Tags.Following(t.Context(), "roosting"); ok {
		t.Error("still following roosting after unfollowing")
	}
}
