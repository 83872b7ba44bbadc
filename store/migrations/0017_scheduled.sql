-- 0017: the owner's scheduled statuses (Mastodon's ScheduledStatus): what the post will be, kept as
-- JSON until it is published, when its row is deleted in the transaction that creates the post.
-- due_at is when the publisher next tries it: scheduled_at, or later after a failed attempt.
CREATE TABLE IF NOT EXISTS scheduled_statuses (
	id           INTEGER PRIMARY KEY,
	scheduled_at INTEGER NOT NULL, -- Unix milliseconds, as the owner asked
	due_at       INTEGER NOT NULL, -- Unix milliseconds
	params       TEXT    NOT NULL, -- JSON: see store.ScheduledParams
	created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS scheduled_statuses_due ON scheduled_statuses(due_at);

-- The uploads a scheduled status will attach, reserved for it: no other post takes them, and no
-- clean-up of unattached uploads may delete them (the reference refuses the delete).
CREATE TABLE IF NOT EXISTS scheduled_media (
	media_id     INTEGER PRIMARY KEY REFERENCES media(id),
	scheduled_id INTEGER NOT NULL REFERENCES scheduled_statuses(id) ON DELETE CASCADE,
	position     INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS scheduled_media_scheduled ON scheduled_media(scheduled_id, position);
