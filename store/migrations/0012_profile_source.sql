-- 0012: the owner's bio and profile fields as the owner typed them (Markdown, bare URLs), beside
-- the HTML published in accounts.summary and accounts.fields, so the profile form shows what was
-- written and saving it unchanged changes nothing. No row: a profile last saved before this
-- migration; the form then shows text recovered from the HTML.
CREATE TABLE IF NOT EXISTS profile_source (
	id     INTEGER PRIMARY KEY CHECK (id = 1),
	bio    TEXT NOT NULL, -- Markdown
	fields TEXT NOT NULL  -- JSON array of {"name", "value"}
) STRICT;
