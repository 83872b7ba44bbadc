-- 0008: per-account counters, kept by triggers in the same transaction as the rows they count. Profile pages,
-- the outbox's totalItems, the followers collections, NodeInfo and the client API read one row instead of
-- counting an index range that grows with every post (a million posts took tens of milliseconds to count).
CREATE TABLE account_counts (
	account_id   INTEGER PRIMARY KEY, -- no foreign key: rows go with their account by trigger, below
	posts        INTEGER NOT NULL DEFAULT 0, -- live posts of any visibility
	public_posts INTEGER NOT NULL DEFAULT 0, -- live public and unlisted posts
	followers    INTEGER NOT NULL DEFAULT 0, -- accepted follows of the account
	following    INTEGER NOT NULL DEFAULT 0  -- accepted follows by the account
) STRICT;

INSERT INTO account_counts (account_id, posts, public_posts)
	SELECT account_id, count(*), sum(visibility IN ('public', 'unlisted')) FROM posts WHERE deleted_at = 0
	GROUP BY account_id;
INSERT OR IGNORE INTO account_counts (account_id) SELECT followee_id FROM follows WHERE state = 'accepted';
INSERT OR IGNORE INTO account_counts (account_id) SELECT follower_id FROM follows WHERE state = 'accepted';
UPDATE account_counts SET
	followers = (SELECT count(*) FROM follows WHERE followee_id = account_id AND state = 'accepted'),
	following = (SELECT count(*) FROM follows WHERE follower_id = account_id AND state = 'accepted');

CREATE TRIGGER account_counts_account_deleted AFTER DELETE ON accounts BEGIN
	DELETE FROM account_counts WHERE account_id = old.id;
END;

-- A post counts while deleted_at = 0. Rows are created on insert only: a delete cascading from its account may
-- run after the account's counter row is gone, and must not bring it back.
CREATE TRIGGER account_counts_post_inserted AFTER INSERT ON posts WHEN new.deleted_at = 0 BEGIN
	INSERT OR IGNORE INTO account_counts (account_id) VALUES (new.account_id);
	UPDATE account_counts SET posts = posts + 1, public_posts = public_posts + (new.visibility IN ('public', 'unlisted'))
		WHERE account_id = new.account_id;
END;

CREATE TRIGGER account_counts_post_deleted AFTER DELETE ON posts WHEN old.deleted_at = 0 BEGIN
	UPDATE account_counts SET posts = posts - 1, public_posts = public_posts - (old.visibility IN ('public', 'unlisted'))
		WHERE account_id = old.account_id;
END;

CREATE TRIGGER account_counts_post_updated AFTER UPDATE OF deleted_at, visibility, account_id ON posts
	WHEN (old.deleted_at = 0) != (new.deleted_at = 0) OR old.visibility != new.visibility
	  OR old.account_id != new.account_id BEGIN
	UPDATE account_counts SET posts = posts - 1, public_posts = public_posts - (old.visibility IN ('public', 'unlisted'))
		WHERE account_id = old.account_id AND old.deleted_at = 0;
	INSERT OR IGNORE INTO account_counts (account_id) SELECT new.account_id WHERE new.deleted_at = 0;
	UPDATE account_counts SET posts = posts + 1, public_posts = public_posts + (new.visibility IN ('public', 'unlisted'))
		WHERE account_id = new.account_id AND new.deleted_at = 0;
END;

-- A follow counts while accepted.
CREATE TRIGGER account_counts_follow_inserted AFTER INSERT ON follows WHEN new.state = 'accepted' BEGIN
	INSERT OR IGNORE INTO account_counts (account_id) VALUES (new.followee_id), (new.follower_id);
	UPDATE account_counts SET followers = followers + 1 WHERE account_id = new.followee_id;
	UPDATE account_counts SET following = following + 1 WHERE account_id = new.follower_id;
END;

CREATE TRIGGER account_counts_follow_deleted AFTER DELETE ON follows WHEN old.state = 'accepted' BEGIN
	UPDATE account_counts SET followers = followers - 1 WHERE account_id = old.followee_id;
	UPDATE account_counts SET following = following - 1 WHERE account_id = old.follower_id;
END;

CREATE TRIGGER account_counts_follow_updated AFTER UPDATE OF state, follower_id, followee_id ON follows
	WHEN old.state != new.state OR old.follower_id != new.follower_id OR old.followee_id != new.followee_id BEGIN
	UPDATE account_counts SET followers = followers - 1 WHERE account_id = old.followee_id AND old.state = 'accepted';
	UPDATE account_counts SET following = following - 1 WHERE account_id = old.follower_id AND old.state = 'accepted';
	INSERT OR IGNORE INTO account_counts (account_id) SELECT new.followee_id WHERE new.state = 'accepted'
		UNION SELECT new.follower_id WHERE new.state = 'accepted';
	UPDATE account_counts SET followers = followers + 1 WHERE account_id = new.followee_id AND new.state = 'accepted';
	UPDATE account_counts SET following = following + 1 WHERE account_id = new.follower_id AND new.state = 'accepted';
END;
