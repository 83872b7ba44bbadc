-- 0024: the owner's passkeys (WebAuthn credentials), a second factor beside the TOTP secret: the
-- credential as go-webauthn records it (JSON: public key, sign count, flags), named by the owner.
-- IF NOT EXISTS: tests that rewind the schema run this again over the table.
CREATE TABLE IF NOT EXISTS passkeys (
	id         TEXT    PRIMARY KEY, -- the credential id, base64url
	name       TEXT    NOT NULL,
	credential TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	used_at    INTEGER
) STRICT;
