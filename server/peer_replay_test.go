package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"roost/server/app"
)

// Activity ids are reused in the wild; what was sent (the id and the body's bytes) tells a replay
// from a new activity (issue #24, item 8). Each case replays the peers' real requests.
func TestPeerTrafficReusedActivityIDs(t *testing.T) {
	c := newCapServer(t)
	api := newAPIClient(t, c.testServer, "read", "write", "follow")
	status := func(t *testing.T, iri string) map[string]any { t.Helper(); return c.capStatus(t, api, iri) }

	t.Run("writefreely Update with its Create's id", func(t *testing.T) {
		c.follows(t, "https://wf.test/api/collections/dave")
		c.replayAccepted(t, "writefreely/14", "writefreely/19")
		st := status(t, "https://wf.test/api/posts/kbgqimlwt1")
		if text := str(st["content"]); !strings.Contains(text, "edited body") || !strings.Contains(text, "(edited)") {
			t.Errorf("content after WriteFreely's edit = %q, want the edited title and body", text)
		}
		if st["edited_at"] == nil {
			t.Error("edited_at is null after the edit")
		}
	})

	edits := []struct{ name, actor, post, create, edit1, edit2, want string }{
		{"gotosocial", "https://gts.test/users/carol", "https://gts.test/users/carol/statuses/01M96GPRMHDNXCF22QFDGX9DH4",
			"gotosocial/29", "gotosocial/39", "gotosocial/58", "Plain public note from GoToSocial (edited twice)"},
		{"honk", "https://honk.test/u/bob", "https://honk.test/u/bob/h/TKQvP6345fWbp7HBN5",
			"honk/11", "honk/20", "honk/33", "Plain public honk from bob (edited twice)"},
	}
	for _, tt := range edits {
		t.Run(tt.name+" one Update id for every edit", func(t *testing.T) {
			c.follows(t, tt.actor)
			c.replayAccepted(t, tt.create, tt.edit1, tt.edit2)
			if text := str(status(t, tt.post)["content"]); !strings.Contains(text, tt.want) {
				t.Errorf("content after the second edit = %q, want %q", text, tt.want)
			}
			// The first edit again, as a late copy: the newer text stays.
			before := c.rowCounts(t)
			c.replayAccepted(t, tt.edit1)
			if text := str(status(t, tt.post)["content"]); !strings.Contains(text, tt.want) {
				t.Errorf("content after the first edit came again = %q, want %q", text, tt.want)
			}
			assertUnchanged(t, before, c.rowCounts(t))
		})
	}

	t.Run("snac like, undo, like again", func(t *testing.T) {
		target := fmt.Sprintf("/api/v1/statuses/%d", capTarget)
		count := func(what string) int {
			t.Helper()
			l, _ := api.list(t, target+"/"+what)
			return len(l)
		}
		// Like, boost and emoji reaction; their Undos; then the reaction and the boost again,
		// under the ids of the first ones (snac derives them from the target).
		c.replayAccepted(t, "snac/30", "snac/31", "snac/32")
		if count("favourited_by") != 1 || count("reblogged_by") != 1 {
			t.Fatalf("after like and boost: %d favourites, %d boosts; want 1 and 1", count("favourited_by"), count("reblogged_by"))
		}
		c.replayAccepted(t, "snac/33", "snac/34", "snac/35")
		if count("favourited_by") != 0 || count("reblogged_by") != 0 {
			t.Fatalf("after the Undos: %d favourites, %d boosts; want none", count("favourited_by"), count("reblogged_by"))
		}
		c.replayAccepted(t, "snac/41", "snac/42")
		if count("favourited_by") != 1 || count("reblogged_by") != 1 {
			t.Errorf("after reacting and boosting again: %d favourites, %d boosts; want 1 and 1", count("favourited_by"), count("reblogged_by"))
		}
		// An Undo applied twice is harmless: the copy of the first Undo of the boost, sent
		// again byte for byte, is dropped, and the new boost stays.
		before := c.rowCounts(t)
		c.replayAccepted(t, "snac/34", "snac/42")
		if count("reblogged_by") != 1 {
			t.Errorf("after copies of the Undo and the boost: %d boosts, want 1", count("reblogged_by"))
		}
		assertUnchanged(t, before, c.rowCounts(t))
	})

	t.Run("misskey follow, undo, follow again", func(t *testing.T) {
		kate := c.account(t, "https://misskey.test/users/aufv39fqou7c001u")
		ctx := context.Background()
		followState := func() string {
			f, err := c.st.FollowBetween(ctx, kate.ID, c.srv.Owner().ID)
			if err != nil {
				return "none"
			}
			return f.State
		}
		c.replayAccepted(t, "misskey/24")
		if s := followState(); s != "accepted" {
			t.Fatalf("after the Follow: %s, want accepted", s)
		}
		// Misskey's Undo names the Follow .../follows/A/B, not the id of the Follow it sent.
		c.replayAccepted(t, "misskey/49")
		if s := followState(); s != "none" {
			t.Fatalf("after the Undo: %s, want none", s)
		}
		c.replayAccepted(t, "misskey/54")
		if s := followState(); s != "accepted" {
			t.Fatalf("after the second Follow: %s, want accepted", s)
		}
		// A byte-for-byte copy of the processed Undo is a replay, not a new unfollow; a second
		// real Undo carries another published time (see TestInboxReusedIDs in store/queue).
		c.replayAccepted(t, "misskey/49")
		if s := followState(); s != "accepted" {
			t.Errorf("after a copy of the old Undo: %s, want accepted", s)
		}
	})
}

