package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseSearchQuery(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	for _, tc := range []struct {
		in   string
		want SearchQuery
	}{
		{"", SearchQuery{}},
		{"  hello   World ", SearchQuery{Terms: []string{"hello", "World"}}},
		{`"a phrase" word -not -"no phrase"`, SearchQuery{Terms: []string{"a phrase", "word"},
			Exclude: []string{"not", "no phrase"}}},
		{`"unterminated phrase`, SearchQuery{Terms: []string{"unterminated phrase"}}},
		{"from:me", SearchQuery{From: "me"}},
		{"from:@Bob@B.example x", SearchQuery{From: "bob@b.example", Terms: []string{"x"}}},
		{"-from:bob@b.example -from:carol", SearchQuery{NotFrom: []string{"bob@b.example", "carol"}}},
		{"has:media has:POLL -has:link", SearchQuery{Has: []string{"media", "poll"}, NotHas: []string{"link"}}},
		{"is:reply -is:sensitive", SearchQuery{Is: []string{"reply"}, NotIs: []string{"sensitive"}}},
		{"language:de", SearchQuery{Language: "de"}},
		{"before:2024-03-01 after:2024-01-31", SearchQuery{Before: day("2024-03-01"), After: day("2024-02-01")}},
		{"during:2024-02-29", SearchQuery{After: day("2024-02-29"), Before: day("2024-03-01")}},
		{"before:yesterday", SearchQuery{Terms: []string{"before:yesterday"}}},
		{"in:library in:all", SearchQuery{InLibrary: true}},
		{"https://x.example/a foo:bar in:space", SearchQuery{Terms: []string{"https://x.example/a", "foo:bar", "in:space"}}},
		{`- -- !! "" "from:me"`, SearchQuery{Terms: []string{"from:me"}}},
		{"#Tag @bob", SearchQuery{Terms: []string{"#Tag", "@bob"}}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := ParseSearchQuery(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseSearchQuery(%q) =\n%+v, want\n%+v", tc.in, got, tc.want)
			}
		})
	}
}

// searchFixture is a store with the owner, two remote accounts and posts to search.
type searchFixture struct {
	s          *Store
	clock      *fakeClock
	owner      *Account
	bob, carol *Account
	posts      map[string]*Post // by a name the tests use
}

func newSearchFixture(t *testing.T) *searchFixture {
	t.Helper()
	s, clock := newTestStore(t)
	f := &searchFixture{s: s, clock: clock, owner: createOwner(t, s), posts: map[string]*Post{}}
	f.bob = addRemote(t, s, "bob", "b.example", true)
	f.carol = addRemote(t, s, "carol", "c.example", false)
	poll := &Poll{Options: []string{"tabs", "spaces"}}
	for _, p := range []struct {
		name    string
		author  *Account
		content string
		set     func(p *Post)
	}{
		{"creme", f.bob, `<p>Crème brûlée in <a href="https://b.example/tags/paris" class="mention hashtag" rel="tag">#<span>Paris</span></a></p>`, nil},
		{"mention", f.carol, `<p><span class="h-card"><a href="https://b.example/@bob" class="u-url mention">@<span>bob</span></a></span> the dessert was fine</p>`, nil},
		{"link", f.bob, `<p>read <a href="https://news.example/x" rel="nofollow noopener noreferrer" target="_blank"><span class="invisible">https://</span><span>news.example/x</span></a> about dessert</p>`, nil},
		{"cw", f.carol, `<p>spoilers inside</p>`, func(p *Post) { p.Summary = "Movie ending"; p.Sensitive = true }},
		{"media", f.bob, `<p>a photo of dessert</p>`, func(p *Post) {
			p.Attachments = []Attachment{{Type: "Image", MediaType: "image/jpeg", URL: "https://b.example/1.jpg", Name: "a chocolate cake"}}
		}},
		{"poll", f.carol, `<p>which is better?</p>`, func(p *Post) { p.Type = "Question"; p.Poll = poll }},
		{"reply", f.carol, `<p>agreed, dessert &amp; coffee</p>`, func(p *Post) { p.InReplyTo = "https://b.example/notes/creme" }},
		{"deleted", f.bob, `<p>dessert to be deleted</p>`, nil},
		{"direct", f.bob, `<p>secret dessert</p>`, func(p *Post) { p.Visibility = Direct }},
	} {
		f.clock.Add(time.Hour)
		post := remotePost(p.author, "https://"+p.author.Host+"/notes/"+p.name, f.clock.Now())
		post.Content = p.content
		if p.set != nil {
			p.set(post)
		}
		if err := s.InsertRemotePost(context.Background(), post, nil); err != nil {
			t.Fatal(err)
		}
		f.posts[p.name] = post
	}
	f.clock.Add(time.Hour)
	own := createOwnerPost(t, s, f.owner, Public)
	own.Content, own.Source = "<p>my own dessert</p>", "my own dessert"
	if err := s.UpdatePost(context.Background(), own, PostChange{}, nil); err != nil {
		t.Fatal(err)
	}
	f.posts["own"] = own
	if err := s.DeletePost(context.Background(), f.posts["deleted"].ID, nil); err != nil {
		t.Fatal(err)
	}
	return f
}

