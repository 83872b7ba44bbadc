-- 0020: an incoming activity is a copy of one already processed only when its id AND its body's
-- bytes match (SHA-256). Peers reuse ids for different activities: WriteFreely gives a post's
-- Create and its Update the post's id, GoToSocial and honk one Update id to every edit of a post,
-- snac and honk derive Like and Announce ids from their target (so a like after an Undo has the
-- id of the first), Misskey names every Undo of a Follow after the follow. Rows seen before this
-- migration keep an empty hash, which no body has: a copy of one of them is processed again, which
-- processing by activity and object id makes harmless.
CREATE TABLE IF NOT EXISTS inbox_seen_new (
	activity_iri TEXT    NOT NULL,
	body_hash    BLOB    NOT NULL,
	inbox_id     INTEGER NOT NULL,
	seen_at      INTEGER NOT NULL,
	PRIMARY KEY (activity_iri, body_hash)
) STRICT, WITHOUT ROWID;
INSERT INTO inbox_seen_new (activity_iri, body_hash, inbox_id, seen_at)
	SELECT activity_iri, x'', inbox_id, seen_at FROM inbox_seen;
DROP TABLE inbox_seen;
ALTER TABLE inbox_seen_new RENAME TO inbox_seen;
CREATE INDEX IF NOT EXISTS inbox_seen_at ON inbox_seen(seen_at);
