-- 0016: full-text search over every stored post (the owner's and remote ones), with FTS5. The index is
-- contentless (content=''): it keeps no copy of the text, only the index; contentless_delete lets a row
-- go by its rowid alone. rowid is posts.id. Columns:
--   text     the post's plain text (content without markup), its poll options and its media
--            descriptions, as Mastodon's search indexes them
--   summary  the content warning
--   props    words the search operators use, never the user's: "link" (a link that is not a mention
--            or a hashtag)
-- The store writes a post's row when it writes the post (insertPost, updatePost: making plain text of
-- HTML needs an HTML parser, which a trigger has not); the triggers below remove it when the post is
-- deleted or becomes a tombstone, so a deleted post is never found. Every statement can run again.
CREATE VIRTUAL TABLE IF NOT EXISTS post_search USING fts5(text, summary, props,
	content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2');

DROP TRIGGER IF EXISTS post_search_deleted;
CREATE TRIGGER post_search_deleted AFTER DELETE ON posts BEGIN
	DELETE FROM post_search WHERE rowid = old.id;
END;

DROP TRIGGER IF EXISTS post_search_tombstoned;
CREATE TRIGGER post_search_tombstoned AFTER UPDATE OF deleted_at ON posts WHEN new.deleted_at != 0 BEGIN
	DELETE FROM post_search WHERE rowid = old.id;
END;

-- The posts stored before: their HTML made plain here by dropping every tag (a space in its place) and
-- decoding the entities the sanitizer writes. The store's own extraction (plainText) differs only in
-- finer points (a tag inside a word), and a post's next edit re-indexes it.
WITH RECURSIVE strip(id, done, rest) AS (
	SELECT id, '', content FROM posts WHERE deleted_at = 0
	UNION ALL
	SELECT id, done || substr(rest, 1, instr(rest, '<') - 1) || ' ',
		CASE WHEN instr(substr(rest, instr(rest, '<')), '>') = 0 THEN ''
			ELSE substr(rest, instr(rest, '<') + instr(substr(rest, instr(rest, '<')), '>')) END
	FROM strip WHERE instr(rest, '<') > 0
)
INSERT OR REPLACE INTO post_search (rowid, text, summary, props)
SELECT p.id,
	replace(replace(replace(replace(replace(replace(replace(s.done || s.rest,
		'&lt;', '<'), '&gt;', '>'), '&quot;', '"'), '&#34;', '"'), '&#39;', ''''), '&nbsp;', ' '), '&amp;', '&')
	|| CASE WHEN json_valid(p.extra) THEN coalesce((SELECT ' ' || group_concat(value, ' ')
		FROM json_each(p.extra, '$.poll.options')), '') ELSE '' END
	|| CASE WHEN json_valid(p.attachments) THEN coalesce((SELECT ' ' || group_concat(json_extract(value, '$.name'), ' ')
		FROM json_each(p.attachments)), '') ELSE '' END,
	p.summary,
	CASE WHEN (length(p.content) - length(replace(p.content, '<a ', ''))) / 3 >
		(length(p.content) - length(replace(p.content, 'class="u-url mention"', ''))) / 21
		+ (length(p.content) - length(replace(p.content, 'class="mention hashtag"', ''))) / 23
		+ (length(p.content) - length(replace(p.content, 'class="hashtag"', ''))) / 15
		+ (length(p.content) - length(replace(p.content, 'class="mention"', ''))) / 15
	THEN 'link' ELSE '' END
FROM strip s JOIN posts p ON p.id = s.id
WHERE instr(s.rest, '<') = 0;
