// Package templates renders Roost's HTML pages with templ. Components take typed view values;
// templ.Raw is used only on content.HTML, which comes out of the sanitizer.
package templates

//go:generate go tool templ generate

import (
	"net/url"
	"time"

	"roost/server/content"
)

// Page is what every page's layout needs.
type Page struct {
	Title       string
	Description string
	CSS         string // hashed stylesheet URL
	SiteName    string
	Canonical   string
	ActivityIRI string // rel=alternate application/activity+json
	// Owner is set on the owner's own pages (signed in).
	Owner *OwnerNav
}

// OwnerNav is what the navigation of a signed-in owner shows.
type OwnerNav struct {
	CSRF       string
	Unread     int
	ProfileURL string
	Notice     string // a one-line result of the last action
	Error      string
}

// Login is the sign-in form.
type Login struct {
	Next  string
	Error string
}

// PasswordForm is the change-password form.
type PasswordForm struct {
	Error string
	Done  bool
}

// Home is the owner's home timeline with the compose form.
type Home struct {
	Compose  Compose
	Entries  []Post
	OlderURL string
	NewerURL string
}

// Compose is the post form, empty or replying to a post.
type Compose struct {
	ReplyTo      string // IRI of the post replied to
	ReplyToPost  *Post
	Text         string
	MaxChars     int
	Visibilities []string
}

// Notification is one line of the notifications page.
type Notification struct {
	Kind   string // follow, follow_request, mention, favourite, reblog, move
	Who    string
	WhoURL string
	Handle string
	Post   *Post
	When   time.Time
	Unread bool
}

// Notifications is the notifications page.
type Notifications struct {
	Items    []Notification
	OlderURL string
	Requests []Account
}

// Account is a remote or local account in a list.
type Account struct {
	Name   string
	Handle string
	URL    string
	IRI    string
}

// Profile is the owner's public profile.
type Profile struct {
	DisplayName string
	Handle      string // @user@host
	URL         string
	AvatarURL   string
	Summary     content.HTML
	Fields      []Field
	Followers   int
	Following   int
	PostCount   int
	Posts       []Post
	OlderURL    string
}

// Field is one profile field.
type Field struct {
	Name  string
	Value content.HTML
}

// Post is one post as shown on a page.
type Post struct {
	ID           int64
	IRI          string
	BoostedBy    string // display name of the booster, for a boost in a timeline
	Liked        bool
	Boosted      bool
	Own          bool
	Actions      bool // show the owner's action buttons
	AuthorName   string
	AuthorHandle string
	AuthorURL    string
	URL          string
	Summary      string
	Content      content.HTML
	Published    time.Time
	Visibility   string
	Replies      int
	Likes        int
	Boosts       int
}

func when(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func notificationText(kind string) string {
	switch kind {
	case "follow":
		return "followed you"
	case "follow_request":
		return "asked to follow you"
	case "mention":
		return "mentioned you"
	case "favourite":
		return "liked your post"
	case "reblog":
		return "boosted your post"
	case "move":
		return "moved to a new account"
	}
	return kind
}

func replyURL(iri string) string { return "/compose?reply_to=" + url.QueryEscape(iri) }
