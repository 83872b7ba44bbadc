-- 0026: Web Push delivery. push_deliveries is the durable queue of pushes: a row per notification
-- and subscription that asked for its type, added in the transaction that adds the notification
-- (a transactional outbox, as deliveries are for activities), so a push survives a restart; the
-- push worker sends it, retries it with backoff, and deletes it once sent or given up.
-- push_tokens keeps the access token a subscription was made with: Mastodon's push payload
-- repeats it (access_token) so an app signed in to several accounts knows whose it is; it goes
-- with the subscription, which goes with the token.
-- IF NOT EXISTS: tests that rewind the schema run this again over the tables.
CREATE TABLE IF NOT EXISTS push_deliveries (
	id              INTEGER PRIMARY KEY,
	subscription_id INTEGER NOT NULL REFERENCES push_subscriptions(id) ON DELETE CASCADE,
	notification_id INTEGER NOT NULL REFERENCES notifications(id) ON DELETE CASCADE,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_at         INTEGER NOT NULL, -- Unix milliseconds: when it is next tried
	leased_until    INTEGER NOT NULL DEFAULT 0, -- a worker has it until then
	last_error      TEXT    NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS push_deliveries_due ON push_deliveries(next_at);
CREATE INDEX IF NOT EXISTS push_deliveries_subscription ON push_deliveries(subscription_id);
CREATE INDEX IF NOT EXISTS push_deliveries_notification ON push_deliveries(notification_id);

CREATE TABLE IF NOT EXISTS push_tokens (
	subscription_id INTEGER PRIMARY KEY REFERENCES push_subscriptions(id) ON DELETE CASCADE,
	access_token    TEXT    NOT NULL
) STRICT;
