// Package mastodon holds the Mastodon client API's wire types (the JSON entities apps expect, as
// documented at docs.joinmastodon.org/entities), its pagination rules and how it reads booleans.
package mastodon

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Account is Mastodon's Account entity.
type Account struct {
	ID             string   `json:"id"`
	Username       string   `json:"username"`
	Acct           string   `json:"acct"`
	DisplayName    string   `json:"display_name"`
	Locked         bool     `json:"locked"`
	Bot            bool     `json:"bot"`
	Discoverable   bool     `json:"discoverable"`
	Indexable      bool     `json:"indexable"`
	Group          bool     `json:"group"`
	CreatedAt      string   `json:"created_at"`
	Note           string   `json:"note"`
	URL            string   `json:"url"`
	URI            string   `json:"uri"`
	Avatar         string   `json:"avatar"`
	AvatarStatic   string   `json:"avatar_static"`
	Header         string   `json:"header"`
	HeaderStatic   string   `json:"header_static"`
	FollowersCount int      `json:"followers_count"`
	FollowingCount int      `json:"following_count"`
	StatusesCount  int      `json:"statuses_count"`
	LastStatusAt   *string  `json:"last_status_at"`
	HideCollection bool     `json:"hide_collections"`
	Noindex        bool     `json:"noindex"`
	Emojis         []Emoji  `json:"emojis"`
	Roles          []any    `json:"roles"`
	Fields         []Field  `json:"fields"`
	Moved          *Account `json:"moved,omitempty"`
	Source         *Source  `json:"source,omitempty"`
}

// Field is a profile field.
type Field struct {
	Name       string  `json:"name"`
	Value      string  `json:"value"`
	VerifiedAt *string `json:"verified_at"`
}

// Source is the owner's own account's editable source (verify_credentials).
type Source struct {
	Privacy             string  `json:"privacy"`
	Sensitive           bool    `json:"sensitive"`
	Language            string  `json:"language"`
	Note                string  `json:"note"`
	Fields              []Field `json:"fields"`
	FollowRequestsCount int     `json:"follow_requests_count"`
	HideCollections     bool    `json:"hide_collections"`
	Discoverable        bool    `json:"discoverable"`
	Indexable           bool    `json:"indexable"`
}

// Emoji is a custom emoji.
type Emoji struct {
	Shortcode       string `json:"shortcode"`
	URL             string `json:"url"`
	StaticURL       string `json:"static_url"`
	VisibleInPicker bool   `json:"visible_in_picker"`
}

// Status is Mastodon's Status entity.
type Status struct {
	ID                 string            `json:"id"`
	URI                string            `json:"uri"`
	URL                *string           `json:"url"`
	CreatedAt          string            `json:"created_at"`
	EditedAt           *string           `json:"edited_at"`
	Account            *Account          `json:"account"`
	Content            string            `json:"content"`
	Text               *string           `json:"text,omitempty"`
	Visibility         string            `json:"visibility"`
	Sensitive          bool              `json:"sensitive"`
	SpoilerText        string            `json:"spoiler_text"`
	MediaAttachments   []MediaAttachment `json:"media_attachments"`
	Application        *Application      `json:"application"`
	Mentions           []Mention         `json:"mentions"`
	Tags               []Tag             `json:"tags"`
	Emojis             []Emoji           `json:"emojis"`
	ReblogsCount       int               `json:"reblogs_count"`
	FavouritesCount    int               `json:"favourites_count"`
	RepliesCount       int               `json:"replies_count"`
	InReplyToID        *string           `json:"in_reply_to_id"`
	InReplyToAccountID *string           `json:"in_reply_to_account_id"`
	Reblog             *Status           `json:"reblog"`
	Poll               *Poll             `json:"poll"`
	Quote              *Quote            `json:"quote"`
	Card               any               `json:"card"`
	Language           *string           `json:"language"`
	Favourited         bool              `json:"favourited"`
	Reblogged          bool              `json:"reblogged"`
	Muted              bool              `json:"muted"`
	Bookmarked         bool              `json:"bookmarked"`
	Pinned             bool              `json:"pinned"`
	Filtered           []any             `json:"filtered"`
	// Pleroma is Pleroma's and Akkoma's extension: the emoji reactions, which their apps (and
	// Mastodon apps that know them) show.
	Pleroma *StatusPleroma `json:"pleroma,omitempty"`
}

// StatusPleroma is the pleroma object of a Status.
type StatusPleroma struct {
	EmojiReactions []EmojiReaction `json:"emoji_reactions"`
}

// EmojiReaction is one emoji a status was reacted with (Pleroma's API): a Unicode emoji, or a
// custom emoji's shortcode with its image.
type EmojiReaction struct {
	Name  string  `json:"name"`
	Count int     `json:"count"`
	Me    bool    `json:"me"`
	URL   *string `json:"url"`
}

// Quote is Mastodon's Quote entity: the status a status quotes, when Roost has it.
type Quote struct {
	State        string  `json:"state"`
	QuotedStatus *Status `json:"quoted_status"`
}

// Poll is Mastodon's Poll entity. Its ID is the status's: Roost keeps a poll with its post.
type Poll struct {
	ID          string       `json:"id"`
	ExpiresAt   *string      `json:"expires_at"`
	Expired     bool         `json:"expired"`
	Multiple    bool         `json:"multiple"`
	VotesCount  int          `json:"votes_count"`
	VotersCount *int         `json:"voters_count"`
	Voted       bool         `json:"voted"`
	OwnVotes    []int        `json:"own_votes"`
	Options     []PollOption `json:"options"`
	Emojis      []Emoji      `json:"emojis"`
}

