-- Migration 060 was changed after some collectors had run it (2026-12-04):
-- one version made the partial index terminals_zone_off, the next the
-- plain terminals_zone_check that the health query's plan uses
-- (officeday_test.go). A collector migrated in between has the first,
-- or none; this makes every one the same (docs/operations.md, "Upgrading
-- and rolling back").
DROP INDEX IF EXISTS terminals_zone_off;
CREATE INDEX IF NOT EXISTS terminals_zone_check ON terminals(zone_check);