// What the peers' traffic showed besides reused ids (issue #24, items 10, 11 and the list after
// them), each from the peer's real request.
func TestPeerTrafficQuirks(t *testing.T) {
	c := newCapServer(t)
	api := newAPIClient(t, c.testServer, "read", "write", "follow")
	c.follows(t, "https://honk.test/u/bob")

	t.Run("honk alt text in summary", func(t *testing.T) {
		c.replayAccepted(t, "honk/16")
		media, _ := c.capStatus(t, api, "https://honk.test/u/bob/h/6vBpknCD1Gyc78Z5tz")["media_attachments"].([]any)
		if len(media) != 1 {
			t.Fatalf("media_attachments = %v, want one", media)
		}
		if d := str(media[0].(map[string]any)["description"]); d != "A plain blue square (alt text from honk)" {
			t.Errorf("description = %q, want honk's summary, not its file name", d)
		}
	})

	t.Run("instance actor outbox", func(t *testing.T) {
		code, body := c.replayBody(t, "gotosocial/27")
		if code != http.StatusOK {
			t.Fatalf("GET /actor/outbox (GoToSocial's request): %d, want 200: %s", code, body)
		}
		doc := decodeJSON(t, body)
		if doc["type"] != "OrderedCollection" || doc["totalItems"] != float64(0) || doc["id"] != "https://cap.test/actor/outbox" {
			t.Errorf("instance outbox = %s, want an empty OrderedCollection", body)
		}
	})

	t.Run("snac poll vote with content <br>", func(t *testing.T) {
		notes := func() int { l, _ := api.list(t, "/api/v1/notifications"); return len(l) }
		before := notes()
		c.replayAccepted(t, "snac/43")
		poll := api.json(t, "GET", "/api/v1/statuses/"+strconv.FormatInt(capPoll, 10), nil, http.StatusOK)["poll"].(map[string]any)
		opts := poll["options"].([]any)
		if yes := opts[0].(map[string]any); yes["title"] != "Yes" || yes["votes_count"] != float64(1) {
			t.Errorf("poll options after snac's vote = %v, want Yes counted once", opts)
		}
		if _, err := c.st.PostByIRI(context.Background(), "https://snac.test/alice/p/1796589461.928021"); err == nil {
			t.Error("snac's vote was stored as a post")
		}
		if n := notes(); n != before {
			t.Errorf("%d notifications after the vote, want %d (a vote is no mention)", n, before)
		}
	})

	t.Run("honk ChatMessage", func(t *testing.T) {
		c.replayAccepted(t, "honk/19")
		st := c.capStatus(t, api, "https://honk.test/u/bob/chonk/8D2sn63RPb61nmRsPj")
		if st["visibility"] != "direct" || !strings.Contains(str(st["content"]), "A private chat message (chonk) from honk") {
			t.Errorf("honk's ChatMessage = %v %q, want a direct message with its text", st["visibility"], st["content"])
		}
		convs, _ := api.list(t, "/api/v1/conversations")
		found := false
		for _, cv := range convs {
			if last, ok := cv["last_status"].(map[string]any); ok && last["id"] == st["id"] {
				found = true
			}
		}
		if !found {
			t.Errorf("honk's ChatMessage is not among the direct conversations: %v", convs)
		}
	})

	t.Run("honk repeated hashtag", func(t *testing.T) {
		c.replayAccepted(t, "honk/31")
		body := captureBody(t, "honk/31")
		iri := decodeJSON(t, body)["object"].(map[string]any)["id"].(string)
		tags, _ := c.capStatus(t, api, iri)["tags"].([]any)
		if len(tags) != 1 {
			t.Errorf("tags = %v, want roostcorpus once", tags)
		}
	})
}

