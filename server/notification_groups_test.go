package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"roost/server/app"
	"roost/store"
)

// groupedNotifications is GET /api/v2/notifications's answer.
type groupedNotifications struct {
	Accounts []struct {
		ID string `json:"id"`
	} `json:"accounts"`
	Statuses []struct {
		ID      string `json:"id"`
		Content string `json:"content"`
	} `json:"statuses"`
	NotificationGroups []struct {
		GroupKey                 string   `json:"group_key"`
		NotificationsCount       int      `json:"notifications_count"`
		Type                     string   `json:"type"`
		MostRecentNotificationID string   `json:"most_recent_notification_id"`
		PageMinID                string   `json:"page_min_id"`
		PageMaxID                string   `json:"page_max_id"`
		LatestPageNotificationAt string   `json:"latest_page_notification_at"`
		SampleAccountIDs         []string `json:"sample_account_ids"`
		StatusID                 *string  `json:"status_id"`
	} `json:"notification_groups"`
}

func (c *apiClient) groups(t *testing.T, path string) (groupedNotifications, *http.Response) {
	t.Helper()
	resp, b := c.do(t, "GET", path, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	var g groupedNotifications
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, b)
	}
	return g, resp
}

// groupFixture: three peers follow the owner and like one followers-only post of theirs, and a
// fourth mentions the owner. The store's clock starts a minute into an hour, so the groups'
// hour buckets hold whatever the test does.
type groupFixture struct {
	ts     *testServer
	c      *apiClient
	post   *store.Post
	likers []*peer
}

func newGroupFixture(t *testing.T) *groupFixture {
	ts := newTestServer(t)
	ts.advance(time.Until(time.Now().Truncate(time.Hour).Add(time.Hour + time.Minute)))
	f := &groupFixture{ts: ts, c: newAPIClient(t, ts, "read", "write")}
	post, err := ts.srv.app.Post(context.Background(), app.PostInput{Text: "for my followers only", Visibility: "followers"})
	if err != nil {
		t.Fatal(err)
	}
	f.post = post
	for _, name := range []string{"alice", "bob", "carol"} {
		p := newPeer(t, name)
		followingPeer(t, ts, p)
		p.sendAccepted(t, ts, p.activity("Like", post.IRI))
		f.likers = append(f.likers, p)
	}
	dave := newPeer(t, "dave")
	n := dave.note("<p>hello @me</p>", []string{ts.actor}, nil)
	n["tag"] = []any{map[string]any{"type": "Mention", "href": ts.actor, "name": "@me@" + ts.cfg.Domain}}
	dave.sendAccepted(t, ts, dave.create(n))
	waitFor(t, "the likes and the mention", func() bool {
		l, _ := ts.st.Notifications(context.Background(), []string{"favourite", "mention"}, store.Page{Limit: 10})
		return len(l) == 4
	})
	return f
}

