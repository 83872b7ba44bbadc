package server

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"roost/server/activitypub"
	"roost/server/app"
	"roost/store"
)

func TestPublish(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	follower := newPeer(t, "fol")
	followingPeer(t, ts, follower)
	friend := newPeerPort80(t, "friend") // mentioned; not a follower
	followers := ts.actor + "/followers"

	tests := []struct {
		vis        string
		to, cc     []string // besides the mention, which is always in cc (to for direct)
		toFollower bool
		inOutbox   bool
	}{
		{store.Public, []string{activitypub.Public}, []string{followers}, true, true},
		{store.Unlisted, []string{followers}, []string{activitypub.Public}, true, true},
		{"followers", []string{followers}, nil, true, false},
		{store.Direct, nil, nil, false, false},
	}
	var published []*store.Post
	for _, tt := range tests {
		t.Run(tt.vis, func(t *testing.T) {
			p, err := ts.srv.app.Post(ctx, app.PostInput{Text: "hi @" + friend.handle() + " #Tag", Visibility: tt.vis})
			if err != nil {
				t.Fatalf("post: %v", err)
			}
			published = append(published, p)

			create := friend.waitPost(t, "Create", ofTypeObject("Create", p.IRI))
			if !create.Verified {
				t.Errorf("Create signature: %v", create.VerifyErr)
			}
			note, _ := create.Activity["object"].(map[string]any)
			if note["attributedTo"] != ts.actor || note["type"] != "Note" {
				t.Errorf("note attributedTo %v type %v", note["attributedTo"], note["type"])
			}
			to, cc := strs(note["to"]), strs(note["cc"])
			wantTo, wantCC := tt.to, append(slices.Clone(tt.cc), friend.actor)
			if tt.vis == store.Direct {
				wantTo, wantCC = []string{friend.actor}, nil
			}
			if !slices.Equal(to, wantTo) || !slices.Equal(cc, wantCC) {
				t.Errorf("addressing to=%v cc=%v, want to=%v cc=%v", to, cc, wantTo, wantCC)
			}
			if !slices.Equal(strs(create.Activity["to"]), to) || !slices.Equal(strs(create.Activity["cc"]), cc) {
				t.Errorf("Create addressing differs from the note's: %v %v", create.Activity["to"], create.Activity["cc"])
			}
			var mention, hashtag bool
			for _, tag := range note["tag"].([]any) {
				tag := tag.(map[string]any)
				switch tag["type"] {
				case "Mention":
					mention = tag["href"] == friend.actor && tag["name"] == "@"+friend.handle()
				case "Hashtag":
					hashtag = strings.EqualFold(str(tag["name"]), "#tag") && strings.HasSuffix(str(tag["href"]), "/tags/tag")
				}
			}
			if !mention || !hashtag {
				t.Errorf("tags %v: want the Mention of %s and the Hashtag #tag", note["tag"], friend.actor)
			}
			if c := str(note["content"]); !strings.Contains(c, `href="`+friend.base+`/@friend"`) {
				t.Errorf("content does not link the mention: %s", c)
			}

			// Every delivery is queued with the post; once the queue is empty, whoever should
			// have got it has.
			ts.waitQueueEmpty(t)
			got := follower.count(ofTypeObject("Create", p.IRI))
			if tt.toFollower && got != 1 {
				t.Errorf("follower received %d copies, want 1", got)
			}
			if !tt.toFollower && got != 0 {
				t.Errorf("a %s post reached a follower who was not mentioned", tt.vis)
			}

			// Unsigned readers see public and unlisted posts only.
			resp, body := ts.get(t, p.IRI, activitypub.ContentType)
			if tt.inOutbox {
				if resp.StatusCode != http.StatusOK {
					t.Errorf("GET note: status %d", resp.StatusCode)
				} else if n := decodeJSON(t, body); n["id"] != p.IRI {
					t.Errorf("GET note: id %v", n["id"])
				}
			} else if resp.StatusCode != http.StatusNotFound {
				t.Errorf("unsigned GET of a %s post: status %d, want 404", tt.vis, resp.StatusCode)
			}
			resp, body = ts.get(t, p.URL, "text/html")
			if tt.inOutbox {
				if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
					!strings.Contains(string(body), "#") {
					t.Errorf("post page: status %d type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
				}
			} else if resp.StatusCode != http.StatusNotFound {
				t.Errorf("post page of a %s post: status %d, want 404", tt.vis, resp.StatusCode)
			}
		})
	}

	t.Run("outbox", func(t *testing.T) {
		coll := decodeJSON(t, mustBody(t, ts, "/users/me/outbox"))
		if coll["type"] != "OrderedCollection" || coll["totalItems"] != 2.0 {
			t.Errorf("outbox type %v totalItems %v, want OrderedCollection of 2", coll["type"], coll["totalItems"])
		}
		page := decodeJSON(t, mustBody(t, ts, str(coll["first"])))
		var ids []string
		for _, it := range page["orderedItems"].([]any) {
			it := it.(map[string]any)
			if it["type"] != "Create" {
				t.Errorf("outbox item of type %v", it["type"])
			}
			ids = append(ids, idOf(it["object"]))
		}
		if len(published) != 4 {
			t.Fatal("not every post was published")
		}
		want := []string{published[1].IRI, published[0].IRI} // newest first
		if !slices.Equal(ids, want) {
			t.Errorf("outbox lists %v, want %v (public and unlisted only)", ids, want)
		}
	})

	t.Run("delete", func(t *testing.T) {
		p := published[0]
		if err := ts.srv.app.DeletePost(ctx, p.IRI); err != nil {
			t.Fatal(err)
		}
		del := follower.waitPost(t, "Delete", ofTypeObject("Delete", p.IRI))
		if !del.Verified {
			t.Errorf("Delete signature: %v", del.VerifyErr)
		}
		friend.waitPost(t, "Delete", ofTypeObject("Delete", p.IRI))
		resp, body := ts.get(t, p.IRI, activitypub.ContentType)
		if resp.StatusCode != http.StatusGone {
			t.Fatalf("GET deleted note: status %d, want 410", resp.StatusCode)
		}
		if doc := decodeJSON(t, body); doc["type"] != "Tombstone" {
			t.Errorf("deleted note type %v, want Tombstone", doc["type"])
		}
		if resp, _ := ts.get(t, p.URL, "text/html"); resp.StatusCode != http.StatusNotFound {
			t.Errorf("page of a deleted post: status %d, want 404", resp.StatusCode)
		}
		if coll := decodeJSON(t, mustBody(t, ts, "/users/me/outbox")); coll["totalItems"] != 1.0 {
			t.Errorf("outbox totalItems %v after delete, want 1", coll["totalItems"])
		}
	})
}

// A followers-only post can be read by a follower who signs the GET, and by nobody else.
func TestFollowersOnlyPostSignedFetch(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	fol := newPeer(t, "fol")
	followingPeer(t, ts, fol)
	stranger := newPeer(t, "stranger")
	stranger.send(t, ts, stranger.activity("Like", ts.actor+"/statuses/1")) // so Roost knows the key
	ts.waitInboxIdle(t)

	p, err := ts.srv.app.Post(ctx, app.PostInput{Text: "for followers", Visibility: "followers"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		signer *peer
		status int
	}{
		{"follower", fol, http.StatusOK},
		{"stranger", stranger, http.StatusNotFound},
		{"unsigned", nil, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, p.IRI, nil)
			req.Header.Set("Accept", activitypub.ContentType)
			if tc.signer != nil {
				if err := signGet(req, tc.signer); err != nil {
					t.Fatal(err)
				}
			}
			resp, body := doNoRedirect(t, req)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
		})
	}
}

