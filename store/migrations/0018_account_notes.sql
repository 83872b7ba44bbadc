-- 0018: the owner's private notes on accounts (Mastodon's account notes, relationship.note): seen
-- by the owner only, never federated.
CREATE TABLE IF NOT EXISTS account_notes (
	account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
	note       TEXT    NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;