// PollOption is one choice of a Poll.
type PollOption struct {
	Title      string `json:"title"`
	VotesCount int    `json:"votes_count"`
}

// MediaAttachment is an attachment of a status.
type MediaAttachment struct {
	ID         string  `json:"id"`
	Type       string  `json:"type"` // image, gifv, video, audio, unknown
	URL        string  `json:"url"`
	PreviewURL string  `json:"preview_url"`
	RemoteURL  *string `json:"remote_url"`
	// PreviewRemoteURL is the origin's thumbnail of a remote file; null for local media.
	PreviewRemoteURL *string `json:"preview_remote_url"`
	Description      *string `json:"description"`
	Blurhash         *string `json:"blurhash"`
	Meta             any     `json:"meta"`
}

// Mention is a mentioned account of a status.
type Mention struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	URL      string `json:"url"`
	Acct     string `json:"acct"`
}

// Tag is a hashtag of a status.
type Tag struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Application is the app a status was posted with.
type Application struct {
	Name    string  `json:"name"`
	Website *string `json:"website"`
}

// Notification is Mastodon's Notification entity.
type Notification struct {
	ID        string   `json:"id"`
	Type      string   `json:"type"`
	CreatedAt string   `json:"created_at"`
	GroupKey  string   `json:"group_key"`
	Account   *Account `json:"account"`
	Status    *Status  `json:"status,omitempty"`
	Target    *Account `json:"target,omitempty"` // a move's new account
	// Emoji and EmojiURL are the emoji of a "pleroma:emoji_reaction" (Pleroma's and Akkoma's
	// notification of an emoji reaction), and the image of a custom one.
	Emoji    string `json:"emoji,omitempty"`
	EmojiURL string `json:"emoji_url,omitempty"`
}

// Relationship is the owner's relationship with an account.
type Relationship struct {
	ID                  string   `json:"id"`
	Following           bool     `json:"following"`
	ShowingReblogs      bool     `json:"showing_reblogs"`
	Notifying           bool     `json:"notifying"`
	Languages           []string `json:"languages"` // null: every language
	FollowedBy          bool     `json:"followed_by"`
	Blocking            bool     `json:"blocking"`
	BlockedBy           bool     `json:"blocked_by"`
	Muting              bool     `json:"muting"`
	MutingNotifications bool     `json:"muting_notifications"`
	Requested           bool     `json:"requested"`
	RequestedBy         bool     `json:"requested_by"`
	DomainBlocking      bool     `json:"domain_blocking"`
	Endorsed            bool     `json:"endorsed"`
	Note                string   `json:"note"`
}

// Context is a status's thread.
type Context struct {
	Ancestors   []*Status `json:"ancestors"`
	Descendants []*Status `json:"descendants"`
}

// Page is a request's paging parameters: max_id, since_id, min_id and limit.
type Page struct {
	MaxID, SinceID, MinID int64
	Limit                 int
}

// ParsePage reads Mastodon's paging query parameters; limit defaults to def and is capped at max.
func ParsePage(q url.Values, def, max int) Page {
	p := Page{Limit: def}
	p.MaxID, _ = strconv.ParseInt(q.Get("max_id"), 10, 64)
	p.SinceID, _ = strconv.ParseInt(q.Get("since_id"), 10, 64)
	p.MinID, _ = strconv.ParseInt(q.Get("min_id"), 10, 64)
	if l, err := strconv.Atoi(q.Get("limit")); err == nil && l > 0 {
		p.Limit = min(l, max)
	}
	return p
}

// SetLink sets Mastodon's Link header for a page of items whose IDs, newest first, run from
// newest to oldest: rel="next" pages to older items (max_id), rel="prev" to newer (min_id). An
// empty page gets no Link header, so clients stop paging.
func SetLink(w http.ResponseWriter, r *http.Request, base string, newest, oldest string, n int) {
	if n == 0 {
		return
	}
	q := r.URL.Query()
	for _, k := range []string{"max_id", "min_id", "since_id"} {
		q.Del(k)
	}
	next := cloneWith(q, "max_id", oldest)
	prev := cloneWith(q, "min_id", newest)
	w.Header().Set("Link", `<`+base+r.URL.Path+`?`+next+`>; rel="next", <`+base+r.URL.Path+`?`+prev+`>; rel="prev"`)
}

func cloneWith(q url.Values, k, v string) string {
	c := url.Values{}
	for key, vals := range q {
		c[key] = append([]string(nil), vals...)
	}
	c.Set(k, v)
	return c.Encode()
}

// Visibility maps Roost's stored visibility to Mastodon's name (they are the same except for
// spelling "private").
func Visibility(v string) string {
	if v == "" {
		return "public"
	}
	return v
}

// StoredVisibility maps a client's visibility parameter to Roost's, reporting false for an
// unknown one.
func StoredVisibility(v string) (string, bool) {
	switch strings.ToLower(v) {
	case "", "public":
		return "public", true
	case "unlisted":
		return "unlisted", true
	case "private":
		return "private", true
	case "direct":
		return "direct", true
	}
	return "", false
}
