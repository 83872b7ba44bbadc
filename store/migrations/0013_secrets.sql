-- 0013: secrets the server makes for itself once and keeps, by name: random bytes written the first
-- time they are asked for (see Store.Secret), such as the key of the capability URLs of the media
-- files of non-public posts.
CREATE TABLE IF NOT EXISTS secrets (
	name  TEXT PRIMARY KEY,
	value BLOB NOT NULL
) STRICT;
