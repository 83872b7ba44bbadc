// Package templates renders Roost's HTML pages with templ. Components take typed view values;
// templ.Raw is used only on content.HTML, which comes out of the sanitizer.
package templates

//go:generate go tool templ generate

import (
	"net/url"
	"strconv"
	"time"

	"github.com/a-h/templ"

	"roost/server/content"
)

// Page is what every page's layout needs.
type Page struct {
	Title       string
	Description string
	CSS         string // hashed stylesheet URL
	JS          string // hashed script URL, for the owner's pages: progressive enhancements only, every page works without it
	SiteName    string
	Canonical   string
	ActivityIRI string // rel=alternate application/activity+json
	AtomURL     string // rel=alternate application/atom+xml
	RSSURL      string // rel=alternate application/rss+xml
	OG          *OpenGraph
	// Robots is the content of the robots meta tag ("" for none): "noindex" when the owner opted
	// out of search engines.
	Robots string
	// Owner is set on the owner's own pages (signed in).
	Owner *OwnerNav
}

// OwnerNav is what the navigation of a signed-in owner shows.
type OwnerNav struct {
	CSRF       string
	Unread     int
	Requests   int // follow requests waiting for an answer: 0, or more (the first only is counted)
	ProfileURL string
	Notice     string // a one-line result of the last action
	Error      string
	// ErrorDetail is what lies behind Error (a remote server's answer, a network error), shown
	// folded under it.
	ErrorDetail string
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
	Summary      string // content warning
	Visibility   string // the form's value (public, unlisted, followers, direct); empty: public
	PollOptions  []string
	PollExpires  string // seconds, one of pollDurations
	PollMultiple bool
	MediaIDs     []string // uploads kept from a submission that was refused
	Kept         []Upload // the same uploads, to show
	MaxChars     int
	Visibilities []string
	ScheduleAt   string // the "schedule for" time as the form sent it (ScheduleLayout, UTC)
}

// Upload is an image the owner uploaded for a post not yet published.
type Upload struct {
	Src string
	Alt string
}

// Notification is one line of the notifications page.
type Notification struct {
	Kind   string // follow, follow_request, mention, quote, favourite, reblog, move, poll
	Who    string
	WhoURL string // Roost's page about the account
	WhoIRI string
	Avatar string
	Handle string
	// FollowBack offers a follow back in one click: the account follows the owner, who does not
	// follow it.
	FollowBack bool
	Post       *Post
	When       time.Time
	Unread     bool
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
	HeaderURL   string
	Summary     content.HTML
	Fields      []Field
	Followers   int
	Following   int
	HideNetwork bool
	PostCount   int
	Pinned      []Post // shown first, when on the first page
	Posts       []Post
	OlderURL    string
	AtomURL     string
	RSSURL      string
	MovedTo     string // the account the owner moved to, if they did
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
	BoostedBy    string // the booster's name as shown (nameOrHandle), for a boost in a timeline
	BoostedByURL string // Roost's page about the booster
	BoostedByYou bool   // the owner boosted it
	Liked        bool
	Bookmarked   bool
	Pinned       bool
	Boosted      bool
	Own          bool
	Actions      bool // show the owner's action buttons
	AuthorName   string
	AuthorHandle string
	AuthorURL    string // the author's profile where it lives
	AuthorPage   string // Roost's page about the author for the signed-in owner; "" on public pages
	AuthorAvatar string // the avatar's src (through the media proxy when it is on)
	ThreadURL    string // the owner's view of the post in its thread; "" on public pages
	Filtered     string // the title of the owner's filter that folds this post behind a warning
	URL          string
	Summary      string
	Content      content.HTML
	Published    time.Time
	Edited       time.Time // the last edit, zero when never edited
	Visibility   string    // as stored: public, unlisted, private, direct
	Replies      int
	Likes        int
	Boosts       int
	InReplyTo    string // URL of the post replied to, when known
	Attachments  []Attachment
	Poll         *Poll
	Quote        string // URL of the post quoted, when there is one
	Reactions    []Reaction
}

