package server

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"roost/server/app"
	"roost/server/archive"
	"roost/server/archive/archivetest"
	"roost/store"
)

// withMedia gives a test server a media folder and a fast pace for imported follows.
func withMedia(t *testing.T) serverOption {
	dir := t.TempDir()
	return func(c *Config) { c.MediaDir = dir; c.ImportFollowEvery = 10 * time.Millisecond }
}

// acceptFollows answers, as each peer, the Follows Roost sends it, until stop is closed.
func acceptFollows(t *testing.T, ts *testServer, stop chan struct{}, peers ...*peer) {
	go func() {
		answered := map[string]bool{}
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			for _, p := range peers {
				for _, r := range p.received() {
					id := str(r.Activity["id"])
					if r.typ() != "Follow" || answered[id] || !strings.HasPrefix(id, ts.base) {
						continue
					}
					// Marked answered only once Roost took it: a busy inbox answers 503.
					answered[id] = p.send(t, ts, p.activity("Accept", r.Activity)) == http.StatusAccepted
				}
			}
		}
	}()
}

// accountState is what a round trip must keep: the owner's posts (with their media bytes), and
// the follows, blocks, mutes, domain blocks, bookmarks and lists.
type accountState struct {
	Posts                                                    []postState
	Following, Blocks, Mutes, DomainBlocks, Bookmarks, Lists []string
}

type postState struct {
	Text, Summary, Visibility, Language string
	Published                           time.Time
	Reply                               bool
	Tags                                []string
	Media                               [][]byte
}

