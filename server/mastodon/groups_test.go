package mastodon

import (
	"testing"
	"time"
)

func TestGroupKeyRoundTrip(t *testing.T) {
	at := time.Date(2024, 10, 8, 13, 45, 0, 0, time.UTC)
	hour := at.Truncate(time.Hour)
	cases := []struct {
		typ    string
		postID int64
		want   string
		group  Group
	}{
		{"favourite", 42, "favourite-42-480109", Group{Type: "favourite", PostID: 42, Hour: hour}},
		{"reblog", 42, "reblog-42-480109", Group{Type: "reblog", PostID: 42, Hour: hour}},
		{"follow", 0, "follow-480109", Group{Type: "follow", Hour: hour}},
		{"mention", 42, "ungrouped-7", Group{ID: 7}},
		{"poll", 42, "ungrouped-7", Group{ID: 7}},
	}
	for _, c := range cases {
		key := GroupKey(c.typ, c.postID, 7, at)
		if key != c.want {
			t.Errorf("GroupKey(%s) = %q, want %q", c.typ, key, c.want)
		}
		g, ok := ParseGroupKey(key)
		if !ok || g != c.group {
			t.Errorf("ParseGroupKey(%q) = %+v, %v; want %+v", key, g, ok, c.group)
		}
	}
	for _, bad := range []string{"", "ungrouped-", "ungrouped-0", "ungrouped--3", "favourite-1", "favourite-x-3",
		"follow-1-2", "mention-1-2", "favourite-0-5", "follow-99999999999999999999"} {
		if g, ok := ParseGroupKey(bad); ok {
			t.Errorf("ParseGroupKey(%q) = %+v, want refused", bad, g)
		}
	}
}
