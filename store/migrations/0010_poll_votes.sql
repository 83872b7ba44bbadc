-- 0010: votes in the owner's polls, one row per voter and option chosen. The counts a poll shows are kept
-- in its post's extra properties, written in the same transaction as the vote.
CREATE TABLE poll_votes (
	post_id    INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
	account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	choice     INTEGER NOT NULL,
	iri        TEXT    NOT NULL, -- the voter's Note
	created_at INTEGER NOT NULL,
	PRIMARY KEY (post_id, account_id, choice)
) STRICT, WITHOUT ROWID;
CREATE INDEX poll_votes_account ON poll_votes(account_id);
