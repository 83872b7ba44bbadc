-- 0018: the owner's lists (Mastodon's List): a title, which replies its timeline shows
-- (followed, list or none), and whether its members' posts are kept out of home (exclusive).
CREATE TABLE IF NOT EXISTS lists (
	id             INTEGER PRIMARY KEY,
	title          TEXT    NOT NULL,
	replies_policy TEXT    NOT NULL DEFAULT 'list',
	exclusive      INTEGER NOT NULL DEFAULT 0,
	created_at     INTEGER NOT NULL
) STRICT;

-- A list's members: accounts the owner follows.
CREATE TABLE IF NOT EXISTS list_accounts (
	list_id    INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
	account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (list_id, account_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS list_accounts_account ON list_accounts(account_id, list_id);

-- Unfollowing an account (or blocking it, or its move) takes it out of the owner's lists, as
-- Mastodon does: only followed accounts are members.
CREATE TRIGGER IF NOT EXISTS follows_leave_lists AFTER DELETE ON follows
WHEN OLD.follower_id = (SELECT id FROM accounts WHERE local = 1)
BEGIN
	DELETE FROM list_accounts WHERE account_id = OLD.followee_id;
END;
