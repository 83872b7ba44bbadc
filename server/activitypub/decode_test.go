package activitypub

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func equal[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestDecodeActivity(t *testing.T) {
	tests := []struct {
		file   string
		typ    string
		actor  string
		object string
		check  func(t *testing.T, a *Activity)
	}{
		{"mastodon_create_note.json", "Create", "https://mastodon.example/users/alice",
			"https://mastodon.example/users/alice/statuses/113456789012345678", func(t *testing.T, a *Activity) {
				equal(t, "object type", a.Object.Type, "Note")
				equal(t, "to public", a.To.Contains(Public), true)
				equal(t, "cc len", len(a.CC), 2)
				if len(a.Signature) == 0 {
					t.Error("signature block not kept")
				}
				o, err := a.Object.Object()
				if err != nil {
					t.Fatal(err)
				}
				equal(t, "inReplyTo", o.InReplyTo.ID, "https://roost.example/users/me/posts/42")
				equal(t, "url", o.URL.First(), "https://mastodon.example/@alice/113456789012345678")
				equal(t, "tags", len(o.Tag), 3)
				equal(t, "mention", o.Tag[0].Type+" "+o.Tag[0].Href, "Mention https://roost.example/users/me")
				equal(t, "emoji icon", o.Tag[2].Icon.URL, "https://files.mastodon.example/custom_emojis/images/000/012/345/original/blobcat.png")
				equal(t, "attachments", len(o.Attachment), 1)
				at := o.Attachment[0]
				equal(t, "alt", at.Name, "A heron on a post")
				equal(t, "size", at.Width*10000+at.Height, 1920*10000+1080)
				equal(t, "focal y", at.FocalPoint[1], -0.25)
				equal(t, "replies embedded", o.Replies.IsEmbedded(), true)
				equal(t, "conversation", strings.HasPrefix(o.Conversation, "tag:mastodon.example"), true)
				equal(t, "published", o.PublishedTime(), time.Date(2024, 11, 26, 10, 15, 30, 0, time.UTC))
			}},
		{"mastodon_follow.json", "Follow", "https://mastodon.example/users/alice", "https://roost.example/users/me",
			func(t *testing.T, a *Activity) { equal(t, "embedded", a.Object.IsEmbedded(), false) }},
		{"mastodon_undo_follow.json", "Undo", "https://mastodon.example/users/alice",
			"https://mastodon.example/0f3a9c1e-7d4b-4b8e-9a55-1c2d3e4f5a6b", func(t *testing.T, a *Activity) {
				f, err := a.Object.Activity()
				if err != nil {
					t.Fatal(err)
				}
				equal(t, "inner", f.Type+" "+f.Actor.ID+" "+f.Object.ID,
					"Follow https://mastodon.example/users/alice https://roost.example/users/me")
			}},
		{"mastodon_like.json", "Like", "https://mastodon.example/users/alice", "https://roost.example/users/me/posts/42", nil},
		{"mastodon_announce.json", "Announce", "https://mastodon.example/users/alice", "https://roost.example/users/me/posts/42",
			func(t *testing.T, a *Activity) { equal(t, "embedded", a.Object.IsEmbedded(), false) }},
		{"mastodon_delete.json", "Delete", "https://mastodon.example/users/alice",
			"https://mastodon.example/users/alice/statuses/113456789012345678",
			func(t *testing.T, a *Activity) { equal(t, "tombstone", a.Object.Type, "Tombstone") }},
		{"mastodon_update_person.json", "Update", "https://mastodon.example/users/alice", "https://mastodon.example/users/alice",
			func(t *testing.T, a *Activity) {
				p, err := a.Object.Actor()
				if err != nil {
					t.Fatal(err)
				}
				equal(t, "name", p.Name, "Alice (new name)")
				equal(t, "locked", p.ManuallyApprovesFollowers, true)
				equal(t, "shared inbox", p.SharedInbox(), "https://mastodon.example/inbox")
			}},
		{"mastodon_accept.json", "Accept", "https://mastodon.example/users/alice",
			"https://roost.example/users/me/follows/1730000000000",
			func(t *testing.T, a *Activity) { equal(t, "inner type", a.Object.Type, "Follow") }},
		{"mastodon_move.json", "Move", "https://old.example/users/alice", "https://old.example/users/alice",
			func(t *testing.T, a *Activity) {
				equal(t, "target", a.Target.ID, "https://mastodon.example/users/alice")
			}},
		{"mastodon_block.json", "Block", "https://mastodon.example/users/alice", "https://roost.example/users/me", nil},
		{"gotosocial_create_note.json", "Create", "https://gts.example/users/bob",
			"https://gts.example/users/bob/statuses/01JDQ8X4ZQ2K7Y9V3W6T5R4S3P", func(t *testing.T, a *Activity) {
				equal(t, "to as string", a.To.First(), Public)
				o, _ := a.Object.Object()
				equal(t, "attributedTo", o.AttributedTo.ID, "https://gts.example/users/bob")
				equal(t, "single tag object", len(o.Tag), 1)
				equal(t, "html", o.HTML(), "<p>hello from gts</p>")
			}},
		{"misskey_create_note.json", "Create", "https://misskey.example/users/9abcdefghi",
			"https://misskey.example/notes/9zab12cd34", func(t *testing.T, a *Activity) {
				o, _ := a.Object.Object()
				equal(t, "quote", o.QuoteIRI(), "https://roost.example/users/me/posts/42")
				equal(t, "_misskey_quote", o.MisskeyQuote, "https://roost.example/users/me/posts/42")
				equal(t, "mfm", o.MisskeyContent, "$[tada quoted]")
				equal(t, "source type", o.Source.MediaType, "text/x.misskeymarkdown")
				equal(t, "sensitive null", o.Sensitive, false)
				equal(t, "inReplyTo null", o.InReplyTo.IsZero(), true)
				equal(t, "ms published", a.PublishedTime(), time.Date(2024, 11, 26, 10, 30, 0, 123e6, time.UTC))
			}},
		{"misskey_like_reaction.json", "Like", "https://misskey.example/users/9abcdefghi",
			"https://roost.example/users/me/posts/42", func(t *testing.T, a *Activity) {
				equal(t, "reaction", a.MisskeyReaction, ":blobcat@.:")
				equal(t, "content", a.Content, ":blobcat@.:")
				equal(t, "emoji", a.Tag[0].Icon.URL, "https://misskey.example/files/blobcat.png")
			}},
		{"misskey_question.json", "Create", "https://misskey.example/users/9abcdefghi",
			"https://misskey.example/notes/9zpoll0001", func(t *testing.T, a *Activity) {
				o, _ := a.Object.Object()
				equal(t, "type", o.Type, "Question")
				equal(t, "options", len(o.OneOf), 2)
				equal(t, "option", o.OneOf[0].Name, "tea")
				equal(t, "votes", o.OneOf[0].Replies.TotalItems(), 2)
				equal(t, "votes", o.OneOf[1].Replies.TotalItems(), 1)
				equal(t, "endTime", o.EndTime, "2024-11-27T10:40:00.000Z")
			}},
		{"pleroma_like_actor_array.json", "Like", "https://pleroma.example/users/dave", "https://roost.example/users/me/posts/42", nil},
		{"pleroma_create_note.json", "Create", "https://pleroma.example/users/dave",
			"https://pleroma.example/objects/66666666-7777-8888-9999-000000000000", func(t *testing.T, a *Activity) {
				o, _ := a.Object.Object()
				equal(t, "context", o.ContextIRI, "https://pleroma.example/contexts/4f0c8b1e-9a2d-4c3b-8e7f-1a2b3c4d5e6f")
				equal(t, "µs published", o.PublishedTime().Nanosecond(), 123456000)
			}},
		{"honk_emojireact.json", "EmojiReact", "https://honk.example/u/eve", "https://roost.example/users/me/posts/42",
			func(t *testing.T, a *Activity) { equal(t, "emoji", a.Content, "🐢") }},
		{"honk_create_note.json", "Create", "https://honk.example/u/eve", "https://honk.example/u/eve/h/Ab12Cd34",
			func(t *testing.T, a *Activity) {
				o, _ := a.Object.Object()
				equal(t, "empty inReplyTo", o.InReplyTo.IsZero(), true)
				equal(t, "hashtag", o.Tag[0].Name, "#honk")
			}},
		{"snac_question_empty.json", "Create", "https://snac.example/frank", "https://snac.example/frank/p/1732611111.222222",
			func(t *testing.T, a *Activity) {
				o, _ := a.Object.Object()
				equal(t, "type", o.Type, "Question")
				equal(t, "options", len(o.OneOf)+len(o.AnyOf), 0)
				equal(t, "closed", o.Closed, "2024-11-27T11:00:00Z")
			}},
		{"fedify_create_note.json", "Create", "https://fedify.example/users/grace",
			"https://fedify.example/users/grace/posts/0193683e-5b6c-7e1d-8f2a-3b4c5d6e7f80", func(t *testing.T, a *Activity) {
				if len(a.Proof) == 0 || len(a.Signature) == 0 {
					t.Error("proof or signature not kept")
				}
				equal(t, "context entries", len(a.Context.([]any)), 7)
				o, _ := a.Object.Object()
				equal(t, "url Link", o.URL.First(), "https://fedify.example/@grace/0193683e")
			}},
		{"writefreely_create_article.json", "Create", "https://wf.example/api/collections/blog",
			"https://wf.example/api/posts/abc123def4", func(t *testing.T, a *Activity) {
				o, _ := a.Object.Object()
				equal(t, "type", o.Type, "Article")
				equal(t, "title", o.Name, "A long read")
				equal(t, "attachment null", len(o.Attachment), 0)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			a, err := DecodeActivity(readTestdata(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "type", a.Type, tt.typ)
			equal(t, "actor", a.Actor.ID, tt.actor)
			equal(t, "object", a.Object.ID, tt.object)
			if tt.check != nil {
				tt.check(t, a)
			}
			// What we decoded must encode again.
			if _, err := json.Marshal(a); err != nil {
				t.Fatalf("marshal: %v", err)
			}
		})
	}
}

func TestDecodeObject(t *testing.T) {
	o, err := DecodeObject(readTestdata(t, "peertube_video.json"))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "post type", IsPostType(o.Type), true)
	equal(t, "attributedTo picks the Person", o.AttributedTo.ID, "https://tube.example/accounts/heidi")
	equal(t, "url", o.URL.First(), "https://tube.example/w/abcDEF123")
	equal(t, "urls", len(o.URL), 2)
	equal(t, "tag without href", o.Tag[0].Name, "birds")

	for _, bad := range []string{
		`{"type":"Note"}`,
		`{"id":"https://x.example/1"}`,
		`{"id":"/relative","type":"Note"}`,
		`{"id":"ftp://x.example/1","type":"Note"}`,
	} {
		if _, err := DecodeObject([]byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeObject(%s) = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestDecodeActor(t *testing.T) {
	tests := []struct {
		file  string
		check func(t *testing.T, a *Actor)
	}{
		{"mastodon_actor.json", func(t *testing.T, a *Actor) {
			equal(t, "username", a.PreferredUsername, "alice")
			equal(t, "featured tags", a.FeaturedTags, "https://mastodon.example/users/alice/collections/tags")
			equal(t, "shared inbox", a.SharedInbox(), "https://mastodon.example/inbox")
			pk, ok := a.PublicKey.Find("https://mastodon.example/users/alice#main-key")
			equal(t, "key found", ok, true)
			equal(t, "key owner", pk.Owner, a.ID)
			equal(t, "fields", len(a.Attachment), 2)
			equal(t, "field", a.Attachment[1].Name+"="+a.Attachment[1].Value, "Pronouns=she/her")
			equal(t, "icon", a.Icon.URL, "https://files.mastodon.example/accounts/avatars/original/alice.png")
			equal(t, "header", a.Image.MediaType, "image/jpeg")
			equal(t, "aka", a.AlsoKnownAs.First(), "https://old.example/users/alice")
			equal(t, "attribution", a.AttributionDomains.First(), "alice.example")
			equal(t, "indexable", a.Indexable, true)
			equal(t, "emoji", a.Tag[0].Name, ":blobcat:")
		}},
		{"gotosocial_actor.json", func(t *testing.T, a *Actor) {
			_, ok := a.PublicKey.Find("https://gts.example/users/bob/main-key")
			equal(t, "path key id", ok, true)
			equal(t, "no shared inbox", a.SharedInbox(), "")
		}},
		{"misskey_actor.json", func(t *testing.T, a *Actor) {
			equal(t, "null name", a.Name, "")
			equal(t, "null icon", a.Icon == nil, true)
			equal(t, "keys", len(a.PublicKey), 1)
		}},
		{"fedify_actor.json", func(t *testing.T, a *Actor) {
			equal(t, "keys", len(a.PublicKey), 2)
			pk, ok := a.PublicKey.Find("https://fedify.example/users/grace#key-2")
			equal(t, "second key", ok && strings.Contains(pk.PublicKeyPem, "RSA2"), true)
			equal(t, "icon array", a.Icon.URL, "https://fedify.example/avatars/grace-400.png")
			equal(t, "url Links", strings.Join(a.URL, " "), "https://fedify.example/@grace https://grace.example/")
		}},
		{"writefreely_actor.json", func(t *testing.T, a *Actor) {
			equal(t, "blog", a.PreferredUsername, "blog")
			equal(t, "outbox", a.Outbox, "https://wf.example/api/collections/blog/outbox")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			a, err := DecodeActor(readTestdata(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			equal(t, "actor type", IsActorType(a.Type), true)
			tt.check(t, a)
		})
	}

	for _, bad := range []string{
		`{"id":"https://x.example/u","type":"Note","inbox":"https://x.example/inbox"}`,
		`{"id":"https://x.example/u","type":"Person"}`,
		`{"type":"Person","inbox":"https://x.example/inbox"}`,
	} {
		if _, err := DecodeActor([]byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeActor(%s) = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestDecodeActivityRejects(t *testing.T) {
	for _, bad := range []string{
		`{"type":"Follow","actor":"https://x.example/u","object":"https://y.example/u"}`,
		`{"id":"https://x.example/1","actor":"https://x.example/u"}`,
		`{"id":"https://x.example/1","type":"Follow"}`,
		`{"id":"https://x.example/1","type":"Follow","actor":{"type":"Person"}}`,
		`{"id":"https://x.example/1","type":"Follow","actor":42}`,
		`["https://x.example/1"]`,
		`null`,
	} {
		if _, err := DecodeActivity([]byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeActivity(%s) = %v, want ErrMalformed", bad, err)
		}
	}
}

// TestTolerance checks that odd shapes of optional properties decode as empty, not as errors.
func TestTolerance(t *testing.T) {
	doc := `{"id":"https://x.example/1","type":["Note","http://example.org/Extra"],"attributedTo":[{"type":"Group","id":"https://x.example/g"}],
		"to":42,"cc":[null,{"id":"https://x.example/f"},["nested"]],"tag":"not-an-object","attachment":[1,{"type":"Image","url":[{"href":"https://x.example/i.png"}]}],
		"sensitive":"true","votersCount":"3","contentMap":{"de":"<p>hallo</p>","fr":"<p>salut</p>"},"oneOf":{"type":"Note","name":"only"},"quote":{"id":"https://x.example/q"},
		"context":{"id":"https://x.example/ctx","type":"Collection"},"inReplyTo":[],"url":null}`
	o, err := DecodeObject([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "type array", o.Type, "Note")
	equal(t, "attributedTo falls back to first", o.AttributedTo.ID, "https://x.example/g")
	equal(t, "to number", len(o.To), 0)
	equal(t, "cc", strings.Join(o.CC, " "), "https://x.example/f")
	equal(t, "tag string", len(o.Tag), 0)
	equal(t, "attachment", len(o.Attachment), 1)
	equal(t, "attachment url", o.Attachment[0].URL, "https://x.example/i.png")
	equal(t, "sensitive string", o.Sensitive, false)
	equal(t, "html from contentMap", o.HTML(), "<p>hallo</p>")
	equal(t, "single oneOf", len(o.OneOf), 1)
	equal(t, "quote object", o.QuoteIRI(), "https://x.example/q")
	equal(t, "context object", o.ContextIRI, "https://x.example/ctx")
	equal(t, "inReplyTo empty array", o.InReplyTo.IsZero(), true)

	many := `{"id":"https://x.example/1","type":"Note","tag":[` + strings.Repeat(`{"type":"Hashtag","name":"#a"},`, 150) + `{}]}`
	o, err = DecodeObject([]byte(many))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "tags capped", len(o.Tag), MaxTags)
}

func TestPublishedTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2024-11-26T10:15:30Z", time.Date(2024, 11, 26, 10, 15, 30, 0, time.UTC)},
		{"2024-11-26T10:15:30.5Z", time.Date(2024, 11, 26, 10, 15, 30, 5e8, time.UTC)},
		{"2024-11-26T11:15:30+01:00", time.Date(2024, 11, 26, 10, 15, 30, 0, time.UTC)},
		{"2024-11-26T10:15:30", time.Date(2024, 11, 26, 10, 15, 30, 0, time.UTC)},
		{"", time.Time{}},
		{"yesterday", time.Time{}},
	}
	for _, tt := range tests {
		o := Object{Published: tt.in}
		if got := o.PublishedTime(); !got.Equal(tt.want) {
			t.Errorf("PublishedTime(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestCheckShape(t *testing.T) {
	nested := func(n int) string {
		return `{"a":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`
	}
	array := func(n int) string {
		return `{"a":[` + strings.TrimSuffix(strings.Repeat(`1,`, n), ",") + `]}`
	}
	big := `{"a":"` + strings.Repeat("x", 2<<20) + `"}`
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"depth 32", nested(MaxDepth - 1), nil},
		{"depth 33", nested(MaxDepth), ErrTooDeep},
		{"deep objects", strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40), ErrTooDeep},
		{"array 1000", array(MaxArray), nil},
		{"array 1001", array(MaxArray + 1), ErrTooLarge},
		{"array of objects 1001", `{"a":[` + strings.TrimSuffix(strings.Repeat(`{"k":1},`, MaxArray+1), ",") + `]}`, ErrTooLarge},
		{"big object keys do not count", `{` + strings.TrimSuffix(strings.Repeat(`"k":1,`, 1500), ",") + `}`, nil},
		{"2 MB", big, ErrTooLarge},
		{"trailing garbage", `{"a":1}x`, ErrMalformed},
		{"second object", `{"a":1} {"b":2}`, ErrMalformed},
		{"trailing whitespace", "{\"a\":1}\n\t ", nil},
		{"top-level array", `[{"a":1}]`, ErrMalformed},
		{"top-level string", `"x"`, ErrMalformed},
		{"empty", ``, ErrMalformed},
		{"truncated", `{"a":[1,2`, ErrMalformed},
		{"bad syntax", `{"a":}`, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckShape([]byte(tt.in))
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("CheckShape = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestEncode(t *testing.T) {
	note := Note{
		ID:           "https://roost.example/users/me/posts/1",
		Type:         "Note",
		AttributedTo: Ref{ID: "https://roost.example/users/me"},
		Content:      "<p>hi</p>",
		To:           IRIs{Public},
		CC:           IRIs{"https://roost.example/users/me/followers", "https://x.example/u"},
	}
	obj, err := Embed(note)
	if err != nil {
		t.Fatal(err)
	}
	create := Activity{
		Context: Context(),
		ID:      note.ID + "/activity",
		Type:    "Create",
		Actor:   Ref{ID: "https://roost.example/users/me"},
		Object:  obj,
		To:      note.To,
	}
	b, err := json.Marshal(create)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"actor":"https://roost.example/users/me"`,
		`"to":["https://www.w3.org/ns/activitystreams#Public"]`,
		`"cc":["https://roost.example/users/me/followers","https://x.example/u"]`,
		`"object":{"id":"https://roost.example/users/me/posts/1","type":"Note","attributedTo":"https://roost.example/users/me"`,
	} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("encoded Create lacks %s:\n%s", want, b)
		}
	}
	for _, absent := range []string{`"target"`, `"inReplyTo"`, `"signature"`, `"tag"`} {
		if bytes.Contains(b, []byte(absent)) {
			t.Errorf("encoded Create has empty %s:\n%s", absent, b)
		}
	}
	back, err := DecodeActivity(b)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "round trip object", back.Object.ID, note.ID)

	actor := Actor{
		Context:   Context(),
		ID:        "https://roost.example/users/me",
		Type:      "Person",
		Inbox:     "https://roost.example/users/me/inbox",
		URL:       URLs{"https://roost.example/@me"},
		PublicKey: PublicKeys{{ID: "https://roost.example/users/me#main-key", Owner: "https://roost.example/users/me", PublicKeyPem: "PEM"}},
	}
	b, err = json.Marshal(actor)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"publicKey":{"id":`, `"url":"https://roost.example/@me"`, `"manuallyApprovesFollowers":false`, `"toot":"http://joinmastodon.org/ns#"`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("encoded actor lacks %s:\n%s", want, b)
		}
	}
	if _, err := DecodeActor(b); err != nil {
		t.Errorf("our own actor does not decode: %v", err)
	}
}

func TestDecodeCollection(t *testing.T) {
	doc := `{"@context":"https://www.w3.org/ns/activitystreams","id":"https://x.example/u/outbox?page=1","type":"OrderedCollectionPage",
		"partOf":"https://x.example/u/outbox","next":"https://x.example/u/outbox?page=2",
		"orderedItems":["https://x.example/a/1",{"id":"https://x.example/a/2","type":"Create"},null,7]}`
	c, err := DecodeCollection([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "items", len(c.Items), 2)
	equal(t, "embedded item", c.Items[1].Type, "Create")
	equal(t, "next", c.Next.ID, "https://x.example/u/outbox?page=2")
	if _, err := DecodeCollection([]byte(`{"id":"https://x.example/n","type":"Note"}`)); !errors.Is(err, ErrMalformed) {
		t.Errorf("Note as collection: %v", err)
	}
}

func FuzzDecodeActivity(f *testing.F) {
	for _, name := range []string{"mastodon_create_note.json", "misskey_question.json", "pleroma_like_actor_array.json"} {
		f.Add(readTestdata(f, name))
	}
	for _, s := range []string{ // names in other cases, escaped, repeated
		`{"ID":"https://a.example/1","Type":"Create","\u0061ctor":"https://a.example/u","OBJECT":"https://a.example/n"}`,
		`{"id":"https://a.example/1","type":"Delete","actor":"https://a.example/u","actor":5,"object":"https://a.example/u","Object":{"id":"https://b.example/"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := DecodeActivity(b)
		e, eerr := DecodeEnvelope(b)
		if (err == nil) != (eerr == nil) {
			t.Fatalf("DecodeActivity: %v; DecodeEnvelope: %v", err, eerr)
		}
		if err == nil && (e.ID != a.ID || e.Type != a.Type || e.Actor.ID != a.Actor.ID || e.ObjectID() != a.Object.ID) {
			t.Fatalf("envelope %+v (object %q) differs from the activity %+v", e, e.ObjectID(), a)
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrTooDeep) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if a.ID == "" || a.Type == "" || a.Actor.ID == "" {
			t.Fatalf("accepted without required properties: %+v", a)
		}
		if _, err := json.Marshal(a); err != nil {
			t.Fatalf("decoded activity does not encode: %v", err)
		}
		if a.Object.IsEmbedded() {
			a.Object.Activity()
			a.Object.Object()
			a.Object.Actor()
		}
	})
}

func BenchmarkDecodeEnvelope(b *testing.B) {
	doc := readTestdata(b, "mastodon_create_note.json")
	for b.Loop() {
		if _, err := DecodeEnvelope(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeActivity(b *testing.B) {
	doc := readTestdata(b, "mastodon_create_note.json")
	for b.Loop() {
		a, err := DecodeActivity(doc)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.Object.Object(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeNestedPoll guards against re-parsing nested oneOf at every level, which once
// made a 1 MB document cost seconds of CPU.
func BenchmarkDecodeNestedPoll(b *testing.B) {
	inner := `{"type":"Note","content":"` + strings.Repeat("x", 900<<10) + `"}`
	for range 14 {
		inner = `{"type":"Note","oneOf":[` + inner + `]}`
	}
	doc := []byte(`{"id":"https://x.example/1","type":"Question","oneOf":[` + inner + `]}`)
	for b.Loop() {
		if _, err := DecodeObject(doc); err != nil {
			b.Fatal(err)
		}
	}
}
