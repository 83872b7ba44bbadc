package store

// PostFilter narrows a list of posts in its query, before paging (Mastodon's only_media, ...):
// filtering a page once read would leave a media tab empty when the latest posts hold no media.
type PostFilter struct {
	OnlyMedia      bool   // only posts with attachments
	ExcludeReplies bool   // no replies, except an author's to their own posts (a thread), as Mastodon
	Tagged         string // only posts with this hashtag (lower case, without the #)
	Local, Remote  bool   // only the owner's posts (OwnerID), or only other accounts'
	OwnerID        int64
}

// where returns the filter's conditions on the posts row p, each starting with AND, and their
// arguments.
func (f PostFilter) where(p string) (string, []any) {
	var sql string
	var args []any // in the order of sql's parameters
	if f.OnlyMedia {
		sql += ` AND ` + p + `.attachments != '[]'`
	}
	if f.ExcludeReplies {
		sql += ` AND (` + p + `.in_reply_to = '' OR EXISTS (SELECT 1 FROM posts rp
			WHERE rp.id = ` + p + `.reply_to_id AND rp.account_id = ` + p + `.account_id))`
	}
	if f.Tagged != "" {
		sql += ` AND EXISTS (SELECT 1 FROM post_tags ft WHERE ft.tag = ? AND ft.post_id = ` + p + `.id)`
		args = append(args, f.Tagged)
	}
	if f.Local {
		sql += ` AND +` + p + `.account_id = ?`
		args = append(args, f.OwnerID)
	}
	if f.Remote {
		sql += ` AND +` + p + `.account_id != ?`
		args = append(args, f.OwnerID)
	}
	return sql, args
}

// accountPostsSQL lists an account's posts by the (account_id, id) index, with the conditions
// where; its parameters are the account, the max and min IDs, where's, and the limit.
func accountPostsSQL(publicOnly bool, where string, asc bool) string {
	if publicOnly {
		where = ` AND p.visibility IN ('public', 'unlisted')` + where
	}
	return `SELECT ` + prefixed("p.", postCols) + ` FROM posts p
		WHERE p.account_id = ? AND p.id < ? AND p.id > ? AND p.deleted_at = 0` + where + `
		ORDER BY p.id ` + order(asc) + ` LIMIT ?`
}

// publicPostsSQL walks public posts by primary key, with the conditions where; its parameters
// are the max and min IDs, where's, and the limit.
func publicPostsSQL(where string, asc bool) string {
	return `SELECT ` + prefixed("p.", postCols) + ` FROM posts p
		WHERE p.id < ? AND p.id > ? AND p.deleted_at = 0 AND p.visibility = 'public'` + where + `
		ORDER BY p.id ` + order(asc) + ` LIMIT ?`
}
