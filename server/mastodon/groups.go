package mastodon

import (
	"strconv"
	"strings"
	"time"
)

// GroupableTypes are the notification types Mastodon 4.3 groups by default
// (Notification::Groups::GROUPABLE_NOTIFICATION_TYPES, less admin.sign_up, which Roost never has).
var GroupableTypes = []string{"favourite", "reblog", "follow"}

// GroupKey is a notification's group_key, as Mastodon 4.3 names it: "favourite-<status>-<hour>",
// "reblog-<status>-<hour>" and "follow-<hour>" for the groupable types, where hour is the
// notification's creation time in whole hours since the Unix epoch, and "ungrouped-<id>" for the
// rest. Mastodon also stretches a group over up to 12 hours by remembering the previous bucket;
// Roost keeps no such state, so its groups are the plain hour buckets.
func GroupKey(typ string, postID, id int64, created time.Time) string {
	hour := strconv.FormatInt(created.Unix()/3600, 10)
	switch typ {
	case "favourite", "reblog":
		if postID != 0 {
			return typ + "-" + strconv.FormatInt(postID, 10) + "-" + hour
		}
	case "follow":
		return typ + "-" + hour
	}
	return Ungrouped(id)
}

// Ungrouped is the group_key of a notification in no group.
func Ungrouped(id int64) string { return "ungrouped-" + strconv.FormatInt(id, 10) }

// Group is a parsed group_key: one notification (ID), or the notifications of Type on PostID
// (0 for follows) created in the hour starting at Hour.
type Group struct {
	ID     int64
	Type   string
	PostID int64
	Hour   time.Time
}

// ParseGroupKey reads a group_key made by GroupKey; ok is false for anything else.
func ParseGroupKey(key string) (g Group, ok bool) {
	num := func(s string) (int64, bool) {
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil && n >= 0
	}
	parts := strings.Split(key, "-")
	switch {
	case len(parts) == 2 && parts[0] == "ungrouped":
		g.ID, ok = num(parts[1])
		return g, ok && g.ID > 0
	case len(parts) == 2 && parts[0] == "follow":
		g.Type = "follow"
	case len(parts) == 3 && (parts[0] == "favourite" || parts[0] == "reblog"):
		g.Type = parts[0]
		if g.PostID, ok = num(parts[1]); !ok || g.PostID == 0 {
			return Group{}, false
		}
	default:
		return Group{}, false
	}
	hour, ok := num(parts[len(parts)-1])
	if !ok || hour > 1<<40 {
		return Group{}, false
	}
	g.Hour = time.Unix(hour*3600, 0).UTC()
	return g, true
}

// NotificationGroup is Mastodon's NotificationGroup entity
// (https://docs.joinmastodon.org/entities/GroupedNotificationsResults/#NotificationGroup).
// The page_* fields are present only in a page of groups.
type NotificationGroup struct {
	GroupKey                 string   `json:"group_key"`
	NotificationsCount       int      `json:"notifications_count"`
	Type                     string   `json:"type"`
	MostRecentNotificationID string   `json:"most_recent_notification_id"`
	PageMinID                string   `json:"page_min_id,omitempty"`
	PageMaxID                string   `json:"page_max_id,omitempty"`
	LatestPageNotificationAt string   `json:"latest_page_notification_at,omitempty"`
	SampleAccountIDs         []string `json:"sample_account_ids"`
	StatusID                 *string  `json:"status_id,omitempty"`
}

// GroupedNotifications is Mastodon's GroupedNotificationsResults entity: the groups, and each
// account and status they refer to once.
type GroupedNotifications struct {
	Accounts []*Account `json:"accounts"`
	// PartialAccounts is sent, empty, when a client asks for expand_accounts=partial_avatars:
	// Roost sends every account in full.
	PartialAccounts    *[]*Account         `json:"partial_accounts,omitempty"`
	Statuses           []*Status           `json:"statuses"`
	NotificationGroups []NotificationGroup `json:"notification_groups"`
}

// NotificationPolicy is Mastodon's v2 NotificationPolicy entity. Roost accepts every
// notification, so each field reads "accept".
type NotificationPolicy struct {
	ForNotFollowing    string `json:"for_not_following"`
	ForNotFollowers    string `json:"for_not_followers"`
	ForNewAccounts     string `json:"for_new_accounts"`
	ForPrivateMentions string `json:"for_private_mentions"`
	ForLimitedAccounts string `json:"for_limited_accounts"`
	Summary            struct {
		PendingRequestsCount      int `json:"pending_requests_count"`
		PendingNotificationsCount int `json:"pending_notifications_count"`
	} `json:"summary"`
}
