package app

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"roost/server/activitypub"
	"roost/store"
)

// TestPostNotices: what a remote post tells the owner. A Mention tag, a direct post to the owner
// and a reply to the owner's post are mentions; a quote of the owner's post is a quote; being
// addressed in to or cc is neither (WriteFreely lists every follower in cc); a muted conversation
// silences a reply but the post still concerns the owner.
func TestPostNotices(t *testing.T) {
	ctx := context.Background()
	s := newTestApp(t)
	owner := s.Owner.Account
	bob := remoteAccount(t, s, "bob", "b.example")
	carol := remoteAccount(t, s, "carol", "c.example")
	mine, err := s.Post(ctx, PostInput{Text: "mine", Visibility: store.Public})
	if err != nil {
		t.Fatal(err)
	}
	muted, err := s.Post(ctx, PostInput{Text: "muted", Visibility: store.Public})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.st.MuteThread(ctx, muted.ID, true); err != nil {
		t.Fatal(err)
	}
	carolPost := remotePost(t, s, carol, "https://c.example/notes/1", store.Public)
	const public = `"to": ["https://www.w3.org/ns/activitystreams#Public"]`
	mention := func(href string) string { return `"tag": [{"type": "Mention", "href": "` + href + `"}]` }
	for _, tc := range []struct {
		name     string
		props    string
		want     []string
		concerns bool
	}{
		{"mentions the owner", public + `, ` + mention(owner.IRI), []string{"mention"}, true},
		{"mentions the owner by URL", public + `, ` + mention(owner.URL), []string{"mention"}, true},
		{"mentions only carol", public + `, ` + mention(carol.IRI), nil, false},
		{"direct to the owner, no tag", `"to": ["` + owner.IRI + `"]`, []string{"mention"}, true},
		{"public, owner in cc (WriteFreely)", public + `, "cc": ["` + owner.IRI + `", "` + carol.IRI + `"]`, nil, false},
		{"replies to the owner", public + `, "inReplyTo": "` + mine.IRI + `"`, []string{"mention"}, true},
		{"replies to carol", public + `, "inReplyTo": "` + carolPost.IRI + `"`, nil, false},
		{"replies to an unknown post", public + `, "inReplyTo": "https://x.example/notes/9"`, nil, false},
		{"quotes the owner", public + `, "quote": "` + mine.IRI + `"`, []string{"quote"}, true},
		{"quotes the owner, Misskey", public + `, "_misskey_quote": "` + mine.IRI + `", "quoteUrl": "` + mine.IRI + `"`, []string{"quote"}, true},
		{"quotes carol", public + `, "quote": "` + carolPost.IRI + `"`, nil, false},
		{"quotes and mentions", public + `, "quote": "` + mine.IRI + `", ` + mention(owner.IRI), []string{"mention", "quote"}, true},
		{"replies in a muted thread", public + `, "inReplyTo": "` + muted.IRI + `"`, nil, true},
		{"plain post", public, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := activitypub.DecodeObject([]byte(fmt.Sprintf(`{"id": "https://b.example/notes/x", "type": "Note",
				"attributedTo": %q, "content": "hi", %s}`, bob.IRI, tc.props)))
			if err != nil {
				t.Fatal(err)
			}
			notices, concerns, err := s.postNotices(ctx, o, bob)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, n := range notices {
				if n.AccountID != bob.ID {
					t.Errorf("notice %+v not from bob", n)
				}
				got = append(got, n.Type)
			}
			if !slices.Equal(got, tc.want) || concerns != tc.concerns {
				t.Errorf("notices %q, concerns %v; want %q, %v", got, concerns, tc.want, tc.concerns)
			}
		})
	}
}