// names returns the fixture's names of posts, in their order.
func (f *searchFixture) names(posts []*Post) []string {
	var out []string
	for _, p := range posts {
		for name, q := range f.posts {
			if q.ID == p.ID {
				out = append(out, name)
			}
		}
	}
	return out
}

func (f *searchFixture) search(t *testing.T, q string) []string {
	t.Helper()
	posts, err := f.s.SearchPosts(context.Background(), ParseSearchQuery(q))
	if err != nil {
		t.Fatalf("SearchPosts(%q): %v", q, err)
	}
	return f.names(posts)
}

// Status search finds posts by the words of their text, content warning, poll options and media
// descriptions (diacritics and case ignored), never by their markup, never a deleted post, newest
// first; and Mastodon's operators narrow it.
func TestSearchPosts(t *testing.T) {
	f := newSearchFixture(t)
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"creme BRULEE", []string{"creme"}},
		{"crème", []string{"creme"}},
		{"#paris", []string{"creme"}},
		{"paris", []string{"creme"}},
		{"dessert", []string{"own", "direct", "reply", "media", "link", "mention"}},
		{`"was fine"`, []string{"mention"}},
		{`"fine was"`, nil},
		{"dessert -coffee -photo", []string{"own", "direct", "link", "mention"}},
		{"-dessert from:carol@c.example", []string{"poll", "cw"}},
		{"from:carol", nil},              // a bare username is the owner's
		{"movie", []string{"cw"}},        // the content warning
		{"chocolate", []string{"media"}}, // the media description
		{"spaces", []string{"poll"}},     // a poll option
		{"news.example", []string{"link"}},
		{"deleted", nil},
		{"span", nil}, // markup is not text
		{"mention", nil},
		{"href", nil},
		{"nofollow", nil},
		{"dessert from:me", []string{"own"}},
		{"dessert from:bob@b.example", []string{"direct", "media", "link"}},
		{"dessert from:@bob@B.example", []string{"direct", "media", "link"}},
		{"dessert from:nobody@b.example", nil},
		{"dessert -from:bob@b.example -from:me", []string{"reply", "mention"}},
		{"from:carol@c.example", []string{"reply", "poll", "cw", "mention"}},
		{"dessert has:media", []string{"media"}},
		{"has:image", []string{"media"}},
		{"has:video", nil},
		{"has:poll", []string{"poll"}},
		{"has:link", []string{"link"}},
		{"dessert -has:link", []string{"own", "direct", "reply", "media", "mention"}},
		{"has:embed", nil},
		{"has:unknown", nil},
		{"is:reply", []string{"reply"}},
		{"is:sensitive", []string{"cw"}},
		{"dessert -is:reply", []string{"own", "direct", "media", "link", "mention"}},
		{"in:library", []string{"own"}},
		{"during:2025-01-02 from:bob@b.example", []string{"direct", "media", "link", "creme"}},
		{"after:2025-01-02", nil},
		{"before:2025-01-02", nil},
		{"!!! ---", nil},
		{"", nil},
	} {
		t.Run(tc.q, func(t *testing.T) {
			if got := f.search(t, tc.q); !slices.Equal(got, tc.want) {
				t.Errorf("search %q = %q, want %q", tc.q, got, tc.want)
			}
		})
	}
}

