-- 0001: the federation core.
-- Times are INTEGER unix milliseconds (UTC). Local and remote post IDs are time-ordered
-- (milliseconds << 16 | sequence), so timelines sort and page by id.

-- accounts holds every actor Roost knows: the owner (local = 1, exactly one row) and remote actors.
CREATE TABLE accounts (
	id             INTEGER PRIMARY KEY,
	iri            TEXT    NOT NULL UNIQUE,
	local          INTEGER NOT NULL DEFAULT 0,
	type           TEXT    NOT NULL DEFAULT 'Person',
	username       TEXT    NOT NULL,
	host           TEXT    NOT NULL,
	display_name   TEXT    NOT NULL DEFAULT '',
	summary        TEXT    NOT NULL DEFAULT '', -- sanitized HTML
	url            TEXT    NOT NULL DEFAULT '',
	inbox          TEXT    NOT NULL DEFAULT '',
	shared_inbox   TEXT    NOT NULL DEFAULT '',
	outbox         TEXT    NOT NULL DEFAULT '',
	followers_url  TEXT    NOT NULL DEFAULT '',
	following_url  TEXT    NOT NULL DEFAULT '',
	key_id         TEXT    NOT NULL DEFAULT '',
	public_key_pem TEXT    NOT NULL DEFAULT '',
	avatar_url     TEXT    NOT NULL DEFAULT '',
	header_url     TEXT    NOT NULL DEFAULT '',
	fields         TEXT    NOT NULL DEFAULT '[]', -- JSON [{"name","value"}], value sanitized HTML
	also_known_as  TEXT    NOT NULL DEFAULT '[]', -- JSON array of IRIs
	moved_to       TEXT    NOT NULL DEFAULT '',
	locked         INTEGER NOT NULL DEFAULT 0,
	discoverable   INTEGER NOT NULL DEFAULT 1,
	indexable      INTEGER NOT NULL DEFAULT 1,
	bot            INTEGER NOT NULL DEFAULT 0,
	published      INTEGER NOT NULL DEFAULT 0,
	fetched_at     INTEGER NOT NULL DEFAULT 0,
	created_at     INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX accounts_local ON accounts(local) WHERE local = 1;
CREATE INDEX accounts_key_id ON accounts(key_id) WHERE key_id != '';
CREATE INDEX accounts_handle ON accounts(username, host);

-- owner holds the secrets and settings of the one local account.
CREATE TABLE owner (
	id               INTEGER PRIMARY KEY CHECK (id = 1),
	account_id       INTEGER NOT NULL REFERENCES accounts(id),
	private_key_pem  TEXT    NOT NULL,
	instance_key_pem TEXT    NOT NULL,
	password_hash    TEXT    NOT NULL DEFAULT ''
) STRICT;

-- posts holds statuses: the owner's and remote ones Roost chose to keep.
CREATE TABLE posts (
	id             INTEGER PRIMARY KEY,
	iri            TEXT    NOT NULL UNIQUE,
	account_id     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	url            TEXT    NOT NULL DEFAULT '',
	type           TEXT    NOT NULL DEFAULT 'Note',
	visibility     TEXT    NOT NULL CHECK (visibility IN ('public', 'unlisted', 'private', 'direct')),
	in_reply_to    TEXT    NOT NULL DEFAULT '', -- IRI of the parent
	reply_to_id    INTEGER, -- parent's id when Roost has it
	summary        TEXT    NOT NULL DEFAULT '', -- content warning, plain text
	sensitive      INTEGER NOT NULL DEFAULT 0,
	content        TEXT    NOT NULL DEFAULT '', -- sanitized HTML
	source         TEXT    NOT NULL DEFAULT '', -- the owner's Markdown
	language       TEXT    NOT NULL DEFAULT '',
	recipients     TEXT    NOT NULL DEFAULT '{}', -- JSON {"to":[...],"cc":[...]}
	tags           TEXT    NOT NULL DEFAULT '[]', -- JSON [{"type","name","href"}]
	attachments    TEXT    NOT NULL DEFAULT '[]', -- JSON
	extra          TEXT    NOT NULL DEFAULT '{}', -- JSON: poll options, quote, etc.
	published      INTEGER NOT NULL,
	updated        INTEGER NOT NULL DEFAULT 0,
	pinned_at      INTEGER NOT NULL DEFAULT 0,
	deleted_at     INTEGER NOT NULL DEFAULT 0,
	created_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX posts_account ON posts(account_id, id);
CREATE INDEX posts_reply ON posts(in_reply_to) WHERE in_reply_to != '';

-- hashtags of posts, lower-cased, for tag pages and timelines.
CREATE TABLE post_tags (
	tag     TEXT    NOT NULL,
	post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
	PRIMARY KEY (tag, post_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX post_tags_post ON post_tags(post_id);

-- mentions of posts: who a post names (for addressing, notifications and direct messages).
CREATE TABLE post_mentions (
	post_id    INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
	account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	PRIMARY KEY (post_id, account_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX post_mentions_account ON post_mentions(account_id, post_id);

-- follows holds both directions. The owner following someone is (follower = owner, followee = them).
CREATE TABLE follows (
	id          INTEGER PRIMARY KEY,
	iri         TEXT    NOT NULL UNIQUE, -- the Follow activity's id
	follower_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	followee_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	state       TEXT    NOT NULL CHECK (state IN ('pending', 'accepted')),
	created_at  INTEGER NOT NULL,
	UNIQUE (follower_id, followee_id)
) STRICT;
CREATE INDEX follows_followee ON follows(followee_id, state, id);
CREATE INDEX follows_follower ON follows(follower_id, state, id);

-- likes and boosts, by anyone of anything stored.
CREATE TABLE likes (
	id         INTEGER PRIMARY KEY,
	iri        TEXT    NOT NULL UNIQUE,
	account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	post_id    INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
	content    TEXT    NOT NULL DEFAULT '', -- an emoji reaction, when it was one
	created_at INTEGER NOT NULL,
	UNIQUE (account_id, post_id)
) STRICT;
CREATE INDEX likes_post ON likes(post_id);

CREATE TABLE boosts (
	id         INTEGER PRIMARY KEY, -- time-ordered: a boost is a timeline entry
	iri        TEXT    NOT NULL UNIQUE,
	account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	post_id    INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
	visibility TEXT    NOT NULL DEFAULT 'public',
	created_at INTEGER NOT NULL,
	UNIQUE (account_id, post_id)
) STRICT;
CREATE INDEX boosts_post ON boosts(post_id);
CREATE INDEX boosts_account ON boosts(account_id, id);

-- blocks by the owner, and by remote actors of the owner.
CREATE TABLE blocks (
	account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	by_owner   INTEGER NOT NULL, -- 1: the owner blocks them; 0: they block the owner
	iri        TEXT    NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	PRIMARY KEY (account_id, by_owner)
) STRICT, WITHOUT ROWID;

CREATE TABLE domain_blocks (
	host       TEXT    PRIMARY KEY,
	created_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- activities are the owner's own activities (Create, Follow, Like, Announce, Undo, ...), kept so
-- their IRIs dereference and deliveries can reference one body.
CREATE TABLE activities (
	id         INTEGER PRIMARY KEY,
	iri        TEXT    NOT NULL UNIQUE,
	type       TEXT    NOT NULL,
	post_id    INTEGER REFERENCES posts(id) ON DELETE SET NULL,
	public     INTEGER NOT NULL DEFAULT 0,
	body       BLOB    NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;

-- deliveries is the durable outgoing queue: one row per (activity, inbox).
CREATE TABLE deliveries (
	id           INTEGER PRIMARY KEY,
	activity_id  INTEGER NOT NULL REFERENCES activities(id) ON DELETE CASCADE,
	inbox        TEXT    NOT NULL,
	host         TEXT    NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_at      INTEGER NOT NULL,
	leased_until INTEGER NOT NULL DEFAULT 0,
	last_error   TEXT    NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL,
	UNIQUE (activity_id, inbox)
) STRICT;
CREATE INDEX deliveries_due ON deliveries(next_at);

-- hosts tracks remote servers that keep failing, so delivery pauses them.
CREATE TABLE hosts (
	host          TEXT    PRIMARY KEY,
	failures      INTEGER NOT NULL DEFAULT 0,
	failing_since INTEGER NOT NULL DEFAULT 0,
	paused_until  INTEGER NOT NULL DEFAULT 0,
	last_success  INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;

-- inbox holds verified incoming activities until they are processed; processed rows stay (without
-- the body) for a while so duplicates are recognised.
CREATE TABLE inbox (
	id           INTEGER PRIMARY KEY,
	activity_iri TEXT    NOT NULL UNIQUE,
	actor_iri    TEXT    NOT NULL,
	body         BLOB    NOT NULL,
	received_at  INTEGER NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_at      INTEGER NOT NULL DEFAULT 0,
	done_at      INTEGER NOT NULL DEFAULT 0,
	error        TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX inbox_pending ON inbox(next_at) WHERE done_at = 0;

-- notifications for the owner.
CREATE TABLE notifications (
	id         INTEGER PRIMARY KEY,
	type       TEXT    NOT NULL, -- follow, follow_request, mention, reblog, favourite, move, ...
	account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	post_id    INTEGER REFERENCES posts(id) ON DELETE CASCADE,
	read       INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX notifications_once ON notifications(type, account_id, ifnull(post_id, 0));

-- moves records Move activities received.
CREATE TABLE moves (
	account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
	target     TEXT    NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;