// robots.txt allows the public pages; the owner's opt-outs of search engines and of AI crawlers
// reach robots.txt, the actor, the pages and the API (issue #24, item 12). The requests are
// GoToSocial's fetch of /robots.txt and of the actor and Misskey's of the profile page.
func TestPeerTrafficRobots(t *testing.T) {
	c := newCapServer(t)
	api := newAPIClient(t, c.testServer, "read", "write")
	robots := func() string {
		t.Helper()
		code, body := c.replayBody(t, "gotosocial/23")
		if code != http.StatusOK {
			t.Fatalf("GET /robots.txt: %d, want 200", code)
		}
		return string(body)
	}
	page := func() string {
		t.Helper()
		code, body := c.replayBody(t, "misskey/22")
		if code != http.StatusOK {
			t.Fatalf("GET /@me: %d, want 200", code)
		}
		return string(body)
	}
	indexable := func() any {
		t.Helper()
		code, body := c.replayBody(t, "gotosocial/16")
		if code != http.StatusOK {
			t.Fatalf("GET /users/me: %d, want 200", code)
		}
		return decodeJSON(t, body)["indexable"]
	}
	noindexAPI := func() any {
		return api.json(t, "GET", "/api/v1/accounts/verify_credentials", nil, http.StatusOK)["noindex"]
	}

	txt := robots()
	for _, want := range []string{"User-agent: *", "Disallow: /api/", "Disallow: /settings/", "Allow: /"} {
		if !strings.Contains(txt, want) {
			t.Errorf("robots.txt lacks %q:\n%s", want, txt)
		}
	}
	if strings.Contains(txt, "GPTBot") || strings.Contains(txt, "Disallow: /\n") {
		t.Errorf("robots.txt keeps crawlers away before the owner asked:\n%s", txt)
	}
	if strings.Contains(page(), `name="robots"`) {
		t.Error("the profile page has a robots meta tag before the owner asked")
	}
	if indexable() != true || noindexAPI() != false {
		t.Errorf("before opting out: actor indexable %v, API noindex %v; want true and false", indexable(), noindexAPI())
	}

	yes := true
	if _, err := c.srv.App().UpdateProfile(context.Background(), app.ProfileInput{NoIndex: &yes, NoAI: &yes}); err != nil {
		t.Fatal(err)
	}
	txt = robots()
	for _, want := range []string{"User-agent: GPTBot", "User-agent: CCBot", "User-agent: ClaudeBot", "User-agent: Google-Extended",
		"User-agent: *\n# The owner keeps search engines away.\nDisallow: /\n"} {
		if !strings.Contains(txt, want) {
			t.Errorf("robots.txt after opting out lacks %q:\n%s", want, txt)
		}
	}
	if p := page(); !strings.Contains(p, `<meta name="robots" content="noindex, noai, noimageai">`) {
		t.Errorf("the profile page after opting out has no robots meta tag:\n%s", truncate(p, 800))
	}
	if indexable() != false || noindexAPI() != true {
		t.Errorf("after opting out: actor indexable %v, API noindex %v; want false and true", indexable(), noindexAPI())
	}
}

