package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"

	"golang.org/x/net/html"
)

// Search: known accounts by handle and name, hashtags by name, and posts by their words with
// Mastodon's search operators (https://docs.joinmastodon.org/user/network/#search). Posts are found
// through the FTS5 table post_search (migration 0016), whose rows the store writes with each post.

// SearchQuery is a status search: words and phrases, and Mastodon's operators. ParseSearchQuery
// makes one from what a user typed.
type SearchQuery struct {
	Terms   []string // words and phrases that must all occur (in the text or the content warning)
	Exclude []string // words and phrases that must not occur (-word, -"a phrase")

	From    string   // only posts by this account: "me" (the owner), "user@host", or "user" (the owner's username)
	NotFrom []string // not by these accounts (-from:)
	Has     []string // media, image, video, audio, poll, link, embed; each must hold
	NotHas  []string
	Is      []string // reply, sensitive; each must hold
	NotIs   []string

	Language  string    // only posts in this language (language:xx)
	Before    time.Time // only posts published before this time (before:YYYY-MM-DD, the day's start)
	After     time.Time // only posts published at or after this time (after:YYYY-MM-DD: the next day's start)
	InLibrary bool      // only the owner's own posts and those they liked, boosted or bookmarked (in:library)

	Offset, Limit int
}

// empty reports whether q asks for nothing: no words and no operator.
func (q *SearchQuery) empty() bool {
	return len(q.Terms) == 0 && len(q.Exclude) == 0 && q.From == "" && len(q.NotFrom) == 0 &&
		len(q.Has) == 0 && len(q.NotHas) == 0 && len(q.Is) == 0 && len(q.NotIs) == 0 && q.Language == "" &&
		q.Before.IsZero() && q.After.IsZero() && !q.InLibrary
}

// ParseSearchQuery reads a status search as Mastodon's search box takes it: words, "quoted
// phrases", -negated words and phrases, and the operators from:, has:, is:, language:, before:,
// after:, during: and in: (each may be negated with -, where that means something). A value an
// operator does not know (has:nothing) keeps its operator and matches nothing; a token that is not
// an operator (http://x, foo:bar) is a word. Paging (Offset, Limit) is left to the caller.
func ParseSearchQuery(s string) SearchQuery {
	var q SearchQuery
	for len(s) > 0 {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		if s == "" {
			break
		}
		neg := false
		if len(s) > 1 && s[0] == '-' && !unicode.IsSpace(rune(s[1])) {
			neg, s = true, s[1:]
		}
		var tok string
		phrase := s[0] == '"'
		if phrase {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				tok, s = s[1:], ""
			} else {
				tok, s = s[1:1+end], s[2+end:]
			}
		} else {
			end := strings.IndexFunc(s, unicode.IsSpace)
			if end < 0 {
				end = len(s)
			}
			tok, s = s[:end], s[end:]
		}
		if !phrase && q.operator(tok, neg) {
			continue
		}
		if !ftsTokens(tok) {
			continue // nothing the index could match: punctuation, a lone -
		}
		if neg {
			q.Exclude = append(q.Exclude, tok)
		} else {
			q.Terms = append(q.Terms, tok)
		}
	}
	return q
}

// operator applies tok to q when it is one of the operators, and reports whether it was.
func (q *SearchQuery) operator(tok string, neg bool) bool {
	name, value, ok := strings.Cut(tok, ":")
	if !ok || value == "" {
		return false
	}
	value = strings.ToLower(value)
	switch strings.ToLower(name) {
	case "from":
		value = strings.TrimPrefix(value, "@")
		if neg {
			q.NotFrom = append(q.NotFrom, value)
		} else {
			q.From = value
		}
	case "has":
		if neg {
			q.NotHas = append(q.NotHas, value)
		} else {
			q.Has = append(q.Has, value)
		}
	case "is":
		if neg {
			q.NotIs = append(q.NotIs, value)
		} else {
			q.Is = append(q.Is, value)
		}
	case "language":
		if !neg {
			q.Language = value
		}
	case "before", "after", "during":
		day, err := time.Parse(time.DateOnly, value)
		if err != nil || neg {
			return err == nil // a malformed date is a word
		}
		switch strings.ToLower(name) {
		case "before":
			q.Before = day
		case "after":
			q.After = day.AddDate(0, 0, 1)
		case "during":
			q.After, q.Before = day, day.AddDate(0, 0, 1)
		}
	case "in":
		switch value {
		case "library":
			q.InLibrary = !neg
		case "all":
		default:
			return false
		}
	default:
		return false
	}
	return true
}

