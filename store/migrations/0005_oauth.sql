-- 0005: OAuth 2 for the Mastodon client API: registered apps, authorization codes, tokens.
-- Secrets, codes and tokens are stored as SHA-256 hashes only.

CREATE TABLE oauth_apps (
	id            INTEGER PRIMARY KEY,
	client_id     TEXT    NOT NULL UNIQUE,
	secret_hash   TEXT    NOT NULL,
	name          TEXT    NOT NULL,
	website       TEXT    NOT NULL DEFAULT '',
	redirect_uris TEXT    NOT NULL, -- newline-separated, matched exactly
	scopes        TEXT    NOT NULL, -- space-separated
	created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE oauth_codes (
	code_hash      TEXT    PRIMARY KEY,
	app_id         INTEGER NOT NULL REFERENCES oauth_apps(id) ON DELETE CASCADE,
	redirect_uri   TEXT    NOT NULL,
	scopes         TEXT    NOT NULL,
	challenge      TEXT    NOT NULL DEFAULT '', -- PKCE S256 code_challenge
	expires_at     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE oauth_tokens (
	id            INTEGER PRIMARY KEY,
	token_hash    TEXT    NOT NULL UNIQUE,
	refresh_hash  TEXT    UNIQUE,
	app_id        INTEGER NOT NULL REFERENCES oauth_apps(id) ON DELETE CASCADE,
	scopes        TEXT    NOT NULL,
	owner         INTEGER NOT NULL DEFAULT 1, -- 0 for client_credentials (app-only) tokens
	created_at    INTEGER NOT NULL,
	last_used_at  INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX oauth_tokens_app ON oauth_tokens(app_id);

-- markers of the Mastodon API (home and notifications read positions).
CREATE TABLE markers (
	timeline     TEXT    PRIMARY KEY,
	last_read_id TEXT    NOT NULL,
	version      INTEGER NOT NULL DEFAULT 1,
	updated_at   INTEGER NOT NULL
) STRICT;

-- idempotency keys of POST /api/v1/statuses.
CREATE TABLE idempotency (
	key        TEXT    PRIMARY KEY,
	post_id    INTEGER NOT NULL,
	created_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
