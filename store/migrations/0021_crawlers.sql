-- 0021: the owner's choices about crawlers, as Mastodon's "opt out of search engine indexing"
-- (noindex: robots.txt disallows everything, pages and the API say noindex) and an opt-out of the
-- crawlers that gather text for AI models (noai: robots.txt disallows the known ones). Local only.
ALTER TABLE accounts ADD COLUMN noindex INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN noai INTEGER NOT NULL DEFAULT 0;