// ftsString quotes s as an FTS5 string: the tokenizer makes its words a phrase, and nothing in it
// is FTS5 syntax. FTS5 reads the expression as a C string: a NUL in it would end it there.
func ftsString(s string) string {
	return `"` + strings.NewReplacer(`"`, `""`, "\x00", " ").Replace(s) + `"`
}

// ftsTokens reports whether s holds anything the unicode61 tokenizer makes a token of (a letter, a
// number, or a private-use character): a phrase without any matches nothing, and FTS5 takes an
// empty phrase inside AND or NOT badly.
func ftsTokens(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Co, r)
	}) >= 0
}

// matchExpr makes the FTS5 MATCH expression of q's words and of the operators the index answers
// (has:link). pos is empty when nothing must occur; neg when nothing must not. A word without
// tokens can match nothing: none reports that the query then finds nothing.
func (q *SearchQuery) matchExpr() (pos, neg string, none bool) {
	var must, not []string
	for _, t := range q.Terms {
		if !ftsTokens(t) {
			return "", "", true
		}
		must = append(must, `{text summary} : `+ftsString(t))
	}
	for _, t := range q.Exclude {
		if ftsTokens(t) {
			not = append(not, `{text summary} : `+ftsString(t))
		}
	}
	for _, h := range q.Has {
		if h == "link" {
			must = append(must, `props : "link"`)
		}
	}
	for _, h := range q.NotHas {
		if h == "link" {
			not = append(not, `props : "link"`)
		}
	}
	return strings.Join(must, " AND "), strings.Join(not, " OR "), false
}

// SearchPosts finds live posts, the owner's and remote ones, that match q, newest first (as
// Mastodon orders a status search), skipping q.Offset and returning at most q.Limit (20 when
// unset, 40 at most). It returns nothing for a query that asks nothing.
//
// It applies no visibility rule: every stored post can match, direct and followers-only ones
// included. The caller shows each result only to whom may see it (as it does for a timeline),
// and should ask for a few more than it shows when it drops some.
func (s *Store) SearchPosts(ctx context.Context, q SearchQuery) ([]*Post, error) {
	query, args, ok := q.sql()
	if !ok {
		return nil, nil
	}
	posts, err := scanPosts(s.r.QueryContext(ctx, query, args...))
	if err != nil {
		return nil, fmt.Errorf("search posts: %w", err)
	}
	return posts, nil
}

