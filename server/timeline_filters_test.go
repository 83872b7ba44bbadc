package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"roost/server/activitypub"
	"roost/server/app"
	"roost/store"
)

// Filters apply in the query, before paging (issue #22, item 8): a profile whose latest 40 posts
// hold 3 with media among many shows exactly those 3 on its media tab, with a Link header.
func TestTimelineFiltersBeforePaging(t *testing.T) {
	ts := newTestServer(t)
	api := newAPIClient(t, ts, "read")
	ctx := context.Background()
	const iri = "https://far.example/users/ann"
	ann, err := ts.st.UpsertAccount(ctx, &store.Account{IRI: iri, Type: "Person", Username: "ann", Host: "far.example",
		URL: "https://far.example/@ann", Inbox: iri + "/inbox", FollowersURL: iri + "/followers"})
	if err != nil {
		t.Fatal(err)
	}
	// 60 posts, newest last: media on 25, 40 and 52; replies to another account on every
	// fifth; #cats on 10 and 55; a reply to herself on 57.
	start := time.Now().Add(-time.Hour)
	for i := range 60 {
		published := start.Add(time.Duration(i) * time.Second)
		postIRI := fmt.Sprintf("%s/statuses/%d", iri, i)
		p := &store.Post{ID: store.IDAt(published, postIRI), IRI: postIRI, AccountID: ann.ID, URL: postIRI, Type: "Note",
			Visibility: store.Public, Content: fmt.Sprintf("<p>post %d</p>", i), To: []string{activitypub.Public},
			Published: published}
		switch i {
		case 25, 40, 52:
			p.Attachments = []store.Attachment{{Type: "Document", MediaType: "image/png", URL: fmt.Sprintf("https://far.example/%d.png", i)}}
		case 10, 55:
			p.Tags = []store.Tag{{Type: "Hashtag", Name: "#cats", Href: "https://far.example/tags/cats"}}
		case 57:
			p.InReplyTo = fmt.Sprintf("%s/statuses/%d", iri, 56)
		}
		if i%5 == 0 && i != 10 && i != 40 && i != 55 {
			p.InReplyTo = "https://elsewhere.example/notes/1"
		}
		if err := ts.st.InsertRemotePost(ctx, p, nil); err != nil {
			t.Fatal(err)
		}
	}
	path := fmt.Sprintf("/api/v1/accounts/%d/statuses", ann.ID)
	contents := func(l []map[string]any) []string {
		var out []string
		for _, s := range l {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(str(s["content"]), "<p>"), "</p>"))
		}
		return out
	}
	nextOf := func(t *testing.T, resp *http.Response) string {
		t.Helper()
		link := resp.Header.Get("Link")
		i, j := strings.Index(link, "<"), strings.Index(link, `>; rel="next"`)
		if i < 0 || j < i {
			t.Fatalf("Link header = %q, want a next link", link)
		}
		u, err := url.Parse(link[i+1 : j])
		if err != nil {
			t.Fatal(err)
		}
		return u.RequestURI()
	}

	l, resp := api.list(t, path+"?only_media=true&limit=3")
	if got := strings.Join(contents(l), ", "); got != "post 52, post 40, post 25" {
		t.Errorf("only_media=true&limit=3 = [%s], want posts 52, 40 and 25", got)
	}
	next := nextOf(t, resp)
	if !strings.Contains(next, "only_media=true") {
		t.Errorf("next link %q lost only_media", next)
	}
	if l, _ := api.list(t, next); len(l) != 0 {
		t.Errorf("the page after the last media post = %v, want none", contents(l))
	}

	l, _ = api.list(t, path+"?exclude_replies=1&limit=5")
	if got := strings.Join(contents(l), ", "); got != "post 59, post 58, post 57, post 56, post 55" {
		t.Errorf("exclude_replies = [%s], want 59 to 55 (57 replies to her own post)", got)
	}
	l, _ = api.list(t, path+"?tagged=cats")
	if got := strings.Join(contents(l), ", "); got != "post 55, post 10" {
		t.Errorf("tagged=cats = [%s], want 55 and 10", got)
	}

	// The public timeline: remote and only_media in the query too.
	if _, err := ts.srv.App().Post(ctx, app.PostInput{Text: "the owner post"}); err != nil {
		t.Fatal(err)
	}
	l, _ = api.list(t, "/api/v1/timelines/public?remote=true&only_media=true&limit=2")
	if got := strings.Join(contents(l), ", "); got != "post 52, post 40" {
		t.Errorf("public remote only_media limit=2 = [%s], want 52 and 40", got)
	}
	l, _ = api.list(t, "/api/v1/timelines/public?local=true")
	if got := strings.Join(contents(l), ", "); got != "the owner post" {
		t.Errorf("public local = [%s], want only the owner's post", got)
	}
	l, _ = api.list(t, "/api/v1/timelines/tag/cats?only_media=true")
	if len(l) != 0 {
		t.Errorf("tag cats only_media = %v, want none", contents(l))
	}
}
