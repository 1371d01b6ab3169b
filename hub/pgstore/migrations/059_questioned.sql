-- Questioned rejections: the steps of
-- hub/sqlitestore/migrations/059_questioned.sql. No default: the column
-- is added without rewriting the partitions.
ALTER TABLE records ADD COLUMN IF NOT EXISTS questioned TEXT;
CREATE INDEX IF NOT EXISTS records_questioned_open ON records(at) WHERE questioned IS NOT NULL AND dispute_reviewed_at IS NULL;
CREATE INDEX IF NOT EXISTS records_questioned ON records(office, terminal) WHERE questioned IS NOT NULL;