func snapshot(t *testing.T, ts *testServer) accountState {
	t.Helper()
	ctx := context.Background()
	ownerID := ts.srv.Owner().ID
	var s accountState
	posts, err := ts.st.AccountPosts(ctx, ownerID, false, store.Page{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range slices.Backward(posts) {
		ps := postState{Text: ts.srv.app.Sanitize.Text(p.Content), Summary: p.Summary, Visibility: p.Visibility,
			Language: p.Language, Published: p.Published.UTC(), Reply: p.ReplyToID != 0}
		for _, tag := range p.Tags {
			ps.Tags = append(ps.Tags, tag.Type+" "+tag.Name)
		}
		for _, a := range p.Attachments {
			b, err := os.ReadFile(filepath.Join(ts.cfg.MediaDir, path.Base(a.URL)))
			if err != nil {
				t.Fatalf("media of post %d: %v", p.ID, err)
			}
			ps.Media = append(ps.Media, b)
		}
		s.Posts = append(s.Posts, ps)
	}
	for _, state := range []string{store.Accepted, store.Pending} {
		entries, _ := ts.st.Following(ctx, ownerID, state, store.Page{Limit: 200})
		for _, e := range entries {
			// With the follow's options, which the import takes from following_accounts.csv.
			s.Following = append(s.Following, fmt.Sprintf("%s %s boosts=%v notify=%v languages=%s",
				e.Account.Handle(), state, !e.Follow.HideReblogs, e.Follow.Notify, strings.Join(e.Follow.Languages, ",")))
		}
	}
	blocks, _ := ts.st.BlockedAccounts(ctx, store.Page{Limit: 200})
	for _, b := range blocks {
		s.Blocks = append(s.Blocks, b.Account.Handle())
	}
	mutes, _ := ts.st.MutedAccounts(ctx, store.Page{Limit: 200})
	for _, m := range mutes {
		s.Mutes = append(s.Mutes, m.Account.Handle())
	}
	s.DomainBlocks, _ = ts.st.DomainBlocks(ctx)
	marks, _ := ts.st.BookmarkItems(ctx, store.Page{Limit: 200})
	for _, m := range marks {
		s.Bookmarks = append(s.Bookmarks, m.Post.IRI)
	}
	lists, _ := ts.srv.app.Lists.Lists(ctx)
	for _, l := range lists {
		members, _ := ts.srv.app.Lists.ListAccounts(ctx, l.ID, store.Page{Limit: 200})
		for _, m := range members {
			s.Lists = append(s.Lists, l.Title+": "+m.Account.Handle())
		}
	}
	for _, l := range [][]string{s.Following, s.Blocks, s.Mutes, s.DomainBlocks, s.Bookmarks, s.Lists} {
		slices.Sort(l)
	}
	return s
}

// waitWithinSays is waitWithin that says where things stand when it times out.
func waitWithinSays(t *testing.T, what string, d time.Duration, cond func() bool, state func() string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s: %s", d, what, state())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitImported waits until every imported row is done or failed, and fails on a failed one.
func waitImported(t *testing.T, ts *testServer) {
	t.Helper()
	ctx := context.Background()
	waitWithinSays(t, "imported rows applied", 30*time.Second, func() bool {
		counts, err := ts.srv.Transfer().Items().Progress(ctx)
		if err != nil {
			return false
		}
		for _, c := range counts {
			if c.Pending > 0 {
				return false
			}
		}
		return true
	}, func() string {
		counts, _ := ts.srv.Transfer().Items().Progress(ctx)
		pending, _ := ts.st.Following(ctx, ts.srv.Owner().ID, store.Pending, store.Page{Limit: 20})
		var follows []string
		for _, f := range pending {
			follows = append(follows, f.Account.Handle()+" "+f.Follow.IRI)
		}
		return fmt.Sprintf("%+v; follows pending: %v; deliveries queued: %d", counts, follows, ts.queued(t))
	})
	failed, _ := ts.srv.Transfer().Items().Failures(ctx, 10)
	for _, f := range failed {
		t.Errorf("import of %s %s failed: %s", f.Kind, f.Target, f.Error)
	}
}

// importAll imports an archive zip and the CSV lists in files (name → content) into ts.
func importAll(t *testing.T, ts *testServer, zipFile []byte, csvs map[string][]byte) archive.Kind {
	t.Helper()
	ctx := context.Background()
	res, err := ts.srv.Transfer().ImportArchive(ctx, bytes.NewReader(zipFile), int64(len(zipFile)), nil)
	if err != nil {
		t.Fatalf("import archive: %v", err)
	}
	if res.MediaSkipped != 0 {
		t.Errorf("%d attachments skipped", res.MediaSkipped)
	}
	for _, name := range slices.Sorted(maps.Keys(csvs)) {
		if _, _, _, err := ts.srv.Transfer().ImportCSV(ctx, bytes.NewReader(csvs[name]), name, ""); err != nil {
			t.Fatalf("import %s: %v", name, err)
		}
	}
	return ""
}

// TestArchiveRoundTrip imports a Mastodon archive and CSV lists into a fresh Roost, exports it,
// imports the export into another fresh Roost, and finds the same posts (text, dates, content
// warnings, visibility, replies, hashtags, media bytes), follows, blocks, mutes, domain blocks,
// bookmarks and lists in both. The imported posts are not delivered to anyone.
func TestArchiveRoundTrip(t *testing.T) {
	alice, bob, carol, dave := newPeer(t, "alice"), newPeer(t, "bob"), newPeer(t, "carol"), newPeer(t, "dave")
	fan := newPeer(t, "fan")
	marked := alice.note("<p>worth keeping</p>", []string{archivetest.Public}, nil)
	alice.setDoc(strings.TrimPrefix(marked["id"].(string), alice.base), marked)

	old := "https://old.example/users/me"
	img1, img2 := archivetest.PNG(20, 10, 3), archivetest.PNG(7, 9, 5)
	src := archivetest.Archive{Actor: old, Username: "me", Bookmarks: []string{marked["id"].(string)},
		Likes: []string{"https://elsewhere.example/notes/1"},
		Posts: []archivetest.Post{
			{ID: old + "/statuses/1", Published: time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC), Visibility: "public",
				Text:     `<p>Hello <a href="https://old.example/tags/fediverse" class="mention hashtag" rel="tag">#<span>fediverse</span></a></p>`,
				Hashtags: []string{"fediverse"}, Images: [][]byte{img1, img2}},
			{ID: old + "/statuses/2", Published: time.Date(2021, 5, 6, 7, 8, 9, 0, time.UTC), Visibility: "unlisted",
				Summary: "spoilers", Text: "<p>the butler did it</p>", Language: "de"},
			{ID: old + "/statuses/3", Published: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), Visibility: "private",
				InReplyTo: old + "/statuses/1", Text: "<p>a reply to myself, for followers</p>"},
			{ID: old + "/statuses/4", Published: time.Date(2023, 3, 3, 3, 3, 3, 0, time.UTC), Visibility: "direct",
				Mentions: []string{alice.actor}, Text: "<p>psst</p>"},
			{ID: old + "/statuses/5", Published: time.Date(2023, 4, 4, 0, 0, 0, 0, time.UTC), Boost: true,
				InReplyTo: "https://elsewhere.example/notes/2"},
		}}
	var zipBuf bytes.Buffer
	if err := src.Write(&zipBuf); err != nil {
		t.Fatal(err)
	}
	csvs := map[string][]byte{
		"following_accounts.csv": []byte("Account address,Show boosts,Notify on new posts,Languages\n" +
			alice.handle() + ",true,false,\n" + bob.handle() + ",false,true,\"en,de\"\n"),
		"blocked_accounts.csv": []byte(carol.handle() + "\n"),
		"muted_accounts.csv":   []byte("Account address,Hide notifications\n" + dave.handle() + ",true\n"),
		"blocked_domains.csv":  []byte("spam.example\n"),
		"bookmarks.csv":        []byte(marked["id"].(string) + "\n"),
		"lists.csv":            []byte("Friends," + alice.handle() + "\n"),
	}

	ts1 := newTestServer(t, withMedia(t))
	followingPeer(t, ts1, fan)
	stop := make(chan struct{})
	defer close(stop)
	acceptFollows(t, ts1, stop, alice, bob)
	importAll(t, ts1, zipBuf.Bytes(), csvs)
	waitImported(t, ts1)
	first := snapshot(t, ts1)

	// What was imported is what the archive and lists held.
	if len(first.Posts) != 4 {
		t.Fatalf("%d posts imported, want 4 (the boost skipped): %+v", len(first.Posts), first.Posts)
	}
	p0, p1, p2, p3 := first.Posts[0], first.Posts[1], first.Posts[2], first.Posts[3]
	if p0.Text != "Hello #fediverse" || !p0.Published.Equal(src.Posts[0].Published) || p0.Visibility != "public" ||
		!slices.Contains(p0.Tags, "Hashtag #fediverse") || len(p0.Media) != 2 {
		t.Errorf("first post = %+v", p0)
	}
	if len(p0.Media) == 2 && (!bytes.Equal(p0.Media[0], img1) || !bytes.Equal(p0.Media[1], img2)) {
		t.Errorf("the imported images are not the archive's files")
	}
	if p1.Summary != "spoilers" || p1.Visibility != "unlisted" || p1.Language != "de" {
		t.Errorf("second post = %+v", p1)
	}
	if p2.Visibility != "private" || !p2.Reply {
		t.Errorf("third post = %+v, want followers-only and a reply to the first", p2)
	}
	if p3.Visibility != "direct" {
		t.Errorf("fourth post = %+v", p3)
	}
	want := accountState{
		Following: []string{alice.handle() + " accepted boosts=true notify=false languages=",
			bob.handle() + " accepted boosts=false notify=true languages=en,de"},
		Blocks:       []string{carol.handle()},
		Mutes:        []string{dave.handle()},
		DomainBlocks: []string{"spam.example"},
		Bookmarks:    []string{marked["id"].(string)},
		Lists:        []string{"Friends: " + alice.handle()},
	}
	got := first
	got.Posts = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after import:\n got %+v\nwant %+v", got, want)
	}
	if n := fan.count(ofType("Create")); n != 0 {
		t.Errorf("a follower received %d Creates of imported posts, want none", n)
	}

	// A second import adds nothing, and sets the options of a follow already there again (here
	// changed since to the defaults).
	yes, no := true, false
	if _, err := ts1.srv.app.SetFollowOptions(context.Background(), bob.actor, app.FollowOptions{
		Reblogs: &yes, Notify: &no, Languages: new([]string)}); err != nil {
		t.Fatal(err)
	}
	importAll(t, ts1, zipBuf.Bytes(), csvs)
	waitImported(t, ts1)
	if again := snapshot(t, ts1); !reflect.DeepEqual(again, first) {
		t.Errorf("a re-import changed the account")
	}

	var export bytes.Buffer
	if err := ts1.srv.Transfer().Export(context.Background(), &export); err != nil {
		t.Fatalf("export: %v", err)
	}
	zr, err := zip.NewReader(bytes.NewReader(export.Bytes()), int64(export.Len()))
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string][]byte{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		exported[f.Name] = b
	}
	for _, name := range []string{"actor.json", "outbox.json", "likes.json", "bookmarks.json", "site/index.html", "site/site.css"} {
		if exported[name] == nil {
			t.Errorf("export has no %s", name)
		}
	}
	if site := string(exported["site/index.html"]); !strings.Contains(site, "the butler did it") ||
		strings.Contains(site, "psst") || !strings.Contains(site, `src="../media_attachments/files/`) {
		t.Errorf("site/index.html shows the wrong posts:\n%s", site)
	}
	csvs2 := map[string][]byte{}
	for _, k := range archive.Kinds {
		csvs2[k.FileName()] = exported[k.FileName()]
	}

	ts2 := newTestServer(t, withMedia(t))
	acceptFollows(t, ts2, stop, alice, bob)
	importAll(t, ts2, export.Bytes(), csvs2)
	waitImported(t, ts2)
	second := snapshot(t, ts2)
	if !reflect.DeepEqual(first.Posts, second.Posts) {
		for i := range max(len(first.Posts), len(second.Posts)) {
			if i < len(first.Posts) && i < len(second.Posts) && reflect.DeepEqual(first.Posts[i], second.Posts[i]) {
				continue
			}
			a, b := first.Posts[i], second.Posts[i]
			for j := range a.Media {
				if j < len(b.Media) && !bytes.Equal(a.Media[j], b.Media[j]) {
					t.Errorf("post %d: media %d differs (%d bytes, %d bytes)", i, j, len(a.Media[j]), len(b.Media[j]))
				}
			}
			a.Media, b.Media = nil, nil
			if !reflect.DeepEqual(a, b) {
				t.Errorf("post %d differs after the round trip:\n got %+v\nwant %+v", i, b, a)
			}
		}
	}
	first.Posts, second.Posts = nil, nil
	if !reflect.DeepEqual(first, second) {
		t.Errorf("after the round trip:\n got %+v\nwant %+v", second, first)
	}
}