// sql returns the query of SearchPosts and its arguments; ok is false when q can find nothing.
func (q *SearchQuery) sql() (query string, args []any, ok bool) {
	if q.empty() {
		return "", nil, false
	}
	pos, neg, none := q.matchExpr()
	if none {
		return "", nil, false
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 40)
	offset := max(q.Offset, 0)

	var where []string
	from := `posts p`
	order := `p.id`
	if pos != "" {
		// Walked in rowid (post id) order by the FTS index itself, so a page stops after it has
		// its rows instead of sorting every match.
		from, order = `post_search f JOIN posts p ON p.id = f.rowid`, `f.rowid`
		expr := pos
		if neg != "" {
			expr = "(" + pos + ") NOT (" + neg + ")"
		}
		where = append(where, `post_search MATCH ?`)
		args = append(args, expr)
	} else if neg != "" {
		where = append(where, `p.id NOT IN (SELECT rowid FROM post_search WHERE post_search MATCH ?)`)
		args = append(args, neg)
	}
	where = append(where, `p.deleted_at = 0`)
	if q.From != "" {
		// One account, compared by =: posts_account (account_id, id) then gives the order.
		where = append(where, `p.account_id = (`+accountByHandleSQL+` LIMIT 1)`)
		args = append(args, handleArgs(q.From)...)
	}
	for _, h := range q.NotFrom {
		where = append(where, `p.account_id NOT IN (`+accountByHandleSQL+`)`)
		args = append(args, handleArgs(h)...)
	}
	for _, h := range q.Has {
		c, ok := hasSQL[h]
		if !ok {
			return "", nil, false // nothing is known to have it
		}
		if c != "" {
			where = append(where, c)
		}
	}
	for _, h := range q.NotHas {
		if c := hasSQL[h]; c != "" {
			where = append(where, `NOT `+c)
		}
	}
	for _, i := range q.Is {
		c, ok := isSQL[i]
		if !ok {
			return "", nil, false
		}
		where = append(where, c)
	}
	for _, i := range q.NotIs {
		if c, ok := isSQL[i]; ok {
			where = append(where, `NOT `+c)
		}
	}
	if q.Language != "" {
		where = append(where, `lower(p.language) = ?`)
		args = append(args, q.Language)
	}
	if !q.Before.IsZero() {
		where = append(where, `p.published < ?`)
		args = append(args, q.Before.UnixMilli())
	}
	if !q.After.IsZero() {
		where = append(where, `p.published >= ?`)
		args = append(args, q.After.UnixMilli())
	}
	if q.InLibrary {
		where = append(where, `(p.account_id = (SELECT id FROM accounts WHERE local = 1)
			OR EXISTS (SELECT 1 FROM likes WHERE post_id = p.id AND account_id = (SELECT id FROM accounts WHERE local = 1))
			OR EXISTS (SELECT 1 FROM boosts WHERE post_id = p.id AND account_id = (SELECT id FROM accounts WHERE local = 1))
			OR EXISTS (SELECT 1 FROM bookmarks WHERE post_id = p.id))`)
	}
	args = append(args, limit, offset)
	return `SELECT ` + prefixed("p.", postCols) + ` FROM ` + from + `
		WHERE ` + strings.Join(where, " AND ") + ` ORDER BY ` + order + ` DESC LIMIT ? OFFSET ?`, args, true
}

// accountByHandleSQL selects the account a from: operator names (the arguments of handleArgs):
// the owner for "me" or their username, a remote account for user@host.
const accountByHandleSQL = `SELECT id FROM accounts WHERE (? = 'me' AND local = 1)
	OR (username = ? COLLATE NOCASE AND (host = ? COLLATE NOCASE OR (? = '' AND local = 1)))`

func handleArgs(h string) []any {
	user, host, _ := strings.Cut(strings.TrimPrefix(h, "@"), "@")
	return []any{h, user, host, host}
}

// hasSQL and isSQL are the conditions of has: and is: on a post p. has:link is answered by the
// index (its props column), has:embed by nothing: Roost keeps no preview cards.
var (
	hasSQL = map[string]string{
		"media": `p.attachments != '[]'`,
		"image": attachmentSQL("Image", "image/%"),
		"video": attachmentSQL("Video", "video/%"),
		"audio": attachmentSQL("Audio", "audio/%"),
		"poll":  `CASE WHEN json_valid(p.extra) THEN p.extra ->> '$.poll.options' IS NOT NULL ELSE 0 END`,
		"link":  ``,
	}
	isSQL = map[string]string{
		"reply":     `p.in_reply_to != ''`,
		"sensitive": `(p.sensitive = 1 OR p.summary != '')`,
	}
)