// Reaction is an emoji a post was reacted with, and by how many.
type Reaction struct {
	Emoji    string // a Unicode emoji, or a custom emoji's ":name:"
	ImageURL string // a custom emoji's image
	Count    int
}

// Poll is a post's poll: its options with their counts as its server last sent them.
type Poll struct {
	Options  []PollOption
	Multiple bool
	Votes    int
	Voters   int       // 0 when the poll's server does not say
	Ends     time.Time // zero when the poll has no end
	Expired  bool
	Voted    bool // the owner voted
}

// PollOption is one choice of a poll.
type PollOption struct {
	Title   string
	Votes   int
	Percent int // of all votes, rounded down
	Own     bool
}

func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func notificationText(kind string) string {
	switch kind {
	case "follow":
		return "followed you"
	case "follow_request":
		return "asked to follow you"
	case "mention":
		return "mentioned you"
	case "quote":
		return "quoted your post"
	case "favourite":
		return "liked your post"
	case "reblog":
		return "boosted your post"
	case "move":
		return "moved to a new account"
	case "poll":
		return "ran a poll that has ended"
	case "status":
		return "posted"
	}
	return kind
}

func replyURL(iri string) string { return "/compose?reply_to=" + url.QueryEscape(iri) }

// AccountView is the owner's view of one account, with what they can do about it.
type AccountView struct {
	Name       string
	Handle     string
	IRI        string
	URL        string
	AvatarURL  string
	HeaderURL  string
	Summary    content.HTML
	Fields     []Field
	Following  bool // the owner follows them
	Requested  bool // the owner's follow is pending
	ShowBoosts bool // the owner's follow (or request) shows their boosts in home
	Notify     bool // the owner's follow notifies them of each new post
	FollowsYou bool
	Blocked    bool
	Muted      bool
	Posts      []Post
	Local      bool
	MovedTo    string
	Lists      []ListChoice // the owner's lists, when the owner follows the account
	// Counts is the account's own counts as its server gives them ("12 posts · 3 followers"), or "".
	Counts string
}

// PostList is a page of posts with a title (bookmarks, a search result).
type PostList struct {
	Title    string
	Posts    []Post
	OlderURL string
	Empty    string
}

// EditForm edits one of the owner's posts.
type EditForm struct {
	Post    Post
	Source  string
	Summary string
	History []Edit
}

// Edit is an earlier version of a post.
type Edit struct {
	Summary string
	Content content.HTML
	When    time.Time
}

// ProfileForm is the profile editor.
type ProfileForm struct {
	DisplayName  string
	Bio          string
	Fields       []FieldInput
	AvatarURL    string
	HeaderURL    string
	Locked       bool
	Discoverable bool
	Indexable    bool
	HideNetwork  bool
	Bot          bool
	NoIndex      bool
	NoAI         bool
	MovedTo      string // the account the owner moved to, if they did
	Handle       string // the owner's, @user@host
	MaxUpload    int64  // the largest image the owner may upload, in bytes
}

// FieldInput is one editable profile field (plain text as typed).
type FieldInput struct {
	Name  string
	Value string
}

// httpLink returns u as a link target when it is an absolute http(s) URL, else "": what a remote
// server says an address is never becomes a javascript: or data: link.
func httpLink(u string) templ.SafeURL {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
		return ""
	}
	return templ.SafeURL(u)
}

func editURL(iri string) string { return "/edit?post=" + url.QueryEscape(iri) }

// OpenGraph is what link previews (OpenGraph, Twitter cards) show of a page.
type OpenGraph struct {
	Type        string // profile or article
	Title       string
	Description string // plain text
	URL         string
	Image       string // absolute URL, may be empty
	Published   time.Time
}

