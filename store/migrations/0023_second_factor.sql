-- 0023: the owner's second factor for signing in: a TOTP secret (RFC 6238), unconfirmed until the
-- owner has typed a code from it, with the last time step accepted so that no code is accepted
-- twice; and the one-time recovery codes, stored as their hashes.
-- IF NOT EXISTS: tests that rewind the schema run this again over the tables.
CREATE TABLE IF NOT EXISTS totp (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	secret     TEXT    NOT NULL, -- base32, as authenticator apps take it
	confirmed  INTEGER NOT NULL DEFAULT 0,
	last_step  INTEGER NOT NULL DEFAULT 0, -- the newest 30-second step whose code was accepted
	created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS recovery_codes (
	hash    TEXT PRIMARY KEY, -- hex SHA-256 of the code
	used_at INTEGER
) STRICT;
