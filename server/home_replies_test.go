package server

import (
	"strings"
	"testing"

	"roost/server/activitypub"
)

// Home shows a followed account's reply only when it answers its own author, the owner or
// someone the owner follows, as Mastodon's home feed does; a reply to a stranger stays out, once
// its parent has been fetched (a reply whose parent is unknown stays out too).
func TestHomeReplies(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write")
	bob, dave, stranger := newPeer(t, "bob"), newPeer(t, "dave"), newPeer(t, "stranger")
	followedPeer(t, ts, bob)
	followedPeer(t, ts, dave)

	strangerPost := stranger.note("<p>a stranger's musing</p>", []string{activitypub.Public}, nil)
	stranger.setDoc(strings.TrimPrefix(strangerPost["id"].(string), stranger.base), strangerPost)
	bobPost := bob.note("<p>bob's own post</p>", []string{activitypub.Public}, nil)
	davePost := dave.note("<p>dave's post</p>", []string{activitypub.Public}, nil)
	bob.sendAccepted(t, ts, bob.create(bobPost))
	dave.sendAccepted(t, ts, dave.create(davePost))
	own := c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "the owner's post"}, 200)

	reply := func(parent, content string) map[string]any {
		n := bob.note("<p>"+content+"</p>", []string{activitypub.Public}, nil)
		n["inReplyTo"] = parent
		bob.sendAccepted(t, ts, bob.create(n))
		return n
	}
	toStranger := reply(strangerPost["id"].(string), "bob answers a stranger")
	toSelf := reply(bobPost["id"].(string), "bob answers bob")
	toDave := reply(davePost["id"].(string), "bob answers dave")
	toOwner := reply(own["uri"].(string), "bob answers the owner")
	for _, n := range []map[string]any{toStranger, toSelf, toDave, toOwner} {
		ts.waitPost(t, n["id"].(string))
	}
	// The stranger's post is fetched as the reply's ancestor and linked.
	waitFor(t, "the stranger's post linked as the parent", func() bool {
		p, err := ts.st.PostByIRI(t.Context(), toStranger["id"].(string))
		return err == nil && p.ReplyToID != 0
	})

	home, _ := c.list(t, "/api/v1/timelines/home")
	shown := map[any]bool{}
	for _, s := range home {
		shown[s["uri"]] = true
	}
	for _, tc := range []struct {
		what string
		iri  any
		want bool
	}{
		{"bob's reply to a stranger", toStranger["id"], false},
		{"the stranger's post", strangerPost["id"], false},
		{"bob's reply to himself", toSelf["id"], true},
		{"bob's reply to dave, followed", toDave["id"], true},
		{"bob's reply to the owner", toOwner["id"], true},
	} {
		if shown[tc.iri] != tc.want {
			t.Errorf("%s in home: %v, want %v", tc.what, shown[tc.iri], tc.want)
		}
	}
}
