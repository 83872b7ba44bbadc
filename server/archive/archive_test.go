package archive_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"roost/server/archive"
	"roost/server/archive/archivetest"
)

func TestReadCSVKinds(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		content    string
		kind       archive.Kind
		want       []archive.Entry
	}{
		{"following with header", "export.csv", "Account address,Show boosts,Notify on new posts,Languages\nalice@a.example,true,false,\n@bob@b.example,false,true,\"en, de\"\n",
			archive.Following, []archive.Entry{{Target: "alice@a.example", ShowBoosts: true},
				{Target: "bob@b.example", Notify: true, Languages: []string{"en", "de"}}}},
		{"mutes with header", "x.csv", "Account address,Hide notifications\ndave@d.example,false\n",
			archive.Mutes, []archive.Entry{{Target: "dave@d.example"}}},
		{"blocks by name", "blocked_accounts.csv", "carol@c.example\n", archive.Blocks, []archive.Entry{{Target: "carol@c.example"}}},
		{"mutes by name, no header", "muted_accounts.csv", "dave@d.example\n", archive.Mutes,
			[]archive.Entry{{Target: "dave@d.example", HideNotifications: true}}},
		{"blocks by content", "x.csv", "carol@c.example\n", archive.Blocks, []archive.Entry{{Target: "carol@c.example"}}},
		{"domains by content", "x.csv", "spam.example\n\n", archive.DomainBlocks, []archive.Entry{{Target: "spam.example"}}},
		{"bookmarks by content", "x.csv", "https://a.example/@alice/1\n", archive.Bookmarks,
			[]archive.Entry{{Target: "https://a.example/@alice/1"}}},
		{"lists by content", "x.csv", "Friends,alice@a.example\nWork,bob@b.example\n", archive.Lists,
			[]archive.Entry{{List: "Friends", Target: "alice@a.example"}, {List: "Work", Target: "bob@b.example"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kind, got, err := archive.ReadCSV(strings.NewReader(tc.content), tc.file, "")
			if err != nil || kind != tc.kind || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ReadCSV = %s %+v, %v; want %s %+v", kind, got, err, tc.kind, tc.want)
			}
		})
	}
	if _, _, err := archive.ReadCSV(strings.NewReader("nothing\n"), "x.csv", ""); err == nil {
		t.Errorf("a CSV of no known kind was read")
	}
}

// TestCSVRoundTrip writes each kind as Mastodon's export does and reads it back.
func TestCSVRoundTrip(t *testing.T) {
	entries := map[archive.Kind][]archive.Entry{
		archive.Following:    {{Target: "a@x.example", ShowBoosts: true, Languages: []string{"en", "fr"}}, {Target: "b@x.example", Notify: true}},
		archive.Blocks:       {{Target: "c@x.example"}},
		archive.Mutes:        {{Target: "d@x.example", HideNotifications: true}},
		archive.DomainBlocks: {{Target: "spam.example"}},
		archive.Bookmarks:    {{Target: "https://x.example/notes/1"}},
		archive.Lists:        {{List: "Friends, close", Target: "a@x.example"}},
	}
	for _, k := range archive.Kinds {
		var b bytes.Buffer
		if err := archive.WriteCSV(&b, k, entries[k]); err != nil {
			t.Fatal(err)
		}
		kind, got, err := archive.ReadCSV(&b, k.FileName(), "")
		if err != nil || kind != k || !reflect.DeepEqual(got, entries[k]) {
			t.Errorf("%s: read back %s %+v, %v; want %+v", k, kind, got, err, entries[k])
		}
	}
}

// TestReadArchive reads posts, visibility, media and collections from an archive shaped as
// Mastodon writes one.
func TestReadArchive(t *testing.T) {
	img := archivetest.PNG(3, 3, 1)
	src := archivetest.Archive{Actor: "https://old.example/users/me", Username: "me",
		Bookmarks: []string{"https://x.example/notes/1"}, Posts: []archivetest.Post{
			{Published: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Text: "<p>a</p>", Visibility: "public", Images: [][]byte{img}},
			{Published: time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC), Text: "<p>b</p>", Visibility: "unlisted", Summary: "cw"},
			{Published: time.Date(2020, 1, 3, 0, 0, 0, 0, time.UTC), Text: "<p>c</p>", Visibility: "private"},
			{Published: time.Date(2020, 1, 4, 0, 0, 0, 0, time.UTC), Text: "<p>d</p>", Visibility: "direct", Mentions: []string{"https://x.example/users/x"}},
			{Published: time.Date(2020, 1, 5, 0, 0, 0, 0, time.UTC), Boost: true, InReplyTo: "https://x.example/notes/2"},
		}}
	var b bytes.Buffer
	if err := src.Write(&b); err != nil {
		t.Fatal(err)
	}
	ar, err := archive.Open(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	actor, err := ar.Actor()
	if err != nil || actor.ID != src.Actor {
		t.Fatalf("actor %+v, %v", actor, err)
	}
	var got []*archive.Post
	if err := ar.Posts(actor.Followers, func(p *archive.Post) error { got = append(got, p); return nil }); err != nil {
		t.Fatal(err)
	}
	var vis []string
	for _, p := range got {
		vis = append(vis, p.Visibility)
	}
	if want := []string{"public", "unlisted", "private", "direct"}; !reflect.DeepEqual(vis, want) {
		t.Errorf("visibilities %v, want %v (the boost skipped)", vis, want)
	}
	if got[1].Summary != "cw" || !got[0].Published.Equal(src.Posts[0].Published) || len(got[0].Attachments) != 1 {
		t.Errorf("posts %+v %+v", got[0], got[1])
	}
	rc, _, ok := ar.File(got[0].Attachments[0].Path)
	if !ok {
		t.Fatalf("no file %s", got[0].Attachments[0].Path)
	}
	var data bytes.Buffer
	data.ReadFrom(rc)
	rc.Close()
	if !bytes.Equal(data.Bytes(), img) {
		t.Errorf("the attachment's bytes differ")
	}
	if _, _, ok := ar.File("../../etc/passwd"); ok {
		t.Errorf("a path out of the archive opened")
	}
	marks, err := ar.Collection("bookmarks.json")
	if err != nil || !reflect.DeepEqual(marks, src.Bookmarks) {
		t.Errorf("bookmarks %v, %v", marks, err)
	}
}
