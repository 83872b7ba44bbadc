-- 0027: moving in and out. The owner's posts imported from another server's archive, with the
-- URL they had there; the rows of imported CSV lists (follows, blocks, ...), worked through at a
-- polite pace and kept, so the progress survives a restart and a re-import adds only what is
-- missing; and the account's deletion, once asked for.
CREATE TABLE IF NOT EXISTS imported_posts (
	post_id      INTEGER PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
	original_url TEXT    NOT NULL UNIQUE
) STRICT;

CREATE TABLE IF NOT EXISTS import_items (
	id         INTEGER PRIMARY KEY,
	kind       TEXT    NOT NULL, -- following, blocks, mutes, domain_blocks, bookmarks, lists
	target     TEXT    NOT NULL, -- user@host, a domain or a post's URL
	arg        TEXT    NOT NULL DEFAULT '', -- lists: the list's title
	options    TEXT    NOT NULL DEFAULT '{}', -- JSON: following's show boosts, notify, languages
	state      TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
	error      TEXT    NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	due_at     INTEGER NOT NULL DEFAULT 0, -- not tried again before (a list waiting for its follow's Accept)
	done_at    INTEGER NOT NULL DEFAULT 0,
	UNIQUE (kind, target, arg)
) STRICT;
CREATE INDEX IF NOT EXISTS import_items_pending ON import_items(state, id);

CREATE TABLE IF NOT EXISTS account_deletion (
	id           INTEGER PRIMARY KEY CHECK (id = 1),
	requested_at INTEGER NOT NULL,
	wiped_at     INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Followers who came with the owner's move here: they followed while an old account of the
-- owner's (an alias) pointed here (movedTo), as a Move makes its followers' servers do.
CREATE TABLE IF NOT EXISTS moved_followers (
	account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
	moved_from TEXT    NOT NULL, -- the old account's IRI
	created_at INTEGER NOT NULL
) STRICT;
