package server

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"roost/server/activitypub"
	"roost/server/app"
)

// searchFixture is a server whose owner follows alice (display name "Wonder Person") and posted
// about zebras, with alice's public, followers-only and direct (not to the owner) zebra posts.
type searchFixture struct {
	ts     *testServer
	c      *apiClient
	alice  *peer
	mine   string // the owner's post's id
	public string // alice's posts' IRIs
	private,
	direct string
}

func newSearchFixture(t *testing.T) *searchFixture {
	t.Helper()
	ts := newTestServer(t)
	f := &searchFixture{ts: ts, c: newAPIClient(t, ts, "read", "write"), alice: newPeer(t, "alice")}
	f.alice.setActorField("name", "Wonder Person")
	followedPeer(t, ts, f.alice)
	st := f.c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "a zebra in the #wildlife park"}, 200)
	f.mine = str(st["id"])
	// Oldest first, so that the direct post, which the owner does not find, lies between two
	// posts they find.
	for i, n := range []struct {
		iri    *string
		text   string
		to, cc []string
	}{
		{&f.public, "zebra crossing", []string{activitypub.Public}, nil},
		{&f.direct, "zebra between others", []string{"https://elsewhere.example/users/bob"}, nil},
		{&f.private, "zebra for followers", []string{f.alice.actor + "/followers"}, nil},
	} {
		note := f.alice.note(n.text, n.to, n.cc)
		note["published"] = time.Now().Add(time.Duration(i-3) * time.Minute).UTC().Format(time.RFC3339)
		f.alice.sendAccepted(t, ts, f.alice.create(note))
		*n.iri = str(note["id"])
		ts.waitPost(t, *n.iri)
	}
	return f
}

func (f *searchFixture) search(t *testing.T, query string) map[string]any {
	t.Helper()
	return f.c.json(t, "GET", "/api/v2/search?"+query, nil, 200)
}

// field returns the field k of each object of the list v.
func field(v any, k string) []string {
	var out []string
	l, _ := v.([]any)
	for _, e := range l {
		m, _ := e.(map[string]any)
		out = append(out, str(m[k]))
	}
	return out
}

func TestSearchFindsAccountsByHandleAndName(t *testing.T) {
	f := newSearchFixture(t)
	for _, q := range []string{"ali", "wonder", "Person", "@alice"} {
		res := f.search(t, "type=accounts&q="+url.QueryEscape(q))
		if got := field(res["accounts"], "url"); !slices.Contains(got, f.alice.base+"/@alice") {
			t.Errorf("accounts of q=%s = %v, want alice", q, got)
		}
	}
	res := f.search(t, "q="+url.QueryEscape("@me"))
	if got := field(res["accounts"], "acct"); len(got) == 0 || got[0] != "me" {
		t.Errorf("accounts of q=@me = %v, want me first", got)
	}
	l, _ := f.c.list(t, "/api/v1/accounts/search?q=wond&limit=5")
	if len(l) != 1 || str(l[0]["url"]) != f.alice.base+"/@alice" {
		t.Errorf("accounts/search?q=wond = %v, want alice", l)
	}
	if l, _ := f.c.list(t, "/api/v1/accounts/search?q=wond&offset=1"); len(l) != 0 {
		t.Errorf("accounts/search?q=wond&offset=1 = %v, want none", l)
	}
	if l, _ := f.c.list(t, "/api/v1/accounts/search?q=m&following=1"); len(l) != 0 {
		t.Errorf("accounts/search?q=m&following=1 = %v, want none (the owner does not follow themself)", l)
	}
}

func TestSearchFindsHashtags(t *testing.T) {
	f := newSearchFixture(t)
	for _, q := range []string{"#wildlife", "wild"} {
		res := f.search(t, "q="+url.QueryEscape(q))
		tags, _ := res["hashtags"].([]any)
		if len(tags) != 1 {
			t.Fatalf("hashtags of q=%s = %v, want wildlife", q, res["hashtags"])
		}
		tag := tags[0].(map[string]any)
		if tag["name"] != "wildlife" || tag["url"] != f.ts.base+"/tags/wildlife" || tag["history"] == nil {
			t.Errorf("hashtag = %v", tag)
		}
	}
}

func TestSearchFindsPostsByWordsAsTheViewerMaySee(t *testing.T) {
	f := newSearchFixture(t)
	res := f.search(t, "type=statuses&q=zebra")
	uris := field(res["statuses"], "uri")
	ids := field(res["statuses"], "id")
	if !slices.Contains(ids, f.mine) || !slices.Contains(uris, f.public) || !slices.Contains(uris, f.private) {
		t.Errorf("statuses of q=zebra = %v %v, want the owner's, alice's public and followers-only posts", ids, uris)
	}
	if slices.Contains(uris, f.direct) || len(uris) != 3 {
		t.Errorf("statuses of q=zebra = %v, want 3, not the direct post that does not name the owner", uris)
	}
	if res := f.search(t, "type=statuses&q="+url.QueryEscape("zebra from:me")); !slices.Equal(field(res["statuses"], "id"), []string{f.mine}) {
		t.Errorf("q=zebra from:me = %v, want the owner's post", field(res["statuses"], "id"))
	}

	var paged []string
	for off := 0; off < 4; off++ {
		res := f.search(t, "type=statuses&q=zebra&limit=1&offset="+idString(int64(off)))
		paged = append(paged, field(res["statuses"], "uri")...)
	}
	if !slices.Equal(paged, uris) {
		t.Errorf("q=zebra one by one = %v, want %v", paged, uris)
	}
}

