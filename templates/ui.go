package templates

import (
	"context"
	"hash/fnv"
	"strconv"
	"time"
)

// visibilityLabel names a stored visibility for the marker on a post.
func visibilityLabel(vis string) string {
	switch vis {
	case "public":
		return "Public"
	case "unlisted":
		return "Unlisted"
	case "private":
		return "Followers only"
	case "direct":
		return "Mentioned people only"
	}
	return vis
}

// visibilityHint says who can see a post of that visibility, for the marker's title.
func visibilityHint(vis string) string {
	switch vis {
	case "public":
		return "Anyone can see this post, and it is in public timelines"
	case "unlisted":
		return "Anyone with the link can see this post; it is left out of public timelines"
	case "private":
		return "Only followers can see this post"
	case "direct":
		return "Only the people mentioned can see this post"
	}
	return ""
}

// relative is how long ago t was, in words, for the recent past; "" past a week, when the date
// says more.
func relative(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 0:
		return ""
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute", "minutes") + " ago"
	case d < 24*time.Hour:
		return plural(int(d/time.Hour), "hour", "hours") + " ago"
	case d < 7*24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day", "days") + " ago"
	}
	return ""
}

// Confirm is the second step of a destructive action: what it does, in words, and the form
// that does it.
type Confirm struct {
	Title    string
	Question string
	Effects  []string // what will happen, one sentence each
	Action   string   // the form's action
	Field    string   // the form field naming what is acted on: post or account
	Value    string
	Button   string
	Back     string // where Cancel goes, and the form returns to
	Post     *Post  // the post to delete, shown
}

// DomainBlocks is the settings page of blocked domains.
type DomainBlocks struct {
	Domains []string
}

// authorLink is where a post's author name leads: Roost's page about them for the owner, their
// profile for everyone else.
func authorLink(p Post) string {
	if p.AuthorPage != "" {
		return p.AuthorPage
	}
	return p.AuthorURL
}

// imageAlt is an image's alt attribute: its description, or words saying it has none, so a
// screen reader does not read out the file name.
func imageAlt(a Attachment) string {
	if a.Alt != "" {
		return a.Alt
	}
	return "Image without a description"
}

type zoneKey struct{}

// WithZone returns ctx carrying the reader's time zone, in which pages show times.
func WithZone(ctx context.Context, loc *time.Location) context.Context {
	return context.WithValue(ctx, zoneKey{}, loc)
}

// zoneOf is the reader's time zone (WithZone), UTC when unknown.
func zoneOf(ctx context.Context) *time.Location {
	if loc, ok := ctx.Value(zoneKey{}).(*time.Location); ok && loc != nil {
		return loc
	}
	return time.UTC
}

// whenIn formats t in the reader's time zone.
func whenIn(ctx context.Context, t time.Time) string {
	return t.In(zoneOf(ctx)).Format("2006-01-02 15:04 MST")
}

// ballot reports whether the owner's view of post shows the poll's ballot instead of its results:
// a poll they did not vote in, still open, by someone else.
func ballot(p Post) bool {
	return p.Actions && p.Poll != nil && !p.Poll.Voted && !p.Poll.Expired && !p.Own
}

// withoutPoll is p without its poll, for a card shown above the poll's ballot.
func withoutPoll(p Post) Post {
	p.Poll = nil
	return p
}

// lightboxID is the element id of an attachment's full-screen view: from its URL, so it is the
// same wherever the post is on the page.
func lightboxID(a Attachment) string {
	h := fnv.New64a()
	h.Write([]byte(a.URL))
	return "image-" + strconv.FormatUint(h.Sum64(), 36)
}

// full is the src of an attachment's full-size view: FullSrc, else the shown image.
func (a Attachment) full() string {
	if a.FullSrc != "" {
		return a.FullSrc
	}
	return a.src()
}
