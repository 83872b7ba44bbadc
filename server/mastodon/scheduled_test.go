package mastodon

import (
	"encoding/json"
	"reflect"
	"testing"
)

// A ScheduledStatus has the members and types of Mastodon's, as in its documentation's example
// (docs.joinmastodon.org/entities/ScheduledStatus): every params member present, null when the
// request left it out.
func TestScheduledStatusShape(t *testing.T) {
	appID := int64(3)
	st := ScheduledStatus{ID: "1", ScheduledAt: "2022-09-29T00:00:00.000Z",
		Params: StatusParams{Text: "test post", ApplicationID: &appID}, MediaAttachments: []MediaAttachment{}}
	got, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"id": "1", "scheduled_at": "2022-09-29T00:00:00.000Z",
		"params": {"text": "test post", "media_ids": null, "sensitive": null, "spoiler_text": null,
			"visibility": null, "language": null, "scheduled_at": null, "poll": null, "idempotency": null,
			"with_rate_limit": false, "in_reply_to_id": null, "application_id": 3},
		"media_attachments": []}`
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("marshalled\n%s\nwant the members of\n%s", got, want)
	}

	vis, sens := "unlisted", true
	st.Params = StatusParams{Text: "poll", Visibility: &vis, Sensitive: &sens, MediaIDs: []string{"5"},
		Poll: &PollParams{Options: []string{"a", "b"}, ExpiresIn: "3600", Multiple: true}}
	got, _ = json.Marshal(st)
	var back struct {
		Params struct {
			Poll       map[string]any `json:"poll"`
			MediaIDs   []any          `json:"media_ids"`
			Sensitive  any            `json:"sensitive"`
			Visibility any            `json:"visibility"`
		} `json:"params"`
	}
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	p := back.Params
	if p.Poll["expires_in"] != "3600" || p.Poll["multiple"] != true || p.Poll["hide_totals"] != false ||
		!reflect.DeepEqual(p.Poll["options"], []any{"a", "b"}) || !reflect.DeepEqual(p.MediaIDs, []any{"5"}) ||
		p.Sensitive != true || p.Visibility != "unlisted" {
		t.Errorf("marshalled %s", got)
	}
}
