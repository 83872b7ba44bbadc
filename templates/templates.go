// Package templates renders Roost's HTML pages with templ. Components take typed view values;
// templ.Raw is used only on content.HTML, which comes out of the sanitizer.
package templates

//go:generate go tool templ generate

import (
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