// TestImportSurvivesRestart queues a CSV list while the workers are stopped, restarts the
// server, and finds the rows applied by the new process.
func TestImportSurvivesRestart(t *testing.T) {
	ts := newTestServer(t, withMedia(t))
	ts.stopRun()
	_, rows, added, err := ts.srv.Transfer().ImportCSV(context.Background(), strings.NewReader("one.example\ntwo.example\n"), "blocked_domains.csv", "")
	if err != nil || rows != 2 || added != 2 {
		t.Fatalf("import: %d rows, %d new, %v", rows, added, err)
	}
	if d, _ := ts.st.DomainBlocks(context.Background()); len(d) != 0 {
		t.Fatalf("applied with the workers stopped: %v", d)
	}
	ts.restart(t)
	waitImported(t, ts)
	if d, _ := ts.st.DomainBlocks(context.Background()); len(d) != 2 {
		t.Errorf("after the restart the domain blocks are %v", d)
	}
	_, _, added, _ = ts.srv.Transfer().ImportCSV(context.Background(), strings.NewReader("one.example\nthree.example\n"), "blocked_domains.csv", "")
	if added != 1 {
		t.Errorf("a re-import added %d rows, want 1", added)
	}
}

// TestExportSitePages exports 120 public posts: the static copy has three pages, newest first,
// linked to each other, every post on exactly one.
func TestExportSitePages(t *testing.T) {
	ts := newTestServer(t, withMedia(t))
	var zipBuf bytes.Buffer
	src := archivetest.Archive{Actor: "https://old.example/users/me", Username: "me", PostCount: 120}
	if err := src.Write(&zipBuf); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.srv.Transfer().ImportArchive(context.Background(), bytes.NewReader(zipBuf.Bytes()), int64(zipBuf.Len()), nil); err != nil {
		t.Fatal(err)
	}
	var export bytes.Buffer
	if err := ts.srv.Transfer().Export(context.Background(), &export); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(export.Bytes()), int64(export.Len()))
	if err != nil {
		t.Fatal(err)
	}
	pages := map[string]string{}
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "site/") && strings.HasSuffix(f.Name, ".html") {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			pages[strings.TrimPrefix(f.Name, "site/")] = string(b)
		}
	}
	if len(pages) != 3 {
		t.Fatalf("site pages %v, want index.html, page-2.html, page-3.html", slices.Sorted(maps.Keys(pages)))
	}
	if !strings.Contains(pages["index.html"], "Generated post number 119 ") || !strings.Contains(pages["index.html"], `href="page-2.html"`) {
		t.Errorf("index.html does not start with the newest post or link the next page")
	}
	if !strings.Contains(pages["page-3.html"], "Generated post number 0 ") || !strings.Contains(pages["page-3.html"], `href="page-2.html"`) {
		t.Errorf("page-3.html does not end with the oldest post or link back")
	}
	seen := 0
	for _, p := range pages {
		seen += strings.Count(p, "<article")
	}
	if seen != 120 {
		t.Errorf("%d posts on the pages, want 120", seen)
	}
}
