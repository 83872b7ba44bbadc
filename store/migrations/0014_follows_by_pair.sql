-- 0014: a follow is known by who follows whom, not by the id its sender chose for the Follow
-- activity: with iri UNIQUE, a Follow that reused another actor's Follow id (two actors on one
-- server) replaced that actor's follow. iri stays, indexed, to match an Undo or an Accept.
-- And apps remember whether the owner ever authorized them: those never authorized are deleted
-- after a day (see PruneApps).
CREATE TABLE follows_new (
	id          INTEGER PRIMARY KEY,
	iri         TEXT    NOT NULL, -- the Follow activity's id
	follower_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	followee_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	state       TEXT    NOT NULL CHECK (state IN ('pending', 'accepted')),
	created_at  INTEGER NOT NULL,
	UNIQUE (follower_id, followee_id)
) STRICT;
INSERT INTO follows_new SELECT id, iri, follower_id, followee_id, state, created_at FROM follows;
DROP TABLE follows; -- its triggers go with it; nothing references it
ALTER TABLE follows_new RENAME TO follows;
CREATE INDEX follows_iri ON follows(iri);
CREATE INDEX follows_followee ON follows(followee_id, state, id);
CREATE INDEX follows_follower ON follows(follower_id, state, id);

-- The triggers of 0008, as they were.
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

ALTER TABLE oauth_apps ADD COLUMN authorized INTEGER NOT NULL DEFAULT 0; -- 1 once an owner token was issued
UPDATE oauth_apps SET authorized = 1 WHERE id IN (SELECT app_id FROM oauth_tokens WHERE owner = 1);
