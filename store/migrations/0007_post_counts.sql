-- 0007: indexes for profile pages. Counting an account's posts (profile pages, the outbox's totalItems, NodeInfo) reads this
-- index alone instead of every post row.
CREATE INDEX posts_account_count ON posts(account_id, deleted_at, visibility);

-- The pinned posts on top of a profile, found without walking every post of the account.
CREATE INDEX posts_pinned ON posts(account_id, pinned_at) WHERE pinned_at > 0;
