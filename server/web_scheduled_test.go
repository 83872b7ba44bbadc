package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// The web form schedules a post, and /scheduled moves and cancels it.
func TestWebComposeSchedules(t *testing.T) {
	ts := newTestServer(t)
	o := signIn(t, ts)
	c := newAPIClient(t, ts, "read", "write")
	doc := o.page(t, "/home")
	firstElement(t, doc, "the compose form's schedule field", byInput("schedule_at"))
	firstElement(t, doc, "a link to the scheduled posts", func(n *html.Node) bool {
		href, _ := attrOf(n, "href")
		return n.Data == "a" && href == "/scheduled"
	})

	field := func(d time.Duration) string { return ts.st.Now().Add(d).UTC().Format("2006-01-02T15:04") }
	loc := o.submit(t, "/compose", url.Values{"text": {"from the web form"}, "visibility": {"public"}, "schedule_at": {field(2 * time.Hour)}})
	page := o.follow(t, loc)
	if !strings.Contains(textOf(page), "from the web form") {
		t.Fatalf("the scheduled post is not on %s", loc)
	}
	if n := len(ownerStatusesWith(t, c, "from the web form")); n != 0 {
		t.Fatalf("scheduled from the web, published at once %d times", n)
	}
	list, _ := c.list(t, "/api/v1/scheduled_statuses")
	if len(list) != 1 {
		t.Fatalf("scheduled statuses: %v", list)
	}
	id := str(list[0]["id"])

	// Too soon: the form comes back with the reason and the time as given.
	rec := o.postForm("/compose", o.withCSRF(url.Values{"text": {"too soon web"}, "schedule_at": {field(time.Minute)}}))
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("too soon: %d", rec.Code)
	}
	if msg := alertText(parseHTML(t, rec.Body.String())); !strings.Contains(msg, "5 minutes") {
		t.Errorf("too soon: alert %q", msg)
	}

	o.submit(t, "/scheduled/reschedule", url.Values{"id": {id}, "schedule_at": {field(4 * time.Hour)}})
	sc := c.json(t, "GET", "/api/v1/scheduled_statuses/"+id, nil, 200)
	if at, _ := time.Parse(time.RFC3339, str(sc["scheduled_at"])); at.Sub(ts.st.Now()) < 3*time.Hour {
		t.Errorf("rescheduled from the web to %v", sc["scheduled_at"])
	}
	// (The store's clock moves only after the last form: the session would expire with it.)
	o.submit(t, "/scheduled/cancel", url.Values{"id": {id}})
	if strings.Contains(textOf(o.page(t, "/scheduled")), "from the web form") {
		t.Error("a cancelled post is still listed")
	}
	ts.advance(5 * time.Hour)
	publishDue(t, ts)
	if n := len(ownerStatusesWith(t, c, "from the web form")); n != 0 {
		t.Errorf("a cancelled post was published %d times", n)
	}
}
