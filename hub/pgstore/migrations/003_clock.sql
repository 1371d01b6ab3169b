-- Clocks (issue 17): the steps of hub/sqlitestore/migrations/003_clock.sql.
ALTER TABLE terminals ADD COLUMN clock_skew_ms BIGINT;
ALTER TABLE terminals ADD COLUMN seen_at TIMESTAMPTZ;
