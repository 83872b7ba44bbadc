-- 0025: the hashtags the owner follows (Mastodon's followed tags): public posts carrying one that
-- reach Roost are kept and shown in the home timeline. A tag is lower-cased, without the #; the
-- time-ordered id pages the API's list.
CREATE TABLE IF NOT EXISTS followed_tags (
	id         INTEGER PRIMARY KEY,
	name       TEXT    NOT NULL UNIQUE,
	created_at INTEGER NOT NULL
) STRICT;
