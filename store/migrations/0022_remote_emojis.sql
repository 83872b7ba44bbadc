-- 0022: the custom emojis of other servers that reactions name (Misskey's Like with
-- _misskey_reaction ":name:" and an Emoji tag, Pleroma's and Akkoma's EmojiReact): a shortcode
-- (with its colons, as the reaction's content holds it) and its image, on the host of the account
-- that reacted.
CREATE TABLE IF NOT EXISTS remote_emojis (
	host       TEXT    NOT NULL,
	shortcode  TEXT    NOT NULL,
	url        TEXT    NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (host, shortcode)
) STRICT, WITHOUT ROWID;
