package server

import (
	"context"
	"errors"
	"strings"
	"testing"

	"roost/server/activitypub"
	"roost/server/app"
	"roost/store"
)

func TestInboxCreate(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	friend := newPeer(t, "friend")
	followedPeer(t, ts, friend)
	stranger := newPeer(t, "stranger")
	public := []string{activitypub.Public}

	t.Run("from a followed account", func(t *testing.T) {
		n := friend.note("<p>hello from a friend</p>", public, []string{friend.actor + "/followers"})
		friend.sendAccepted(t, ts, friend.create(n))
		p := ts.waitPost(t, n["id"].(string))
		if p.AccountID != ts.account(t, friend.actor).ID || !strings.Contains(p.Content, "hello from a friend") {
			t.Errorf("stored post %+v", p)
		}
		if p.Visibility != store.Public {
			t.Errorf("visibility %s, want public", p.Visibility)
		}
	})

	t.Run("from a stranger not mentioning the owner", func(t *testing.T) {
		n := stranger.note("<p>spam</p>", public, nil)
		stranger.sendAccepted(t, ts, stranger.create(n))
		ts.waitInboxIdle(t)
		if _, err := ts.st.PostByIRI(ctx, n["id"].(string)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a stranger's unrelated post was stored (err %v)", err)
		}
	})

	t.Run("a stranger's reply to the owner", func(t *testing.T) {
		mine, err := ts.srv.app.Post(ctx, app.PostInput{Text: "a question"})
		if err != nil {
			t.Fatal(err)
		}
		n := stranger.note("<p>an answer</p>", public, nil)
		n["inReplyTo"] = mine.IRI
		stranger.sendAccepted(t, ts, stranger.create(n))
		p := ts.waitPost(t, n["id"].(string))
		if p.ReplyToID != mine.ID && p.InReplyTo != mine.IRI {
			t.Errorf("reply not linked to the owner's post: %+v", p)
		}
		notes, err := ts.st.Notifications(ctx, []string{"mention"}, store.Page{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(notes) != 1 || notes[0].PostID != p.ID {
			t.Errorf("mention notifications %+v, want one for the reply", notes)
		}
		// As a peer reads it: the collection embeds its first page, whose next lists the replies.
		coll := decodeJSON(t, mustBody(t, ts, strings.TrimPrefix(mine.IRI, ts.base)+"/replies"))
		first, _ := coll["first"].(map[string]any)
		page := decodeJSON(t, mustBody(t, ts, strings.TrimPrefix(str(first["next"]), ts.base)))
		if items := strs(page["items"]); len(items) != 1 || items[0] != p.IRI {
			t.Errorf("replies collection %v, its next page %v", coll, page)
		}
		note := decodeJSON(t, mustBody(t, ts, strings.TrimPrefix(mine.IRI, ts.base)))
		if replies, _ := note["replies"].(map[string]any); replies["first"] == nil {
			t.Errorf("the note's replies = %v; want a collection with its first page", note["replies"])
		}
		conv := decodeJSON(t, mustBody(t, ts, strings.TrimPrefix(str(note["context"]), ts.base)))
		first, _ = conv["first"].(map[string]any)
		if items := strs(first["items"]); len(items) != 2 || items[0] != mine.IRI || items[1] != p.IRI {
			t.Errorf("the note's context %v = %v; want the post and its reply", note["context"], conv)
		}
	})

	t.Run("a stranger mentioning the owner", func(t *testing.T) {
		n := stranger.note("<p>hey @me</p>", nil, []string{ts.actor})
		n["tag"] = []any{map[string]any{"type": "Mention", "href": ts.actor, "name": "@me@" + ts.cfg.Domain}}
		stranger.sendAccepted(t, ts, stranger.create(n))
		p := ts.waitPost(t, n["id"].(string))
		if p.Visibility != store.Direct {
			t.Errorf("visibility %s, want direct", p.Visibility)
		}
		if ok, _ := ts.st.Mentioned(ctx, p.ID, ts.srv.Owner().ID); !ok {
			t.Error("the owner is not recorded as mentioned")
		}
	})

	t.Run("duplicate activity is a no-op", func(t *testing.T) {
		n := friend.note("<p>twice</p>", public, nil)
		act := friend.create(n)
		friend.sendAccepted(t, ts, act)
		ts.waitPost(t, n["id"].(string))
		ts.waitInboxIdle(t)
		before := ts.rowCounts(t)
		friend.sendAccepted(t, ts, act)
		// Misskey sends some activities twice under new ids: the object id dedupes those.
		again := friend.create(n)
		friend.sendAccepted(t, ts, again)
		ts.waitInboxIdle(t)
		after := ts.rowCounts(t)
		if after["inbox"] != before["inbox"]+1 {
			t.Errorf("inbox rows %d -> %d; want only the second activity id added", before["inbox"], after["inbox"])
		}
		assertUnchanged(t, before, after, "inbox")
	})
}

func TestInboxInteractions(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	mallory := newPeer(t, "mallory")
	mine, err := ts.srv.app.Post(ctx, app.PostInput{Text: "like me"})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("like and undo", func(t *testing.T) {
		like := alice.activity("Like", mine.IRI)
		alice.sendAccepted(t, ts, like)
		acct := func() *store.Account { return ts.account(t, alice.actor) }
		waitFor(t, "like recorded", func() bool {
			a, err := ts.st.AccountByIRI(ctx, alice.actor)
			if err != nil {
				return false
			}
			_, err = ts.st.LikeOf(ctx, a.ID, mine.ID)
			return err == nil
		})
		if n, _ := ts.st.Notifications(ctx, []string{"favourite"}, store.Page{Limit: 5}); len(n) != 1 {
			t.Errorf("favourite notifications %d, want 1", len(n))
		}
		// mallory cannot undo alice's like.
		mallory.sendAccepted(t, ts, mallory.activity("Undo", like["id"]))
		ts.waitInboxIdle(t)
		if _, err := ts.st.LikeOf(ctx, acct().ID, mine.ID); err != nil {
			t.Fatalf("mallory undid alice's like: %v", err)
		}
		alice.sendAccepted(t, ts, alice.activity("Undo", like))
		waitFor(t, "like removed", func() bool {
			_, err := ts.st.LikeOf(ctx, acct().ID, mine.ID)
			return errors.Is(err, store.ErrNotFound)
		})
	})

	t.Run("announce", func(t *testing.T) {
		ann := alice.activity("Announce", mine.IRI)
		ann["to"] = []string{activitypub.Public}
		alice.sendAccepted(t, ts, ann)
		waitFor(t, "boost recorded", func() bool {
			_, err := ts.st.BoostOf(ctx, ts.account(t, alice.actor).ID, mine.ID)
			return err == nil
		})
		c, err := ts.st.Counts(ctx, mine)
		if err != nil || c.Boosts != 1 {
			t.Errorf("counts %+v, %v; want 1 boost", c, err)
		}
	})
}

func TestInboxUpdateDelete(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	followedPeer(t, ts, alice)
	mallory := newPeer(t, "mallory")
	followedPeer(t, ts, mallory)

	n := alice.note("<p>original</p>", []string{activitypub.Public}, nil)
	alice.sendAccepted(t, ts, alice.create(n))
	iri := n["id"].(string)
	ts.waitPost(t, iri)

	content := func() string {
		p, err := ts.st.PostByIRI(ctx, iri)
		if err != nil {
			t.Fatal(err)
		}
		return p.Content
	}

	t.Run("update by someone else", func(t *testing.T) {
		forged := map[string]any{}
		for k, v := range n {
			forged[k] = v
		}
		forged["content"] = "<p>forged</p>"
		mallory.sendAccepted(t, ts, mallory.activity("Update", forged))
		ts.waitInboxIdle(t)
		if c := content(); !strings.Contains(c, "original") {
			t.Errorf("content after mallory's Update: %s", c)
		}
	})

	t.Run("update by the author", func(t *testing.T) {
		edited := map[string]any{}
		for k, v := range n {
			edited[k] = v
		}
		edited["content"] = "<p>edited</p>"
		edited["updated"] = "2030-01-01T00:00:00Z"
		alice.sendAccepted(t, ts, alice.activity("Update", edited))
		waitFor(t, "content updated", func() bool { return strings.Contains(content(), "edited") })
	})

	t.Run("delete by someone else", func(t *testing.T) {
		mallory.sendAccepted(t, ts, mallory.activity("Delete", iri))
		mallory.sendAccepted(t, ts, mallory.activity("Delete", map[string]any{"id": iri, "type": "Tombstone"}))
		ts.waitInboxIdle(t)
		if p, err := ts.st.PostByIRI(ctx, iri); err != nil || !p.DeletedAt.IsZero() {
			t.Errorf("post after mallory's Delete: %+v, %v", p, err)
		}
	})

	t.Run("delete by the author", func(t *testing.T) {
		alice.sendAccepted(t, ts, alice.activity("Delete", map[string]any{"id": iri, "type": "Tombstone"}))
		waitFor(t, "post tombstoned", func() bool {
			p, err := ts.st.PostByIRI(ctx, iri)
			return err == nil && !p.DeletedAt.IsZero()
		})
		// Misskey sends each Delete twice, and a tombstoned object is never stored again.
		alice.sendAccepted(t, ts, alice.activity("Delete", iri))
		alice.sendAccepted(t, ts, alice.create(n))
		ts.waitInboxIdle(t)
		if p, err := ts.st.PostByIRI(ctx, iri); err != nil || p.DeletedAt.IsZero() {
			t.Errorf("post after a repeated Create: %+v, %v; want still a tombstone", p, err)
		}
	})
}

func TestInboxBlock(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	followingPeer(t, ts, alice)
	followedPeer(t, ts, alice)
	acct := ts.account(t, alice.actor)
	owner := ts.srv.Owner().ID

	alice.sendAccepted(t, ts, alice.activity("Block", ts.actor))
	waitFor(t, "follows ended", func() bool {
		_, err1 := ts.st.FollowBetween(ctx, acct.ID, owner)
		_, err2 := ts.st.FollowBetween(ctx, owner, acct.ID)
		return errors.Is(err1, store.ErrNotFound) && errors.Is(err2, store.ErrNotFound)
	})
}

// An Update of an actor by itself refreshes the profile from the actor's origin, not from the
// inline copy.
func TestInboxUpdateActor(t *testing.T) {
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	followingPeer(t, ts, alice)

	alice.setActorField("name", "Alice Renamed")
	inline := alice.actorJSON()
	inline["summary"] = "<p>only in the inline copy</p>"
	alice.sendAccepted(t, ts, alice.activity("Update", inline))
	waitFor(t, "profile refreshed", func() bool { return ts.account(t, alice.actor).DisplayName == "Alice Renamed" })
	if a := ts.account(t, alice.actor); strings.Contains(a.Summary, "only in the inline copy") {
		t.Errorf("summary %q taken from the inline copy", a.Summary)
	}
}