// Emoji reactions keep their emoji (issue #24, item 14): Misskey's custom :roostcheck:, snac's
// EmojiReact, and Misskey's heart, which is its plain like. The API shows them as Pleroma's
// emoji_reactions and pleroma:emoji_reaction notifications; the web page next to the post.
func TestPeerTrafficEmojiReactions(t *testing.T) {
	c := newCapServer(t)
	api := newAPIClient(t, c.testServer, "read")
	c.replayAccepted(t, "misskey/38", "misskey/61", "snac/32")
	const icon = "https://misskey.test/files/129b75d3-a27c-4a5f-a443-c9400b91bacd"

	reactions := func(id int64) []any {
		t.Helper()
		st := api.json(t, "GET", "/api/v1/statuses/"+strconv.FormatInt(id, 10), nil, http.StatusOK)
		pl, _ := st["pleroma"].(map[string]any)
		l, _ := pl["emoji_reactions"].([]any)
		return l
	}
	if got := reactions(capTarget2); len(got) != 1 || fmt.Sprint(got[0]) != fmt.Sprint(map[string]any{
		"name": "roostcheck", "count": float64(1), "me": false, "url": icon}) {
		t.Errorf("emoji_reactions of the second target = %v, want :roostcheck: with its image", got)
	}
	if got := reactions(capTarget); len(got) != 1 || got[0].(map[string]any)["name"] != "😀" || got[0].(map[string]any)["url"] != nil {
		t.Errorf("emoji_reactions of the first target = %v, want snac's 😀 only (Misskey's heart is a like)", got)
	}

	notes, _ := api.list(t, "/api/v1/notifications")
	var kinds []string
	for _, n := range notes {
		kinds = append(kinds, fmt.Sprintf("%s %v %v", n["type"], n["emoji"], n["emoji_url"]))
	}
	slices.Sort(kinds)
	want := []string{"favourite <nil> <nil>", "pleroma:emoji_reaction :roostcheck: " + icon, "pleroma:emoji_reaction 😀 <nil>"}
	if !slices.Equal(kinds, want) {
		t.Errorf("notifications = %q, want %q", kinds, want)
	}

	_, page := c.get(t, "/@me/"+strconv.FormatInt(capTarget2, 10), "text/html")
	if !strings.Contains(string(page), `alt=":roostcheck:"`) || !strings.Contains(string(page), icon) {
		t.Errorf("the post's page does not show the :roostcheck: reaction:\n%s", truncate(string(page), 2000))
	}
}

// Pleroma's apps ask for emoji reactions by their type, and Mastodon's apps may leave them out.
func TestEmojiReactionNotificationTypes(t *testing.T) {
	c := newCapServer(t)
	api := newAPIClient(t, c.testServer, "read")
	c.replayAccepted(t, "misskey/38", "snac/32") // Misskey's heart (a favourite), snac's 😀
	for _, tc := range []struct{ query, want string }{
		{"types[]=pleroma:emoji_reaction", "pleroma:emoji_reaction"},
		{"types[]=favourite", "favourite"},
		{"exclude_types[]=pleroma:emoji_reaction", "favourite"},
		{"exclude_types[]=favourite", "pleroma:emoji_reaction"},
		{"", "favourite pleroma:emoji_reaction"},
	} {
		l, _ := api.list(t, "/api/v1/notifications?"+tc.query)
		var got []string
		for _, n := range l {
			got = append(got, str(n["type"]))
		}
		slices.Sort(got)
		if strings.Join(got, " ") != tc.want {
			t.Errorf("?%s: %q, want %s", tc.query, got, tc.want)
		}
	}
}

// Every activity Roost drops is logged at debug level with its reason: a true copy (Misskey
// sends each activity to the shared and the personal inbox), and what has no effect.
func TestPeerTrafficDropsLogged(t *testing.T) {
	c := newCapServer(t)
	c.replayAccepted(t, "misskey/26", "misskey/45", "misskey/46")
	logs := c.logs.String()
	for _, want := range []string{
		`msg="activity dropped" sub=inbox activity=https://misskey.test/notes/aufv3pb2ou7c0022/activity reason="a post from no one the owner follows, nor about them, nor with a tag they follow"`,
		`reason="an Undo of nothing the sender had done (or undone already)"`,
		`reason="a copy of an activity already processed (the same id and body)"`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %s:\n%s", want, logs)
		}
	}
}

// GoToSocial's frank moves to grace, whom Roost knows already listing frank among her aliases:
// the owner, who followed frank, is told (a "move" notification, with grace as its target) and
// follows grace instead, as Mastodon does (issue #24, "also from the peers' traffic").
func TestPeerTrafficMoveNotifies(t *testing.T) {
	c := newCapServer(t)
	api := newAPIClient(t, c.testServer, "read", "write", "follow")
	c.follows(t, "https://gts.test/users/frank")
	c.replayAccepted(t, "gotosocial/51")

	notes, _ := api.list(t, "/api/v1/notifications?types[]=move")
	if len(notes) != 1 {
		t.Fatalf("move notifications: %d, want 1: %v", len(notes), notes)
	}
	n := notes[0]
	if acct, _ := n["account"].(map[string]any); str(acct["acct"]) != "frank@gts.test" {
		t.Errorf("the move's account = %v, want frank", acct)
	}
	if target, _ := n["target"].(map[string]any); str(target["acct"]) != "grace@gts.test" {
		t.Errorf("the move's target = %v, want grace", n["target"])
	}
	grace := c.account(t, "https://gts.test/users/grace")
	if f, err := c.st.FollowBetween(context.Background(), c.srv.Owner().ID, grace.ID); err != nil || f == nil {
		t.Errorf("the owner does not follow grace after frank's move: %v", err)
	}
}
