-- 0004: processed media: a thumbnail, a blurhash, a focal point, and the post it is attached to.
ALTER TABLE media ADD COLUMN thumb_name TEXT NOT NULL DEFAULT '';
ALTER TABLE media ADD COLUMN blurhash TEXT NOT NULL DEFAULT '';
ALTER TABLE media ADD COLUMN focus_x REAL NOT NULL DEFAULT 0;
ALTER TABLE media ADD COLUMN focus_y REAL NOT NULL DEFAULT 0;
ALTER TABLE media ADD COLUMN post_id INTEGER REFERENCES posts(id) ON DELETE SET NULL;
CREATE INDEX media_post ON media(post_id) WHERE post_id IS NOT NULL;
