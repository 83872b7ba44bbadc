package server

import (
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"roost/server/activitypub"
)

// The Lists page creates, renames and deletes a list; a followed account's page adds it to a
// list and the Lists page removes it; a list's page shows its members' posts.
func TestWebLists(t *testing.T) {
	ts := newTestServer(t)
	bob, dave := newPeer(t, "bob"), newPeer(t, "dave")
	followedPeer(t, ts, bob)
	followedPeer(t, ts, dave)
	o := signIn(t, ts)
	firstElement(t, o.page(t, "/home"), "a link to the lists", func(n *html.Node) bool {
		href, _ := attrOf(n, "href")
		return n.Data == "a" && href == "/lists"
	})

	o.submit(t, "/lists/create", url.Values{"title": {"Pals"}, "replies_policy": {"list"}})
	lists, err := ts.srv.App().Lists.Lists(t.Context())
	if err != nil || len(lists) != 1 || lists[0].Title != "Pals" {
		t.Fatalf("lists after create = %v, %v", lists, err)
	}
	id := idString(lists[0].ID)
	o.submit(t, "/lists/update", url.Values{"id": {id}, "title": {"Friends"}, "replies_policy": {"none"}})
	if l, _ := ts.srv.App().Lists.ListByID(t.Context(), lists[0].ID); l.Title != "Friends" || l.RepliesPolicy != "none" {
		t.Errorf("list after rename = %+v", l)
	}

	acct := o.page(t, "/account?iri="+url.QueryEscape(bob.actor))
	firstElement(t, acct, "an add-to-list button", func(n *html.Node) bool {
		return n.Data == "button" && strings.Contains(textOf(n), "Add to Friends")
	})
	o.submit(t, "/lists/add", url.Values{"id": {id}, "account": {bob.actor}})
	if !strings.Contains(textOf(o.page(t, "/lists")), "@bob@") {
		t.Error("the Lists page does not show bob as a member")
	}

	bobNote := bob.note("bob in the list", []string{activitypub.Public}, nil)
	bob.sendAccepted(t, ts, bob.create(bobNote))
	dave.sendAccepted(t, ts, dave.create(dave.note("dave outside it", []string{activitypub.Public}, nil)))
	ts.waitPost(t, str(bobNote["id"]))
	text := textOf(o.page(t, "/lists/"+id))
	if !strings.Contains(text, "bob in the list") || strings.Contains(text, "dave outside it") {
		t.Errorf("list page shows %q", text)
	}

	o.submit(t, "/lists/remove", url.Values{"id": {id}, "account_id": {idString(ts.account(t, bob.actor).ID)}})
	if strings.Contains(textOf(o.page(t, "/lists")), "@bob@") {
		t.Error("bob is still listed after removal")
	}
	o.submit(t, "/lists/delete", url.Values{"id": {id}})
	if lists, _ := ts.srv.App().Lists.Lists(t.Context()); len(lists) != 0 {
		t.Errorf("lists after delete = %v", lists)
	}
	if rec := o.get("/lists/" + id); rec.Code != 404 {
		t.Errorf("a deleted list's page: %d, want 404", rec.Code)
	}
}