// A reply is addressed to the parent's author even without an @mention, so that author must be
// able to fetch it (signed) and to interact with it.
func TestReplyReachesParentAuthor(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	alice := newPeer(t, "alice")
	followedPeer(t, ts, alice)
	n := alice.note("<p>a thought</p>", []string{activitypub.Public}, nil)
	alice.sendAccepted(t, ts, alice.create(n))
	ts.waitPost(t, n["id"].(string))

	for _, vis := range []string{store.Direct, "followers"} {
		t.Run(vis, func(t *testing.T) {
			reply, err := ts.srv.app.Post(ctx, app.PostInput{Text: "a quiet answer", Visibility: vis, InReplyTo: n["id"].(string)})
			if err != nil {
				t.Fatal(err)
			}
			got := alice.waitPost(t, "the reply", ofTypeObject("Create", reply.IRI))
			note := got.Activity["object"].(map[string]any)
			if idOf(note["inReplyTo"]) != n["id"] {
				t.Errorf("inReplyTo %v", note["inReplyTo"])
			}
			if !slices.Contains(append(strs(note["to"]), strs(note["cc"])...), alice.actor) {
				t.Fatalf("reply not addressed to alice: to %v cc %v", note["to"], note["cc"])
			}
			req, _ := http.NewRequest(http.MethodGet, reply.IRI, nil)
			req.Header.Set("Accept", activitypub.ContentType)
			if err := signGet(req, alice); err != nil {
				t.Fatal(err)
			}
			if resp, body := doNoRedirect(t, req); resp.StatusCode != http.StatusOK {
				t.Errorf("alice's signed GET of a reply addressed to her: status %d: %s", resp.StatusCode, body)
			}
			like := alice.activity("Like", reply.IRI)
			alice.sendAccepted(t, ts, like)
			ts.waitInboxIdle(t)
			if _, err := ts.st.LikeOf(ctx, ts.account(t, alice.actor).ID, reply.ID); err != nil {
				t.Errorf("alice's Like of a reply addressed to her was dropped: %v", err)
			}
		})
	}
}

// The outbox pages newest first, 20 a page, and the next link reaches the rest.
func TestOutboxPaging(t *testing.T) {
	ctx := context.Background()
	ts := newTestServer(t)
	var iris []string
	for i := range 23 {
		vis := store.Public
		if i%8 == 7 {
			vis = "followers" // three of them, never listed
		}
		p, err := ts.srv.app.Post(ctx, app.PostInput{Text: "post", Visibility: vis})
		if err != nil {
			t.Fatal(err)
		}
		if vis == store.Public {
			iris = append([]string{p.IRI}, iris...)
		}
	}
	coll := decodeJSON(t, mustBody(t, ts, "/users/me/outbox"))
	if coll["totalItems"] != float64(len(iris)) {
		t.Errorf("totalItems %v, want %d", coll["totalItems"], len(iris))
	}
	var got []string
	next := str(coll["first"])
	for pages := 0; next != "" && pages < 5; pages++ {
		page := decodeJSON(t, mustBody(t, ts, next))
		if page["partOf"] != ts.actor+"/outbox" {
			t.Errorf("partOf %v", page["partOf"])
		}
		for _, it := range page["orderedItems"].([]any) {
			got = append(got, idOf(it.(map[string]any)["object"]))
		}
		next = str(page["next"])
	}
	if !slices.Equal(got, iris) {
		t.Errorf("pages list %d posts %v\nwant %d %v", len(got), got, len(iris), iris)
	}
}