// attachmentSQL is the condition that post p has an attachment of type typ or media type mediaType
// (a LIKE pattern).
func attachmentSQL(typ, mediaType string) string {
	return `CASE WHEN json_valid(p.attachments) THEN EXISTS (SELECT 1 FROM json_each(p.attachments)
		WHERE value ->> 'type' = '` + typ + `' OR value ->> 'mediaType' LIKE '` + mediaType + `') ELSE 0 END`
}

// indexPost writes p's row of the search index: its plain text, poll options and media
// descriptions, its content warning, and the words of the operators the index answers.
func indexPost(ctx context.Context, tx *wtx, p *Post) error {
	text, link := plainText(p.Content)
	var b strings.Builder
	b.WriteString(text)
	if p.Poll != nil {
		for _, o := range p.Poll.Options {
			b.WriteString("\n")
			b.WriteString(o)
		}
	}
	for _, a := range p.Attachments {
		if a.Name != "" {
			b.WriteString("\n")
			b.WriteString(a.Name)
		}
	}
	props := ""
	if link {
		props = "link"
	}
	_, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO post_search (rowid, text, summary, props) VALUES (?, ?, ?, ?)`,
		p.ID, b.String(), p.Summary, props)
	if err != nil {
		return fmt.Errorf("index post %d: %w", p.ID, err)
	}
	return nil
}

// plainText returns the text of a post's HTML, block elements and line breaks made spaces, and
// whether it links anywhere but to a mention or a hashtag.
func plainText(content string) (text string, link bool) {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(content))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return strings.TrimSpace(b.String()), link
		case html.TextToken:
			b.Write(z.Text())
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, hasAttr := z.TagName()
			switch string(name) {
			case "a":
				if !link && hasAttr {
					link = plainLink(z)
				}
			case "br", "p", "div", "li", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol":
				b.WriteByte('\n')
			}
		}
	}
}

// plainLink reports whether the attributes of the <a> z is at make it an ordinary link: one with
// an href, not a mention (class "mention", "u-url mention") nor a hashtag (class "hashtag", rel="tag").
func plainLink(z *html.Tokenizer) bool {
	href := false
	for {
		key, val, more := z.TagAttr()
		switch string(key) {
		case "href":
			href = len(val) > 0
		case "class":
			for _, c := range strings.Fields(string(val)) {
				if c == "mention" || c == "hashtag" {
					return false
				}
			}
		case "rel":
			for _, r := range strings.Fields(string(val)) {
				if r == "tag" {
					return false
				}
			}
		}
		if !more {
			return href
		}
	}
}

// FoundAccount is an account a search found, and whether the owner follows it.
type FoundAccount struct {
	*Account
	Followed bool
}

// SearchAccounts finds known accounts (remote ones and the owner) whose handle or display name
// begins with q, case-insensitively (ASCII letters only, as SQLite's LIKE): q is a username, a
// user@host (the host a prefix too), a display name or one of its words; a leading @ is ignored.
// The exact handle comes first, then accounts the owner follows, then the others, each by
// username. With followingOnly only accounts the owner follows are found. Paged by offset and
// limit (40 at most).
func (s *Store) SearchAccounts(ctx context.Context, q string, offset, limit int, followingOnly bool) ([]FoundAccount, error) {
	q = strings.TrimPrefix(strings.TrimSpace(q), "@")
	if q == "" {
		return nil, nil
	}
	if limit <= 0 {
		limit = 40
	}
	limit, offset = min(limit, 40), max(offset, 0)
	user, host, withHost := strings.Cut(q, "@")
	var match string
	var args []any
	if withHost {
		match = `a.username LIKE ?1 ESCAPE '\' AND a.host LIKE ?2 ESCAPE '\'`
		args = []any{likeEscape(user), likeEscape(host) + "%"}
	} else {
		match = `(a.username LIKE ?1 ESCAPE '\' OR a.display_name LIKE ?1 ESCAPE '\'
			OR a.display_name LIKE '% ' || ?1 ESCAPE '\')`
		args = []any{likeEscape(q) + "%", ""}
	}
	args = append(args, user, host, boolInt(followingOnly), limit, offset)
	rows, err := s.r.QueryContext(ctx, `SELECT `+prefixed("a.", accountCols)+`, f.id IS NOT NULL AS followed
		FROM accounts a
		LEFT JOIN follows f ON f.followee_id = a.id AND f.state = 'accepted'
			AND f.follower_id = (SELECT id FROM accounts WHERE local = 1)
		WHERE `+match+` AND (?5 = 0 OR f.id IS NOT NULL)
		ORDER BY (a.username = ?3 COLLATE NOCASE AND (?4 = '' OR a.host = ?4 COLLATE NOCASE)) DESC,
			followed DESC, a.username COLLATE NOCASE, a.host, a.id
		LIMIT ?6 OFFSET ?7`, args...)
	if err != nil {
		return nil, fmt.Errorf("search accounts: %w", err)
	}
	defer rows.Close()
	var out []FoundAccount
	for rows.Next() {
		var a Account
		var fields, aka string
		var published, fetched, created int64
		var followed bool
		if err := rows.Scan(&a.ID, &a.IRI, &a.Local, &a.Type, &a.Username, &a.Host, &a.DisplayName, &a.Summary,
			&a.URL, &a.Inbox, &a.SharedInbox, &a.Outbox, &a.FollowersURL, &a.FollowingURL, &a.KeyID,
			&a.PublicKeyPEM, &a.AvatarURL, &a.HeaderURL, &fields, &aka, &a.MovedTo, &a.Locked,
			&a.Discoverable, &a.Indexable, &a.Bot, &published, &fetched, &created, &a.HideNetwork,
			&a.NoIndex, &a.NoAI, &followed); err != nil {
			return nil, fmt.Errorf("search accounts: %w", err)
		}
		_ = json.Unmarshal([]byte(fields), &a.Fields)
		_ = json.Unmarshal([]byte(aka), &a.AlsoKnownAs)
		a.Published, a.FetchedAt, a.CreatedAt = msTime(published), msTime(fetched), msTime(created)
		out = append(out, FoundAccount{Account: &a, Followed: followed})
	}
	return out, rows.Err()
}

