-- The same indexes on every collector whichever version of migration 060
-- it ran: the steps of hub/sqlitestore/migrations/063_zone_index.sql.
DROP INDEX IF EXISTS terminals_zone_off;
CREATE INDEX IF NOT EXISTS terminals_zone_check ON terminals(zone_check);
