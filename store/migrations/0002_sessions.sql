-- 0002: the owner's web sessions. The cookie holds a random token; only its SHA-256 is stored.
CREATE TABLE sessions (
	id         TEXT    PRIMARY KEY, -- hex SHA-256 of the cookie token
	csrf       TEXT    NOT NULL,    -- the token every form of this session carries
	created_at INTEGER NOT NULL,
	seen_at    INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	user_agent TEXT    NOT NULL DEFAULT '',
	ip         TEXT    NOT NULL DEFAULT ''
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_expiry ON sessions(expires_at);