func TestSearchResolvesAHandleWithARailsBoolean(t *testing.T) {
	f := newSearchFixture(t)
	bob := newPeer(t, "bob")
	q := "type=accounts&q=" + url.QueryEscape(bob.actor)
	if got := field(f.search(t, q)["accounts"], "url"); len(got) != 0 {
		t.Errorf("unknown bob without resolve = %v, want none", got)
	}
	if got := field(f.search(t, q+"&resolve=1")["accounts"], "url"); !slices.Equal(got, []string{bob.base + "/@bob"}) {
		t.Errorf("bob with resolve=1 = %v, want bob", got)
	}
}

// A Mastodon post's shareable link (https://host/@user/123) serves the Note whose id is
// https://host/users/user/statuses/123: search, like and reply-to follow it to that id.
func TestSearchResolvesAShareableLink(t *testing.T) {
	f := newSearchFixture(t)
	carol := newPeer(t, "carol")
	note := carol.note("hello from carol", []string{activitypub.Public}, nil)
	id := carol.base + "/users/carol/statuses/7"
	note["id"], note["url"] = id, carol.base+"/@carol/7"
	carol.setDoc("/users/carol/statuses/7", note)
	carol.setDoc("/@carol/7", note)
	// A link whose document names a post on another origin is not followed there.
	other := carol.note("elsewhere", []string{activitypub.Public}, nil)
	other["id"] = f.alice.base + "/users/alice/statuses/9"
	carol.setDoc("/@carol/9", other)

	res := f.search(t, "type=statuses&resolve=true&q="+url.QueryEscape(carol.base+"/@carol/7"))
	if got := field(res["statuses"], "uri"); !slices.Equal(got, []string{id}) {
		t.Fatalf("search of the shareable link = %v, want %s", got, id)
	}
	res = f.search(t, "type=statuses&resolve=true&q="+url.QueryEscape(carol.base+"/@carol/9"))
	if got := field(res["statuses"], "uri"); len(got) != 0 {
		t.Errorf("search of a link to a post on another origin = %v, want none", got)
	}

	ctx := context.Background()
	liked := carol.note("like me", []string{activitypub.Public}, nil)
	liked["id"] = carol.base + "/users/carol/statuses/8"
	carol.setDoc("/users/carol/statuses/8", liked)
	carol.setDoc("/@carol/8", liked)
	if p, err := f.ts.srv.app.Like(ctx, carol.base+"/@carol/8"); err != nil || p.IRI != str(liked["id"]) {
		t.Fatalf("like of the shareable link: %v, %v", p, err)
	}
	parent := carol.note("reply to me", []string{activitypub.Public}, nil)
	parent["id"] = carol.base + "/users/carol/statuses/10"
	carol.setDoc("/users/carol/statuses/10", parent)
	carol.setDoc("/@carol/10", parent)
	reply, err := f.ts.srv.app.Post(ctx, app.PostInput{Text: "hi carol", InReplyTo: carol.base + "/@carol/10"})
	if err != nil || reply.InReplyTo != str(parent["id"]) {
		t.Fatalf("reply to the shareable link: %v, %v", reply, err)
	}
}

// The owner's search box finds what the API finds: accounts by name, hashtags, posts by words.
func TestWebSearchFindsAccountsHashtagsAndPosts(t *testing.T) {
	f := newSearchFixture(t)
	c := signIn(t, f.ts)
	text := textOf(c.page(t, "/search?q=wonder"))
	if !strings.Contains(text, "Wonder Person") || !strings.Contains(text, "@"+f.alice.handle()) {
		t.Errorf("search for wonder does not show alice: %.500s", text)
	}
	text = textOf(c.page(t, "/search?q="+url.QueryEscape("#wild")))
	if !strings.Contains(text, "#wildlife") {
		t.Errorf("search for #wild does not show #wildlife: %.500s", text)
	}
	text = textOf(c.page(t, "/search?q=zebra"))
	for _, want := range []string{"a zebra in the", "zebra crossing", "zebra for followers"} {
		if !strings.Contains(text, want) {
			t.Errorf("search for zebra does not show %q: %.800s", want, text)
		}
	}
	if strings.Contains(text, "zebra between others") {
		t.Errorf("search for zebra shows the direct post that does not name the owner")
	}
}
