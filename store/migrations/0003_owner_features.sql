-- 0003: what the owner's web interface keeps: mutes, bookmarks, edit history, uploaded media.

CREATE TABLE mutes (
	account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE bookmarks (
	post_id    INTEGER PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL
) STRICT;

-- post_edits keeps the earlier versions of edited posts, oldest first.
CREATE TABLE post_edits (
	id         INTEGER PRIMARY KEY,
	post_id    INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
	summary    TEXT    NOT NULL,
	content    TEXT    NOT NULL,
	source     TEXT    NOT NULL,
	created_at INTEGER NOT NULL -- when this version was written
) STRICT;
CREATE INDEX post_edits_post ON post_edits(post_id, id);

-- media are files the owner uploaded, stored in the data folder under server-made names.
CREATE TABLE media (
	id          INTEGER PRIMARY KEY,
	name        TEXT    NOT NULL UNIQUE, -- file name in the media folder: random, with the sniffed extension
	media_type  TEXT    NOT NULL,
	size        INTEGER NOT NULL,
	width       INTEGER NOT NULL DEFAULT 0,
	height      INTEGER NOT NULL DEFAULT 0,
	description TEXT    NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL
) STRICT;

ALTER TABLE accounts ADD COLUMN hide_network INTEGER NOT NULL DEFAULT 0;
