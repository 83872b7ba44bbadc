package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"roost/server/media/mediatest"
)

// Scheduled statuses through the client API and the web form: a post scheduled for later stays
// out of every timeline until its time, then is published once, also across a restart.

// scheduleAt is the scheduled_at of a post due d from the server's (advanced) clock.
func scheduleAt(ts *testServer, d time.Duration) string {
	return ts.st.Now().Add(d).UTC().Format(time.RFC3339)
}

// publishDue runs the scheduled posts' publisher once, as its timer would.
func publishDue(t *testing.T, ts *testServer) {
	t.Helper()
	ts.srv.App().ScheduledRound(context.Background())
}

// ownerStatusesWith returns the owner's statuses, through the API, whose content holds text.
func ownerStatusesWith(t *testing.T, c *apiClient, text string) []map[string]any {
	t.Helper()
	me := c.json(t, "GET", "/api/v1/accounts/verify_credentials", nil, 200)
	list, _ := c.list(t, "/api/v1/accounts/"+str(me["id"])+"/statuses?limit=40")
	home, _ := c.list(t, "/api/v1/timelines/home?limit=40")
	var out []map[string]any
	for _, st := range list {
		if strings.Contains(str(st["content"]), text) {
			out = append(out, st)
		}
	}
	inHome := 0
	for _, st := range home {
		if strings.Contains(str(st["content"]), text) {
			inHome++
		}
	}
	if inHome != len(out) {
		t.Errorf("%q: %d in the owner's statuses, %d in home", text, len(out), inHome)
	}
	return out
}

// postWithKey POSTs a JSON body with an Idempotency-Key.
func (c *apiClient) postWithKey(t *testing.T, path string, body any, key string) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", c.ts.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(rb, &m); err != nil {
		t.Fatalf("POST %s: %v: %s", path, err, rb)
	}
	return resp.StatusCode, m
}

func TestScheduledStatusPublishedOnceAtItsTime(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.MediaDir = filepath.Join(t.TempDir(), "media") })
	c := newAPIClient(t, ts, "read", "write")
	code, m := c.upload(t, "POST", "/api/v2/media", "file", mediatest.JPEG(t, 40, 30), map[string]string{"description": "later img"})
	if code != 200 {
		t.Fatalf("upload: %d %v", code, m)
	}
	mediaID := str(m["id"])

	withMedia := c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "later with image",
		"media_ids": []string{mediaID}, "visibility": "unlisted", "spoiler_text": "cw", "scheduled_at": scheduleAt(ts, time.Hour)}, 200)
	withPoll := c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "later with poll",
		"poll":         map[string]any{"options": []string{"yes", "no"}, "expires_in": 3600, "multiple": true},
		"scheduled_at": scheduleAt(ts, time.Hour)}, 200)

	// The answers are ScheduledStatus entities, not statuses.
	for _, sc := range []map[string]any{withMedia, withPoll} {
		if _, isStatus := sc["content"]; isStatus || sc["id"] == nil || sc["scheduled_at"] == nil || sc["params"] == nil {
			t.Fatalf("answer is not a ScheduledStatus: %v", sc)
		}
	}
	params, _ := withMedia["params"].(map[string]any)
	if params["text"] != "later with image" || params["visibility"] != "unlisted" || params["spoiler_text"] != "cw" ||
		strings.Join(strs(params["media_ids"]), ",") != mediaID || params["poll"] != nil {
		t.Errorf("params: %v", params)
	}
	if att, _ := withMedia["media_attachments"].([]any); len(att) != 1 || str(att[0].(map[string]any)["id"]) != mediaID {
		t.Errorf("media_attachments: %v", withMedia["media_attachments"])
	}
	pp, _ := withPoll["params"].(map[string]any)
	if poll, _ := pp["poll"].(map[string]any); poll == nil || strings.Join(strs(poll["options"]), ",") != "yes,no" ||
		poll["expires_in"] != "3600" || poll["multiple"] != true {
		t.Errorf("poll params: %v", pp["poll"])
	}
	if at, err := time.Parse(time.RFC3339, str(withMedia["scheduled_at"])); err != nil || at.Sub(ts.st.Now()) < 55*time.Minute {
		t.Errorf("scheduled_at %v", withMedia["scheduled_at"])
	}

	list, _ := c.list(t, "/api/v1/scheduled_statuses")
	if len(list) != 2 {
		t.Fatalf("scheduled_statuses: %d, want 2", len(list))
	}
	got := c.json(t, "GET", "/api/v1/scheduled_statuses/"+str(withMedia["id"]), nil, 200)
	if str(got["id"]) != str(withMedia["id"]) || got["scheduled_at"] != withMedia["scheduled_at"] {
		t.Errorf("show: %v", got)
	}

	publishDue(t, ts)
	if n := len(ownerStatusesWith(t, c, "later with")); n != 0 {
		t.Fatalf("%d scheduled posts visible before their time", n)
	}
	ts.advance(50 * time.Minute)
	publishDue(t, ts)
	if n := len(ownerStatusesWith(t, c, "later with")); n != 0 {
		t.Fatalf("%d scheduled posts visible 10 minutes before their time", n)
	}

	ts.advance(11 * time.Minute)
	publishDue(t, ts)
	publishDue(t, ts)
	img := ownerStatusesWith(t, c, "later with image")
	poll := ownerStatusesWith(t, c, "later with poll")
	if len(img) != 1 || len(poll) != 1 {
		t.Fatalf("published %d image posts and %d poll posts, want one of each", len(img), len(poll))
	}
	if att, _ := img[0]["media_attachments"].([]any); len(att) != 1 || img[0]["visibility"] != "unlisted" || img[0]["spoiler_text"] != "cw" {
		t.Errorf("published image post: %v", img[0])
	}
	if pl, _ := poll[0]["poll"].(map[string]any); pl == nil || pl["multiple"] != true || len(pl["options"].([]any)) != 2 {
		t.Errorf("published poll post: %v", poll[0]["poll"])
	}
	if list, _ := c.list(t, "/api/v1/scheduled_statuses"); len(list) != 0 {
		t.Errorf("%d scheduled statuses left after publishing", len(list))
	}
	if resp, _ := c.do(t, "GET", "/api/v1/scheduled_statuses/"+str(withMedia["id"]), nil); resp.StatusCode != 404 {
		t.Errorf("show a published scheduled status: %d, want 404", resp.StatusCode)
	}
}

