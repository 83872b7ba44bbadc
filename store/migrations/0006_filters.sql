-- 0006: the Mastodon client API's filters (v2: a filter with keywords, applied in contexts) and
-- the direct-message conversations the owner hid.

CREATE TABLE filters (
	id         INTEGER PRIMARY KEY,
	title      TEXT    NOT NULL,
	context    TEXT    NOT NULL DEFAULT '[]', -- JSON array: home, notifications, public, thread, account
	action     TEXT    NOT NULL CHECK (action IN ('warn', 'hide')),
	expires_at INTEGER NOT NULL DEFAULT 0, -- 0: never
	created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE filter_keywords (
	id         INTEGER PRIMARY KEY,
	filter_id  INTEGER NOT NULL REFERENCES filters(id) ON DELETE CASCADE,
	keyword    TEXT    NOT NULL,
	whole_word INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX filter_keywords_filter ON filter_keywords(filter_id, id);

-- hidden_conversations are direct threads the owner removed from their conversation list; one
-- shows again when a status newer than last_status_id arrives in it.
CREATE TABLE hidden_conversations (
	root_id        INTEGER PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
	last_status_id INTEGER NOT NULL,
	created_at     INTEGER NOT NULL
) STRICT;
