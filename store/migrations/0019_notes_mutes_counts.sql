-- 0019: the owner's private notes on accounts (Mastodon's account notes, relationship.note): seen
-- by the owner only, never federated. And the conversations the owner muted (a status's mute):
-- a thread is named by its root, the topmost post Roost has of it. And remote accounts' own counts.
CREATE TABLE IF NOT EXISTS account_notes (
	account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
	note       TEXT    NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS muted_threads (
	root_id    INTEGER PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL
) STRICT;

-- A remote account's own counts, the totalItems of its followers, following and outbox collections
-- when its server gives them (-1: not given); Roost's tallies of what it stores are far lower.
CREATE TABLE IF NOT EXISTS remote_counts (
	account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
	followers  INTEGER NOT NULL,
	following  INTEGER NOT NULL,
	statuses   INTEGER NOT NULL,
	fetched_at INTEGER NOT NULL
) STRICT;