func TestScheduledStatusSurvivesRestart(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write")
	sc := c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "after restart", "scheduled_at": scheduleAt(ts, time.Hour)}, 200)

	ts.restart(t)
	publishDue(t, ts)
	if list, _ := c.list(t, "/api/v1/scheduled_statuses"); len(list) != 1 || str(list[0]["id"]) != str(sc["id"]) {
		t.Fatalf("after a restart, scheduled statuses: %v", list)
	}
	if n := len(ownerStatusesWith(t, c, "after restart")); n != 0 {
		t.Fatalf("published before its time after a restart: %d", n)
	}

	ts.advance(61 * time.Minute)
	ts.restart(t)
	publishDue(t, ts)
	ts.restart(t)
	publishDue(t, ts)
	if n := len(ownerStatusesWith(t, c, "after restart")); n != 1 {
		t.Fatalf("published %d times across restarts, want once", n)
	}
}

func TestScheduledStatusRescheduleAndCancel(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write")
	a := c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "moved later", "scheduled_at": scheduleAt(ts, time.Hour)}, 200)
	b := c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "cancelled", "scheduled_at": scheduleAt(ts, 2*time.Hour)}, 200)
	aID, bID := str(a["id"]), str(b["id"])

	// Newest first, paged with Link headers.
	page, resp := c.list(t, "/api/v1/scheduled_statuses?limit=1")
	if len(page) != 1 || str(page[0]["id"]) != bID {
		t.Fatalf("first page: %v", page)
	}
	next := linkRel(resp.Header.Get("Link"), "next")
	if next == "" {
		t.Fatalf("no rel=next in Link %q", resp.Header.Get("Link"))
	}
	u, _ := url.Parse(next)
	page, _ = c.list(t, u.RequestURI())
	if len(page) != 1 || str(page[0]["id"]) != aID {
		t.Fatalf("second page: %v", page)
	}

	later := ts.st.Now().Add(3 * time.Hour).UTC().Truncate(time.Second)
	moved := c.json(t, "PUT", "/api/v1/scheduled_statuses/"+aID, map[string]any{"scheduled_at": later.Format(time.RFC3339)}, 200)
	if at, err := time.Parse(time.RFC3339, str(moved["scheduled_at"])); err != nil || !at.Equal(later) {
		t.Errorf("rescheduled to %v, want %v", moved["scheduled_at"], later)
	}
	tooSoon := c.json(t, "PUT", "/api/v1/scheduled_statuses/"+aID, map[string]any{"scheduled_at": scheduleAt(ts, time.Minute)}, 422)
	if !strings.HasPrefix(str(tooSoon["error"]), "Validation failed: Scheduled at ") {
		t.Errorf("too soon: %v", tooSoon)
	}

	c.json(t, "DELETE", "/api/v1/scheduled_statuses/"+bID, nil, 200)
	for _, method := range []string{"GET", "DELETE", "PUT"} {
		if resp, body := c.do(t, method, "/api/v1/scheduled_statuses/"+bID, map[string]any{}); resp.StatusCode != 404 {
			t.Errorf("%s a cancelled scheduled status: %d %s", method, resp.StatusCode, body)
		}
	}

	// Mastodon's scopes: reading needs read:statuses, changing write:statuses.
	reader, writer := newAPIClient(t, ts, "read:statuses"), newAPIClient(t, ts, "write:statuses")
	if resp, _ := reader.do(t, "DELETE", "/api/v1/scheduled_statuses/"+aID, nil); resp.StatusCode != 403 {
		t.Errorf("DELETE with read:statuses: %d, want 403", resp.StatusCode)
	}
	if resp, _ := writer.do(t, "GET", "/api/v1/scheduled_statuses", nil); resp.StatusCode != 403 {
		t.Errorf("GET with write:statuses: %d, want 403", resp.StatusCode)
	}

	ts.advance(2*time.Hour + time.Minute) // past both original times
	publishDue(t, ts)
	if n := len(ownerStatusesWith(t, c, "moved later")) + len(ownerStatusesWith(t, c, "cancelled")); n != 0 {
		t.Fatalf("%d posts published at their old times or after cancelling", n)
	}
	ts.advance(time.Hour)
	publishDue(t, ts)
	if n := len(ownerStatusesWith(t, c, "moved later")); n != 1 {
		t.Errorf("rescheduled post published %d times at its new time", n)
	}
	if n := len(ownerStatusesWith(t, c, "cancelled")); n != 0 {
		t.Errorf("cancelled post published %d times", n)
	}
}

