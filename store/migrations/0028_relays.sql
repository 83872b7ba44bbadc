-- 0028: the relays the owner subscribes to, and which stored posts came only through one.
-- url is what the owner gave: a Mastodon-style relay's inbox (followed with a Follow of the
-- Public collection) or a LitePub relay's actor (followed like an account). inbox is where the
-- Follow, its Undo and the forwarded posts go; actor_iri is the relay's actor once known (a
-- LitePub relay's from the start, a Mastodon-style one's from its Accept); follow_iri is the id of
-- the Follow, which its Accept or Reject names. forward: the owner's public posts go to it too.
CREATE TABLE IF NOT EXISTS relays (
	id         INTEGER PRIMARY KEY,
	url        TEXT    NOT NULL UNIQUE,
	inbox      TEXT    NOT NULL,
	actor_iri  TEXT    NOT NULL DEFAULT '',
	follow_iri TEXT    NOT NULL UNIQUE,
	state      TEXT    NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
	forward    INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS relays_actor ON relays(actor_iri);

-- A post stored because a relay passed it on (and for no other reason): these are the ones the
-- cap on relay posts prunes, oldest first, unless the owner has since interacted with them. No
-- foreign key to relays: a removed relay's posts stay capped.
CREATE TABLE IF NOT EXISTS relay_posts (
	post_id  INTEGER PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
	relay_id INTEGER NOT NULL
) STRICT;
