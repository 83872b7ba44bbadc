-- 0015: Web Push subscriptions of the Mastodon API (POST /api/v1/push/subscription): one per
-- access token, gone with the token. The VAPID key that signs the pushes is a row of secrets.
-- IF NOT EXISTS: tests that rewind the schema run this again over the table.
CREATE TABLE IF NOT EXISTS push_subscriptions (
	id         INTEGER PRIMARY KEY,
	token_id   INTEGER NOT NULL UNIQUE REFERENCES oauth_tokens(id) ON DELETE CASCADE,
	endpoint   TEXT    NOT NULL, -- the push service's URL for this subscription
	p256dh     TEXT    NOT NULL, -- the user agent's public key, base64url
	auth       TEXT    NOT NULL, -- its authentication secret, base64url
	alerts     TEXT    NOT NULL DEFAULT '[]', -- JSON array of the notification types pushed
	policy     TEXT    NOT NULL DEFAULT 'all' CHECK (policy IN ('all', 'followed', 'follower', 'none')),
	standard   INTEGER NOT NULL DEFAULT 1, -- 1: RFC 8291 aes128gcm; 0: the app asked for the legacy aesgcm draft
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS push_subscriptions_endpoint ON push_subscriptions(endpoint);