// linkRel returns the URL of rel in a Link header.
func linkRel(link, rel string) string {
	for _, part := range strings.Split(link, ",") {
		target, params, ok := strings.Cut(part, ";")
		if ok && strings.Contains(params, `rel="`+rel+`"`) {
			return strings.Trim(strings.TrimSpace(target), "<>")
		}
	}
	return ""
}

func TestScheduledStatusTooSoonRefused(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write")
	m := c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "too soon", "scheduled_at": scheduleAt(ts, 2*time.Minute)}, 422)
	if m["error"] != "Validation failed: Scheduled at must be at least 5 minutes in the future" {
		t.Errorf("error %q", m["error"])
	}
	c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "too soon", "scheduled_at": "next tuesday"}, 422)
	// A reply to a post that does not exist is refused now, not dropped at its time.
	c.json(t, "POST", "/api/v1/statuses", map[string]any{"status": "too soon", "in_reply_to_id": "12345",
		"scheduled_at": scheduleAt(ts, time.Hour)}, 404)
	if n := len(ownerStatusesWith(t, c, "too soon")); n != 0 {
		t.Errorf("a refused scheduled post was published %d times", n)
	}
	if list, _ := c.list(t, "/api/v1/scheduled_statuses"); len(list) != 0 {
		t.Errorf("a refused scheduled post is waiting: %v", list)
	}
}

// A retried request with the same Idempotency-Key answers the scheduled status already made.
func TestScheduledStatusIdempotencyKey(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write")
	body := map[string]any{"status": "once", "scheduled_at": scheduleAt(ts, time.Hour)}
	code1, first := c.postWithKey(t, "/api/v1/statuses", body, "key-1")
	code2, again := c.postWithKey(t, "/api/v1/statuses", body, "key-1")
	if code1 != 200 || code2 != 200 || first["id"] == nil || first["id"] != again["id"] {
		t.Fatalf("retried schedule: %d %v, then %d %v", code1, first, code2, again)
	}
	if list, _ := c.list(t, "/api/v1/scheduled_statuses"); len(list) != 1 {
		t.Errorf("%d scheduled statuses after a retry, want 1", len(list))
	}
}

// A scheduled_at in the past, empty or absent publishes at once, as Mastodon does.
func TestScheduledAtPastOrAbsentPublishesAtOnce(t *testing.T) {
	ts := newTestServer(t)
	c := newAPIClient(t, ts, "read", "write")
	for name, body := range map[string]map[string]any{
		"past":   {"status": "now past", "scheduled_at": scheduleAt(ts, -time.Hour)},
		"empty":  {"status": "now empty", "scheduled_at": ""},
		"absent": {"status": "now absent"},
	} {
		st := c.json(t, "POST", "/api/v1/statuses", body, 200)
		if _, ok := st["content"]; !ok || st["uri"] == nil {
			t.Errorf("%s: answer is not a Status: %v", name, st)
		}
		if n := len(ownerStatusesWith(t, c, str(body["status"]))); n != 1 {
			t.Errorf("%s: %d posts visible at once, want 1", name, n)
		}
	}
	if list, _ := c.list(t, "/api/v1/scheduled_statuses"); len(list) != 0 {
		t.Errorf("scheduled statuses: %v", list)
	}
}
