-- Records waiting at each counter (issue 13): the outbox backlog a counter
-- reports with each upload (X-Outbox-Records); NULL = never reported.
-- The steps of hub/sqlitestore/migrations/013_waiting.sql.
ALTER TABLE terminals ADD COLUMN waiting_records BIGINT;
ALTER TABLE terminals ADD COLUMN waiting_at TIMESTAMPTZ;
