-- 0029: the owner's choices about each account they follow, as Mastodon's (4.3) per-follow options:
-- show_reblogs keeps the account's boosts in the home timeline (1) or out of it (0); notify makes
-- a "status" notification of each new post of theirs (1); languages, a JSON array of language
-- codes, keeps their posts in other known languages out of home (NULL: every language). Read
-- only on the owner's follows; a remote account's follow of the owner keeps the defaults.
ALTER TABLE follows ADD COLUMN show_reblogs INTEGER NOT NULL DEFAULT 1;
ALTER TABLE follows ADD COLUMN notify INTEGER NOT NULL DEFAULT 0;
ALTER TABLE follows ADD COLUMN languages TEXT;