// likeEscape escapes LIKE's wildcards in s (for ESCAPE '\').
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// TagUse is a hashtag and how often it is used.
type TagUse struct {
	Name     string // lower-cased, without the #
	Posts    int    // live public and unlisted posts carrying it
	LastUsed time.Time
}

// SearchTags finds hashtags whose name begins with q (a leading # ignored, case-insensitive), among
// those of live public and unlisted posts (a tag used only in private posts is not shown): the
// exact name first, then by use, most used first. Paged by offset and limit (40 at most).
func (s *Store) SearchTags(ctx context.Context, q string, offset, limit int) ([]TagUse, error) {
	q = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(q), "#"))
	if q == "" {
		return nil, nil
	}
	if limit <= 0 {
		limit = 40
	}
	limit, offset = min(limit, 40), max(offset, 0)
	// A range of post_tags' primary key (tag, post_id): the tags beginning with q, in bytes.
	rows, err := s.r.QueryContext(ctx, `SELECT t.tag, count(*), max(t.post_id) FROM post_tags t
		JOIN posts p ON p.id = t.post_id
		WHERE t.tag >= ?1 AND t.tag < ?1 || x'ff' AND p.deleted_at = 0 AND p.visibility IN ('public', 'unlisted')
		GROUP BY t.tag ORDER BY t.tag = ?1 DESC, count(*) DESC, t.tag LIMIT ?2 OFFSET ?3`, q, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("search tags: %w", err)
	}
	defer rows.Close()
	var out []TagUse
	for rows.Next() {
		var t TagUse
		var last int64
		if err := rows.Scan(&t.Name, &t.Posts, &last); err != nil {
			return nil, fmt.Errorf("search tags: %w", err)
		}
		t.LastUsed = IDTime(last)
		out = append(out, t)
	}
	return out, rows.Err()
}
