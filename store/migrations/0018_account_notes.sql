-- 0018: the owner's private notes on accounts (Mastodon's account notes, relationship.note): seen
-- by the owner only, never federated. And the conversations the owner muted (a status's mute):
-- a thread is named by its root, the topmost post Roost has of it.
CREATE TABLE IF NOT EXISTS account_notes (
	account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
	note       TEXT    NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS muted_threads (
	root_id    INTEGER PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL
) STRICT;
