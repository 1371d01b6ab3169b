-- The terminals' zone agreement: the steps of
-- hub/sqlitestore/migrations/060_zone_note.sql.
ALTER TABLE terminals ADD COLUMN IF NOT EXISTS zone_check TEXT;
ALTER TABLE terminals ADD COLUMN IF NOT EXISTS zone_note TEXT;
CREATE INDEX IF NOT EXISTS terminals_zone_check ON terminals(zone_check);