// TestGroupedNotificationsGroupLikes: three likes of one post are one group of three with three
// sample accounts, the three follows another, and a mention stays a group of its own; the
// followers-only status is sent once, to the owner's token.
func TestGroupedNotificationsGroupLikes(t *testing.T) {
	f := newGroupFixture(t)
	g, _ := f.c.groups(t, "/api/v2/notifications")
	if len(g.NotificationGroups) != 3 {
		t.Fatalf("%d groups, want 3 (likes, mention, follows): %+v", len(g.NotificationGroups), g.NotificationGroups)
	}
	byType := map[string]int{}
	for i, n := range g.NotificationGroups {
		byType[n.Type] = i
	}
	likes := g.NotificationGroups[byType["favourite"]]
	postID := idString(f.post.ID)
	if likes.NotificationsCount != 3 || len(likes.SampleAccountIDs) != 3 || likes.StatusID == nil || *likes.StatusID != postID {
		t.Errorf("likes group %+v, want 3 notifications from 3 accounts on status %s", likes, postID)
	}
	if !strings.HasPrefix(likes.GroupKey, "favourite-"+postID+"-") || likes.PageMinID == "" || likes.PageMaxID != likes.MostRecentNotificationID {
		t.Errorf("likes group key and page %+v", likes)
	}
	if follows := g.NotificationGroups[byType["follow"]]; follows.NotificationsCount != 3 || follows.StatusID != nil {
		t.Errorf("follows group %+v, want 3 notifications and no status", follows)
	}
	mention := g.NotificationGroups[byType["mention"]]
	if mention.NotificationsCount != 1 || mention.GroupKey != "ungrouped-"+mention.MostRecentNotificationID || len(mention.SampleAccountIDs) != 1 {
		t.Errorf("mention group %+v, want ungrouped with one account", mention)
	}
	if len(g.Accounts) != 4 {
		t.Errorf("%d accounts, want the 4 peers once each", len(g.Accounts))
	}
	if len(g.Statuses) != 2 || !contains([]string{g.Statuses[0].ID, g.Statuses[1].ID}, postID) {
		t.Errorf("statuses %+v, want the liked post and the mention once each", g.Statuses)
	}

	// Apps that ask for partial accounts get every account in full and an empty partial list.
	if m := f.c.json(t, "GET", "/api/v2/notifications?expand_accounts=partial_avatars", nil, 200); m["partial_accounts"] == nil || len(m["accounts"].([]any)) != 4 {
		t.Errorf("partial_avatars: accounts %v, partial_accounts %v", m["accounts"], m["partial_accounts"])
	}
	f.c.json(t, "GET", "/api/v2/notifications?expand_accounts=some", nil, 400)

	// One group, by its key; its accounts; then dismissing it dismisses all three likes.
	one := f.c.json(t, "GET", "/api/v2/notifications/"+likes.GroupKey, nil, 200)
	if gs, _ := one["notification_groups"].([]any); len(gs) != 1 || gs[0].(map[string]any)["notifications_count"] != float64(3) {
		t.Errorf("GET group: %v", one)
	}
	if accts, _ := f.c.list(t, "/api/v2/notifications/"+likes.GroupKey+"/accounts"); len(accts) != 3 {
		t.Errorf("group accounts %d, want 3", len(accts))
	}
	// grouped_types without favourite: the likes come one by one.
	if g, _ := f.c.groups(t, "/api/v2/notifications?grouped_types[]=follow&types[]=favourite"); len(g.NotificationGroups) != 3 {
		t.Errorf("%d like groups when likes are not grouped, want 3", len(g.NotificationGroups))
	}
	f.c.json(t, "POST", "/api/v2/notifications/"+likes.GroupKey+"/dismiss", nil, 200)
	if g, _ := f.c.groups(t, "/api/v2/notifications?types[]=favourite"); len(g.NotificationGroups) != 0 {
		t.Errorf("likes left after dismissing their group: %+v", g.NotificationGroups)
	}
	if resp, _ := f.c.do(t, "GET", "/api/v2/notifications/"+likes.GroupKey, nil); resp.StatusCode != 404 {
		t.Errorf("GET a dismissed group: %d, want 404", resp.StatusCode)
	}
}

// TestGroupedNotificationsPaging: limit counts groups, the Link header pages to older groups,
// and the next page holds the rest.
func TestGroupedNotificationsPaging(t *testing.T) {
	f := newGroupFixture(t)
	first, resp := f.c.groups(t, "/api/v2/notifications?limit=2")
	if len(first.NotificationGroups) != 2 {
		t.Fatalf("%d groups with limit=2", len(first.NotificationGroups))
	}
	link := resp.Header.Get("Link")
	next := linkTarget(link, "next")
	if next == "" || linkTarget(link, "prev") == "" {
		t.Fatalf("Link %q", link)
	}
	rest, _ := f.c.groups(t, strings.TrimPrefix(next, f.ts.base))
	seen := map[string]bool{}
	for _, g := range append(first.NotificationGroups, rest.NotificationGroups...) {
		seen[g.Type] = true
	}
	if len(rest.NotificationGroups) == 0 || !seen["favourite"] || !seen["follow"] || !seen["mention"] {
		t.Errorf("pages hold %v, want likes, follows and the mention", seen)
	}
	// Paging up from the oldest group's notification returns the newer groups.
	newest := first.NotificationGroups[0].MostRecentNotificationID
	if up, _ := f.c.groups(t, "/api/v2/notifications?min_id="+newest); len(up.NotificationGroups) != 0 {
		t.Errorf("groups above the newest: %+v", up.NotificationGroups)
	}
}

// linkTarget returns the URL of rel in a Link header.
func linkTarget(link, rel string) string {
	for _, part := range strings.Split(link, ",") {
		if strings.Contains(part, `rel="`+rel+`"`) {
			part = strings.TrimSpace(part)
			return part[1:strings.Index(part, ">")]
		}
	}
	return ""
}

