-- 0011: the ends of the polls the owner hears about: their own, and those they voted in. A row goes
-- when its end has been handled (a "poll" notification and, for the owner's poll, the final counts
-- sent to its audience). Polls open at the migration are taken from the posts' extra properties.
CREATE TABLE poll_ends (
	post_id INTEGER PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
	ends_at INTEGER NOT NULL -- Unix milliseconds
) STRICT;
CREATE INDEX poll_ends_at ON poll_ends(ends_at);

INSERT INTO poll_ends (post_id, ends_at)
SELECT id, CAST(unixepoch(json_extract(extra, '$.poll.end_time'), 'subsec') * 1000 AS INTEGER)
FROM posts
WHERE deleted_at = 0 AND json_valid(extra)
	AND json_extract(extra, '$.poll.end_time') IS NOT NULL
	AND coalesce(json_extract(extra, '$.poll.closed'), '') = ''
	AND unixepoch(json_extract(extra, '$.poll.end_time'), 'subsec') > unixepoch('now', 'subsec')
	AND (account_id = (SELECT id FROM accounts WHERE local = 1)
		OR json_array_length(extra, '$.poll.own_votes') > 0);
