package emojis

import (
	"context"
	"fmt"
	"testing"

	"roost/store"
	"roost/store/storetest"
	"roost/store/storetest/ownertest"
)

// A post's emoji reactions are grouped by emoji, the first given first; a heart (Misskey's like)
// is a plain favourite, and a custom emoji shows with the image its reactor's server gave, or not
// at all when that image is unknown.
func TestReactions(t *testing.T) {
	st, clock := storetest.Fresh(t, store.Open)
	ctx := context.Background()
	owner := ownertest.Create(t, st)
	post := &store.Post{ID: st.NewID(), IRI: owner.IRI + "/statuses/1", AccountID: owner.ID, Type: "Note",
		Visibility: store.Public, Published: clock.Now()}
	if err := st.InsertRemotePost(ctx, post, nil); err != nil {
		t.Fatal(err)
	}
	e := New(st)
	if err := e.Save(ctx, "a.example", ":blob:", "https://a.example/blob.png"); err != nil {
		t.Fatal(err)
	}
	like := func(name, host, emoji string) *store.Account {
		t.Helper()
		iri := "https://" + host + "/users/" + name
		a, err := st.UpsertAccount(ctx, &store.Account{IRI: iri, Type: "Person", Username: name, Host: host, Inbox: iri + "/inbox"})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.AddLike(ctx, &store.Reaction{IRI: iri + "/likes/1", AccountID: a.ID, PostID: post.ID, Content: emoji}, nil); err != nil {
			t.Fatal(err)
		}
		return a
	}
	ann := like("ann", "a.example", ":blob:")
	like("bob", "b.example", "😀")
	like("cat", "c.example", "❤")
	like("dan", "d.example", ":blob:") // d.example's :blob: has no known image
	like("eve", "a.example", "😀")
	like("fay", "f.example", "")

	got, err := e.Of(ctx, post.ID, ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := "[{:blob: 1 true https://a.example/blob.png} {😀 2 false }]"
	if fmt.Sprint(got) != want {
		t.Errorf("Of = %v, want %s", got, want)
	}
	for _, tc := range []struct {
		name, host string
		ok         bool
	}{{"ann", "a.example", true}, {"bob", "b.example", true}, {"cat", "c.example", false}, {"dan", "d.example", false}, {"fay", "f.example", false}} {
		a, err := st.AccountByIRI(ctx, "https://"+tc.host+"/users/"+tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok, err := e.ReactionOf(ctx, a.ID, post.ID); err != nil || ok != tc.ok {
			t.Errorf("ReactionOf(%s) = %v, %v; want %v", tc.name, ok, err, tc.ok)
		}
	}
}
