package server

import (
	"strings"
	"testing"

	"roost/server/activitypub"
)

// The owner's thread page shows a post with what Roost has of its thread, and fetches the
// replies its server lists (its replies collection): they show on the next load.
func TestWebThreadFetchesReplies(t *testing.T) {
	ts := newTestServer(t)
	bob := newPeer(t, "bob")
	followedPeer(t, ts, bob)
	o := signIn(t, ts)

	post := bob.note("<p>bob asks a question</p>", []string{activitypub.Public}, nil)
	reply := bob.note("<p>bob answers himself later</p>", []string{activitypub.Public}, nil)
	reply["inReplyTo"] = post["id"]
	post["replies"] = map[string]any{"id": str(post["id"]) + "/replies", "type": "Collection",
		"first": map[string]any{"type": "CollectionPage", "items": []any{reply["id"]}}}
	for _, n := range []map[string]any{post, reply} {
		bob.setDoc(strings.TrimPrefix(str(n["id"]), bob.base), n)
	}
	bob.sendAccepted(t, ts, bob.create(post))
	p := ts.waitPost(t, str(post["id"]))

	path := "/thread?id=" + idString(p.ID)
	if text := textOf(o.page(t, path)); !strings.Contains(text, "bob asks a question") {
		t.Fatalf("the thread page shows %q", text)
	}
	ts.waitPost(t, str(reply["id"]))
	if text := textOf(o.page(t, path)); !strings.Contains(text, "bob answers himself later") {
		t.Errorf("on the next load the thread page shows %q", text)
	}
}
