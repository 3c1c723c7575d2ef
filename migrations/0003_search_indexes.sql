-- Hand-written: trigram indexes for typo-tolerant name search (pg_trgm comes from 0001).
-- Chinese names are matched by substring as well, since pg_trgm only forms trigrams
-- from what the database locale calls letters (a C locale does not count CJK).
CREATE INDEX IF NOT EXISTS researchers_full_name_trgm_idx ON researchers USING gin (lower(full_name) gin_trgm_ops);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS researchers_name_zh_trgm_idx ON researchers USING gin (name_zh gin_trgm_ops);