// Attachment is a media attachment of a post; only http(s) URLs reach a view.
type Attachment struct {
	URL        string
	PreviewURL string // a smaller image to show, when there is one
	FullSrc    string // the image at full size as a page may load it (through the media proxy when it is on)
	MediaType  string
	Alt        string
	Image      bool
	Width      int
	Height     int
}

// src is the image a page shows for an attachment: the preview when there is one.
func (a Attachment) src() string {
	if a.PreviewURL != "" {
		return a.PreviewURL
	}
	return a.URL
}

// Thread is a post's permalink: the posts it replies to, oldest first, and the replies to it.
type Thread struct {
	Ancestors []Post
	Post      Post
	Replies   []Reply
}

// Reply is a reply in a thread, with the replies to it.
type Reply struct {
	Post    Post
	Replies []Reply
}

// TagPosts is the page of the owner's public posts with one hashtag.
type TagPosts struct {
	Tag      string // lower-case, without #
	Posts    []Post
	OlderURL string
	// Following is whether the owner (signed in) follows the tag.
	Following bool
}

// RemoteFollow is the answer of a remote follow that could not go ahead, or that goes on at an
// address the visitor should see before following it.
type RemoteFollow struct {
	Handle      string // what the visitor typed
	Error       string
	Target      string // where the visitor's server sends them, when not redirected there
	Host        string // the host of the visitor's handle
	ProfileURL  string
	OwnerHandle string
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// attachmentLabel is the link text of an attachment that is not shown inline.
func attachmentLabel(a Attachment) string {
	if a.Alt != "" {
		return a.Alt
	}
	if a.MediaType != "" {
		return "Attachment (" + a.MediaType + ")"
	}
	return "Attachment"
}

// Status is the owner's status page: the build, the disk the data takes and the queues.
type Status struct {
	Version       string
	Started       time.Time
	Uptime        time.Duration
	SchemaVersion int
	DatabaseBytes int64 // the database file and its write-ahead log
	MediaBytes    int64
	MediaFiles    int
	InboxPending  int         // received activities not yet processed
	Queue         []QueueHost // outgoing deliveries by host, busiest first
	Certificate   string      // the HTTPS certificate's expiry, or "—" when Roost does not manage one
}

// QueueHost is the outgoing deliveries queued for one remote server.
type QueueHost struct {
	Host        string
	Queued      int
	Failing     int // deliveries that failed at least once and wait for a retry
	PausedUntil time.Time
}

// OAuthConsent is the page where the owner lets an app use the account (GET /oauth/authorize);
// the hidden fields carry the request to the form's POST.
type OAuthConsent struct {
	AppName             string
	Website             string // http(s) URL, may be empty
	ClientID            string
	RedirectURI         string
	RedirectHost        string // where the browser goes next, shown to the owner
	OOB                 bool   // the code is shown instead of sent
	Scope               string // space-separated, as requested
	Scopes              []OAuthScope
	State               string
	CodeChallenge       string
	CodeChallengeMethod string
}

// OAuthScope is one requested scope and what it allows, in words.
type OAuthScope struct {
	Name        string
	Description string
}

// OAuthCode is the out-of-band answer of an authorization: the code to paste into the app.
type OAuthCode struct {
	AppName string
	Code    string
	Denied  bool
}

// Apps is the list of apps the owner authorized.
type Apps struct {
	Apps []AuthorizedApp
}

// AuthorizedApp is an app holding at least one of the owner's tokens.
type AuthorizedApp struct {
	ID         string
	Name       string
	Website    string
	Scopes     []string
	Registered time.Time
}

// maxPollOptions is how many options a poll form offers (server.MaxPollOptions).
const maxPollOptions = 4

// pollOptionTitle is the title of poll's option i, or "" past its last.
// nth is list[i], or "" past its end.
func nth(list []string, i int) string {
	if i < len(list) {
		return list[i]
	}
	return ""
}

func pollOptionTitle(poll Poll, i int) string {
	if i < len(poll.Options) {
		return poll.Options[i].Title
	}
	return ""
}
