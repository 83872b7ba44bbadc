package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestNotificationGroupQueryPlan: a group's notifications are read from the primary key's range
// of its hour, not from every notification of its type.
func TestNotificationGroupQueryPlan(t *testing.T) {
	s, _ := newTestStore(t)
	g := NotificationGroup{Type: "favourite", PostID: 1, From: time.Unix(3600*480109, 0)}
	g.To = g.From.Add(time.Hour)
	where, args := g.where()
	plan := queryPlan(t, s, `SELECT id FROM notifications WHERE `+where+` AND id <= ? ORDER BY id DESC LIMIT 8`, append(args, int64(1)<<62)...)
	if !strings.Contains(plan, "INTEGER PRIMARY KEY (rowid>? AND rowid<?)") || strings.Contains(plan, "notifications_once") {
		t.Errorf("group query plan:\n%s", plan)
	}
}

// TestNotificationGroupSelectsItsHour: a group holds the notifications of its type and post in
// its hour, and dismissing it leaves the others.
func TestNotificationGroupSelectsItsHour(t *testing.T) {
	ctx := context.Background()
	s, clock := newTestStore(t)
	owner := createOwner(t, s)
	post := createOwnerPost(t, s, owner, Public)
	other := createOwnerPost(t, s, owner, Public)
	hour := clock.Now().Truncate(time.Hour).Add(time.Hour)
	clock.Set(hour.Add(time.Minute))
	peers := 0
	notify := func(kind string, postID int64) {
		t.Helper()
		peers++
		a := addRemote(t, s, fmt.Sprintf("peer%d", peers), "peers.example", false)
		if err := s.tx(ctx, func(tx *wtx) error { return s.record(ctx, tx, []Notice{{Type: kind, AccountID: a.ID, PostID: postID}}) }); err != nil {
			t.Fatal(err)
		}
	}
	notify("favourite", post.ID)
	notify("favourite", post.ID)
	notify("reblog", post.ID)
	notify("favourite", other.ID)
	clock.Set(hour.Add(time.Hour + time.Minute))
	notify("favourite", post.ID) // the next hour
	g := NotificationGroup{Type: "favourite", PostID: post.ID, From: hour, To: hour.Add(time.Hour)}
	if n, oldest, err := s.GroupStats(ctx, g, 0, 0); err != nil || n != 2 || oldest == 0 {
		t.Fatalf("GroupStats = %d, %d, %v; want 2", n, oldest, err)
	}
	if err := s.DismissNotificationGroup(ctx, g); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.Notifications(ctx, nil, Page{Limit: 10}); len(l) != 3 {
		t.Errorf("%d notifications left, want the boost, the other post's like and the later like", len(l))
	}
}

// TestNotificationsAboveQueryPlan: a page of notifications of some types walks the primary key
// in order instead of sorting every notification of those types.
func TestNotificationsAboveQueryPlan(t *testing.T) {
	s, _ := newTestStore(t)
	q, args := notificationsAboveQuery([]string{"favourite", "reblog", "follow", "mention", "poll"}, 0, 1<<62, true, 40)
	if plan := queryPlan(t, s, q, args...); strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "notifications_once") {
		t.Errorf("notifications page plan:\n%s", plan)
	}
}
