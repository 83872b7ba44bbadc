-- 0009: incoming activities are told apart from duplicates when they are processed, not when they are
-- received. A unique index on inbox.activity_iri took a random page of a growing index into every group
-- commit of inbox POSTs; at 240,000 stored activities it cost those commits about 45% of their speed.
-- inbox_seen is written by processing (see ClaimInbox), without waiting for the disk; AddInbox only
-- reads it, to refuse at once a copy of an activity already processed.
CREATE TABLE inbox_new (
	id           INTEGER PRIMARY KEY,
	activity_iri TEXT    NOT NULL,
	actor_iri    TEXT    NOT NULL,
	body         BLOB    NOT NULL,
	received_at  INTEGER NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_at      INTEGER NOT NULL DEFAULT 0,
	done_at      INTEGER NOT NULL DEFAULT 0,
	error        TEXT    NOT NULL DEFAULT ''
) STRICT;
INSERT INTO inbox_new SELECT id, activity_iri, actor_iri, body, received_at, attempts, next_at, done_at, error FROM inbox;
DROP TABLE inbox;
ALTER TABLE inbox_new RENAME TO inbox;
CREATE INDEX inbox_pending ON inbox(next_at) WHERE done_at = 0;

-- One row per activity id processed (or being processed): inbox_id is the copy that was.
CREATE TABLE inbox_seen (
	activity_iri TEXT    PRIMARY KEY,
	inbox_id     INTEGER NOT NULL,
	seen_at      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO inbox_seen (activity_iri, inbox_id, seen_at)
	SELECT activity_iri, id, received_at FROM inbox WHERE done_at > 0 OR attempts > 0;
CREATE INDEX inbox_seen_at ON inbox_seen(seen_at);
