package mastodon

// ScheduledStatus is Mastodon's ScheduledStatus entity: a status the owner scheduled, not yet
// published (docs.joinmastodon.org/entities/ScheduledStatus, REST::ScheduledStatusSerializer).
type ScheduledStatus struct {
	ID               string            `json:"id"`
	ScheduledAt      string            `json:"scheduled_at"` // ISO 8601 with milliseconds, UTC
	Params           StatusParams      `json:"params"`
	MediaAttachments []MediaAttachment `json:"media_attachments"`
}

// StatusParams are a ScheduledStatus's params: the request's parameters as Mastodon keeps them to
// post the status later. Parameters the request left out are null; ScheduledAt and Idempotency
// are always null and WithRateLimit false, as Mastodon stores them.
type StatusParams struct {
	Text          string      `json:"text"`
	Poll          *PollParams `json:"poll"`
	MediaIDs      []string    `json:"media_ids"`
	Sensitive     *bool       `json:"sensitive"`
	SpoilerText   *string     `json:"spoiler_text"`
	Visibility    *string     `json:"visibility"`
	Idempotency   *string     `json:"idempotency"`
	ScheduledAt   *string     `json:"scheduled_at"`
	InReplyToID   *string     `json:"in_reply_to_id"`
	ApplicationID *int64      `json:"application_id"`
	WithRateLimit bool        `json:"with_rate_limit"`
	Language      *string     `json:"language"`
}

// PollParams is the poll of a ScheduledStatus's params. ExpiresIn is a number of seconds, as a
// string: Mastodon keeps the parameter as the form sent it.
type PollParams struct {
	Options    []string `json:"options"`
	ExpiresIn  string   `json:"expires_in"`
	Multiple   bool     `json:"multiple"`
	HideTotals bool     `json:"hide_totals"`
}