// An edit re-indexes a post: its old words no longer find it, its new ones do; and a post gone
// with its account is gone from the index.
func TestSearchPostsFollowsEditsAndDeletes(t *testing.T) {
	f := newSearchFixture(t)
	ctx := context.Background()
	own := f.posts["own"]
	own.Content, own.Source = "<p>rewritten entirely</p>", "rewritten entirely"
	if err := f.s.UpdatePost(ctx, own, PostChange{}, nil); err != nil {
		t.Fatal(err)
	}
	if got := f.search(t, "dessert from:me"); got != nil {
		t.Errorf("old words after the edit found %q", got)
	}
	if got := f.search(t, "rewritten"); !slices.Equal(got, []string{"own"}) {
		t.Errorf("new words after the edit found %q, want the edited post", got)
	}
	if err := f.s.DeleteAccount(ctx, f.carol.ID); err != nil {
		t.Fatal(err)
	}
	if n := count(t, f.s, `SELECT count(*) FROM post_search WHERE post_search MATCH 'spoilers'`); n != 0 {
		t.Errorf("%d index rows of a deleted account's posts remain", n)
	}
	if n := count(t, f.s, `SELECT count(*) FROM post_search WHERE post_search MATCH 'deleted'`); n != 0 {
		t.Errorf("%d index rows of a deleted post remain", n)
	}
}