// TestNotificationsUnreadCount: the unread counts run from the notifications marker, and fall
// to 0 once it is set to the newest notification; v2 counts groups.
func TestNotificationsUnreadCount(t *testing.T) {
	f := newGroupFixture(t)
	count := func(path string) float64 { return f.c.json(t, "GET", path, nil, 200)["count"].(float64) }
	if n := count("/api/v1/notifications/unread_count"); n != 7 {
		t.Errorf("v1 unread %v, want 7 (3 follows, 3 likes, 1 mention)", n)
	}
	if n := count("/api/v2/notifications/unread_count"); n != 3 {
		t.Errorf("v2 unread %v, want 3 groups", n)
	}
	if n := count("/api/v1/notifications/unread_count?types[]=mention"); n != 1 {
		t.Errorf("v1 unread mentions %v, want 1", n)
	}
	l, _ := f.c.list(t, "/api/v1/notifications")
	f.c.json(t, "POST", "/api/v1/markers", map[string]any{"notifications": map[string]any{"last_read_id": l[0]["id"]}}, 200)
	for _, p := range []string{"/api/v1/notifications/unread_count", "/api/v2/notifications/unread_count"} {
		if n := count(p); n != 0 {
			t.Errorf("%s: %v after the marker, want 0", p, n)
		}
	}
}

// TestNotificationsCarryGroupKey: v1 notifications name their group as v2 does.
func TestNotificationsCarryGroupKey(t *testing.T) {
	f := newGroupFixture(t)
	l, _ := f.c.list(t, "/api/v1/notifications")
	keys := map[string]map[string]bool{}
	for _, n := range l {
		k, _ := n["group_key"].(string)
		if keys[str(n["type"])] == nil {
			keys[str(n["type"])] = map[string]bool{}
		}
		keys[str(n["type"])][k] = true
		if n["type"] == "mention" && k != "ungrouped-"+str(n["id"]) {
			t.Errorf("mention group_key %q", k)
		}
	}
	if len(keys["favourite"]) != 1 || len(keys["follow"]) != 1 || keys["favourite"][""] {
		t.Errorf("group keys %v, want one for the likes and one for the follows", keys)
	}
}

// TestGroupedNotificationsNeedReadScope: the group of likes on a followers-only post reaches
// only a token that may read notifications; others are refused without a word of the post.
func TestGroupedNotificationsNeedReadScope(t *testing.T) {
	f := newGroupFixture(t)
	notes := newAPIClient(t, f.ts, "read:notifications")
	if g, _ := notes.groups(t, "/api/v2/notifications?types[]=favourite"); len(g.Statuses) != 1 || !strings.Contains(g.Statuses[0].Content, "followers only") {
		t.Errorf("a read:notifications token sees %+v", g.Statuses)
	}
	for _, scopes := range [][]string{{"write"}, {"read:statuses"}, {"read:accounts", "write:notifications"}} {
		c := newAPIClient(t, f.ts, scopes...)
		for _, path := range []string{"/api/v2/notifications", "/api/v2/notifications/favourite-" + idString(f.post.ID) + "-0",
			"/api/v1/notifications/unread_count", "/api/v2/notifications/unread_count"} {
			resp, b := c.do(t, "GET", path, nil)
			if resp.StatusCode != http.StatusForbidden || strings.Contains(string(b), "followers only") {
				t.Errorf("%v token, %s: %d %s", scopes, path, resp.StatusCode, b)
			}
		}
	}
}

// TestNotificationPolicyAcceptsAll: the policy and requests endpoints answer as a server that
// filters nothing.
func TestNotificationPolicyAcceptsAll(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write")
	for _, method := range []string{"GET", "PATCH"} {
		p := c.json(t, method, "/api/v2/notifications/policy", map[string]any{"for_new_accounts": "drop"}, 200)
		if p["for_new_accounts"] != "accept" || p["for_not_following"] != "accept" || p["summary"] == nil {
			t.Errorf("%s policy %v", method, p)
		}
	}
	if l, _ := c.list(t, "/api/v1/notifications/requests"); len(l) != 0 {
		t.Errorf("requests %v", l)
	}
	if m := c.json(t, "GET", "/api/v1/notifications/requests/merged", nil, 200); m["merged"] != true {
		t.Errorf("merged %v", m)
	}
}
