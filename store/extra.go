package store

import (
	"encoding/json"
	"fmt"
)

// Poll is a post's poll as the post keeps it, under "poll" in the posts.extra column. For a
// remote Question: the options and their counts as the poll's server last sent them, and the
// owner's own votes, which only Roost knows. For the owner's poll: the counts of poll_votes.
type Poll struct {
	Options     []string `json:"options"`
	Votes       []int    `json:"votes,omitempty"`
	VotersCount int      `json:"voters_count,omitempty"`
	Multiple    bool     `json:"multiple"`
	EndTime     string   `json:"end_time,omitempty"`
	Closed      string   `json:"closed,omitempty"`
	OwnVotes    []int    `json:"own_votes,omitempty"`
}

// decodeExtra reads the extra column into p's Poll and Quote, keeping any other property as it
// was. Most posts have "{}", which is not decoded.
func (p *Post) decodeExtra(extra string) {
	if len(extra) <= len("{}") {
		return
	}
	m := map[string]json.RawMessage{}
	if json.Unmarshal([]byte(extra), &m) != nil {
		return
	}
	if raw := m["poll"]; raw != nil {
		var pl Poll
		if json.Unmarshal(raw, &pl) == nil && len(pl.Options) > 0 {
			// Polls stored before counts were kept have none.
			pl.Votes = append(pl.Votes, make([]int, max(len(pl.Options)-len(pl.Votes), 0))...)[:len(pl.Options)]
			p.Poll = &pl
			delete(m, "poll")
		}
	}
	if raw := m["quote"]; raw != nil {
		if json.Unmarshal(raw, &p.Quote) == nil {
			delete(m, "quote")
		}
	}
	if len(m) > 0 {
		p.extra = m
	}
}

// encodeExtra returns the extra column for p: its Poll, its Quote and the other properties it
// was read with, as one JSON object ("{}" when it has none).
func (p *Post) encodeExtra() (string, error) {
	if p.Poll == nil && p.Quote == "" && len(p.extra) == 0 {
		return "{}", nil
	}
	m := make(map[string]any, len(p.extra)+2)
	for k, v := range p.extra {
		m[k] = v
	}
	if p.Poll != nil {
		m["poll"] = p.Poll
	}
	if p.Quote != "" {
		m["quote"] = p.Quote
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode extra of post %d: %w", p.ID, err)
	}
	return string(b), nil
}