// in:library finds what the owner liked, boosted or bookmarked, beside their own posts.
func TestSearchPostsInLibrary(t *testing.T) {
	f := newSearchFixture(t)
	ctx := context.Background()
	if err := f.s.AddLike(ctx, &Reaction{IRI: ownerIRI + "/likes/1", AccountID: f.owner.ID, PostID: f.posts["link"].ID}, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.s.AddBoost(ctx, &Reaction{IRI: ownerIRI + "/boosts/1", AccountID: f.owner.ID, PostID: f.posts["media"].ID,
		Visibility: Public}, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Bookmark(ctx, f.posts["mention"].ID, true); err != nil {
		t.Fatal(err)
	}
	if err := f.s.AddLike(ctx, &Reaction{IRI: "https://b.example/likes/1", AccountID: f.bob.ID, PostID: f.posts["reply"].ID}, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := f.search(t, "dessert in:library"), []string{"own", "media", "link", "mention"}; !slices.Equal(got, want) {
		t.Errorf("in:library = %q, want %q", got, want)
	}
}

// Pages of a search follow each other without a gap or a repeat.
func TestSearchPostsPaging(t *testing.T) {
	f := newSearchFixture(t)
	all := f.search(t, "dessert")
	var paged []string
	for offset := 0; ; offset += 4 {
		q := ParseSearchQuery("dessert")
		q.Offset, q.Limit = offset, 4
		posts, err := f.s.SearchPosts(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if len(posts) == 0 {
			break
		}
		paged = append(paged, f.names(posts)...)
	}
	if !slices.Equal(paged, all) || len(all) != 6 {
		t.Errorf("pages of 4 = %q, all at once %q", paged, all)
	}
}

// The migration indexes the posts stored before it, without their markup and without deleted ones.
func TestSearchMigrationIndexesStoredPosts(t *testing.T) {
	file := filepath.Join(t.TempDir(), "roost.db")
	s := openStore(t, file)
	f := &searchFixture{s: s, posts: map[string]*Post{}}
	ctx := context.Background()
	bob := addRemote(t, s, "bob", "b.example", true)
	for i, content := range []string{
		`<p>Crème <a href="https://b.example/tags/paris" class="mention hashtag" rel="tag">#<span>Paris</span></a></p>`,
		`<p>see <a href="https://news.example/x">news</a> &amp; more&#39;s</p>`,
		`<p>gone soon</p>`,
	} {
		p := remotePost(bob, fmt.Sprintf("https://b.example/notes/%d", i), testEpoch.Add(time.Duration(i)*time.Hour))
		p.Content = content
		if i == 1 {
			p.Attachments = []Attachment{{Type: "Image", URL: "https://b.example/1.png", Name: "a red bicycle"}}
		}
		if err := s.InsertRemotePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		f.posts[fmt.Sprint(i)] = p
	}
	if err := s.DeletePost(ctx, f.posts["2"].ID, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, file, false)
	for _, q := range []string{`DROP TABLE post_search`, `DROP TRIGGER post_search_deleted`,
		`DROP TRIGGER post_search_tombstoned`, `ALTER TABLE follows DROP COLUMN show_reblogs`, `ALTER TABLE follows DROP COLUMN notify`, `ALTER TABLE follows DROP COLUMN languages`, `ALTER TABLE accounts DROP COLUMN noindex`, `ALTER TABLE accounts DROP COLUMN noai`,
		`PRAGMA user_version = 15`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	f.s = openStore(t, file)
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"creme", []string{"0"}},
		{"paris", []string{"0"}},
		{"more's", []string{"1"}},
		{"bicycle", []string{"1"}},
		{"has:link", []string{"1"}},
		{"gone", nil},
		{"mention", nil},
		{"href", nil},
		{"amp", nil},
	} {
		if got := f.search(t, tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("after the migration, search %q = %q, want %q", tc.q, got, tc.want)
		}
	}
}

// A search by words walks the index in post order and stops after its page, and one by operators
// alone walks posts by id: neither sorts every match.
func TestSearchPostsQueryPlans(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)
	bob := addRemote(t, s, "bob", "b.example", false)
	for i := range 200 {
		p := remotePost(bob, fmt.Sprintf("https://b.example/notes/%d", i), testEpoch.Add(-time.Duration(i)*time.Minute))
		p.Content = fmt.Sprintf("<p>dessert %d</p>", i)
		if err := s.InsertRemotePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		createOwnerPost(t, s, owner, Public)
	}
	if _, err := s.w.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{"dessert", "dessert -coffee from:bob@b.example has:media is:reply",
		"from:me", "-coffee in:library", "has:link"} {
		q := ParseSearchQuery(in)
		query, args, ok := q.sql()
		if !ok {
			t.Fatalf("%q: no query", in)
		}
		if plan := queryPlan(t, s, query, args...); strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("search %q sorts its matches:\n%s", in, plan)
		}
	}
}

// Accounts are found by a prefix of their username, handle or display name (or a word of it), the
// exact handle first, then those the owner follows.
func TestSearchAccounts(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	owner := createOwner(t, s)
	mk := func(name, host, display string) *Account {
		a := addRemote(t, s, name, host, false)
		a.DisplayName = display
		out, err := s.UpsertAccount(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	mk("alice", "a.example", "Alice Liddell")
	alicia := mk("alicia", "b.example", "Alicia")
	mk("alice", "z.example", "Another Alice")
	mk("bob", "b.example", "Bob 100%_sure")
	follow := &Follow{IRI: ownerIRI + "/follows/1", FollowerID: owner.ID, FolloweeID: alicia.ID}
	if err := s.FollowAccount(ctx, follow, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SetFollowState(ctx, follow.ID, Accepted, nil); err != nil {
		t.Fatal(err)
	}
	handles := func(q string, offset, limit int, following bool) []string {
		t.Helper()
		found, err := s.SearchAccounts(ctx, q, offset, limit, following)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, a := range found {
			h := a.Handle()
			if a.Followed {
				h += "+"
			}
			out = append(out, h)
		}
		return out
	}
	for _, tc := range []struct {
		q         string
		following bool
		want      []string
	}{
		{"alice", false, []string{"alice@a.example", "alice@z.example"}},
		{"ALI", false, []string{"alicia@b.example+", "alice@a.example", "alice@z.example"}},
		{"@alice@z", false, []string{"alice@z.example"}},
		{"alice@z.example", false, []string{"alice@z.example"}},
		{"liddell", false, []string{"alice@a.example"}},
		{"another", false, []string{"alice@z.example"}},
		{"me", false, []string{"me@roost.example"}},
		{"@me@roost.example", false, []string{"me@roost.example"}},
		{"ali", true, []string{"alicia@b.example+"}},
		{"%", false, nil},
		{"_", false, nil},
		{"bob 100%_", false, []string{"bob@b.example"}},
		{"nobody", false, nil},
		{"@", false, nil},
	} {
		if got := handles(tc.q, 0, 10, tc.following); !slices.Equal(got, tc.want) {
			t.Errorf("SearchAccounts(%q, following %v) = %q, want %q", tc.q, tc.following, got, tc.want)
		}
	}
	if got, want := handles("ali", 1, 1, false), []string{"alice@a.example"}; !slices.Equal(got, want) {
		t.Errorf("second page of one = %q, want %q", got, want)
	}
}

// Hashtags are found by a prefix of their name, the exact name first, then the most used; tags of
// deleted or non-public posts are not counted.
func TestSearchTags(t *testing.T) {
	s, clock := newTestStore(t)
	ctx := context.Background()
	createOwner(t, s)
	bob := addRemote(t, s, "bob", "b.example", false)
	n := 0
	post := func(vis string, tags ...string) *Post {
		n++
		clock.Add(time.Minute)
		p := remotePost(bob, fmt.Sprintf("https://b.example/notes/%d", n), clock.Now())
		p.Visibility = vis
		for _, tag := range tags {
			p.Tags = append(p.Tags, Tag{Type: "Hashtag", Name: "#" + tag})
		}
		if err := s.InsertRemotePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
		return p
	}
	post(Public, "Go", "golang")
	post(Public, "golang")
	last := post(Unlisted, "golang", "gopher")
	post(Direct, "gosecret")
	gone := post(Public, "gone")
	if err := s.DeletePost(ctx, gone.ID, nil); err != nil {
		t.Fatal(err)
	}
	found, err := s.SearchTags(ctx, "#GO", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tag := range found {
		got = append(got, fmt.Sprintf("%s:%d", tag.Name, tag.Posts))
	}
	if want := []string{"go:1", "golang:3", "gopher:1"}; !slices.Equal(got, want) {
		t.Errorf("SearchTags(#GO) = %q, want %q", got, want)
	}
	if !found[1].LastUsed.Equal(IDTime(last.ID)) {
		t.Errorf("golang last used %v, want %v", found[1].LastUsed, IDTime(last.ID))
	}
	if page, _ := s.SearchTags(ctx, "go", 2, 1); len(page) != 1 || page[0].Name != "gopher" {
		t.Errorf("third tag alone = %+v, want gopher", page)
	}
}

// No query, whatever its words, quotes and operators, makes SearchPosts fail: user input never
// reaches FTS5 as syntax.
func FuzzSearchQuery(f *testing.F) {
	for _, seed := range []string{"", "dessert", `"a phrase" -word`, "from:me has:link -has:media is:reply",
		`NOT AND OR ( ) * ^ : { } + -`, `"""`, `col : x`, "before:2024-01-01 during:2024-13-99", "\x00 \xff",
		"-\"\" - -- \"", "NEAR(a b, 3)", "ΣΊΣΥΦΟΣ ﬁ ǅ", "e\u0301", "\U000F0000"} {
		f.Add(seed)
	}
	s, _ := newTestStore(f)
	ctx := context.Background()
	owner := createOwner(f, s)
	p := createOwnerPost(f, s, owner, Public)
	p.Content = "<p>a phrase and a word, NOT AND OR dessert</p>"
	if err := s.UpdatePost(ctx, p, PostChange{}, nil); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		q := ParseSearchQuery(in)
		if _, err := s.SearchPosts(ctx, q); err != nil {
			t.Fatalf("SearchPosts(%q) = %v", in, err)
		}
		for _, in := range []string{in, strings.Join(q.Terms, " ")} {
			if _, err := s.SearchAccounts(ctx, in, 0, 5, false); err != nil {
				t.Fatalf("SearchAccounts(%q) = %v", in, err)
			}
			if _, err := s.SearchTags(ctx, in, 0, 5); err != nil {
				t.Fatalf("SearchTags(%q) = %v", in, err)
			}
		}
	})
}

// BenchmarkSearchPosts searches 50,000 posts of 30 words each, drawn from 5,000 words with a
// Zipf distribution (as words are), for a common word, a rare one, a phrase, a word by one
// author, an operator alone, and a common word with a negation.
func BenchmarkSearchPosts(b *testing.B) {
	s, _ := newTestStore(b)
	ctx := context.Background()
	createOwner(b, s)
	var authors []*Account
	for i := range 50 {
		authors = append(authors, addRemote(b, s, fmt.Sprintf("user%d", i), fmt.Sprintf("h%d.example", i%7), true))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(rng, 1.1, 1, 4999)
	word := func() string { return fmt.Sprintf("w%d", zipf.Uint64()) }
	const total = 50000
	start := testEpoch.Add(-total * time.Minute)
	for batch := 0; batch < total; batch += 5000 {
		err := s.tx(ctx, func(tx *wtx) error {
			for i := batch; i < batch+5000; i++ {
				var text strings.Builder
				for range 30 {
					text.WriteString(word() + " ")
				}
				a := authors[i%len(authors)]
				p := remotePost(a, fmt.Sprintf("https://%s/notes/%d", a.Host, i), start.Add(time.Duration(i)*time.Minute))
				p.Content = `<p>` + text.String() + `<a href="https://x.example/tags/t" class="mention hashtag" rel="tag">#<span>t</span></a></p>`
				if i%10 == 0 {
					p.Attachments = []Attachment{{Type: "Image", URL: "https://x.example/i.png", Name: word()}}
				}
				if err := s.insertPost(ctx, tx, p, nil, true); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for _, q := range []string{"w1", "w4000", `"w1 w2"`, "w3 from:user7@h0.example", "has:media", "w1 -w2", "w1 is:reply"} {
		b.Run(q, func(b *testing.B) {
			query := ParseSearchQuery(q)
			query.Limit = 20
			for b.Loop() {
				if _, err := s.SearchPosts(ctx, query); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
