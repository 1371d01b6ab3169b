-- Records waiting at each counter (issue 13): the outbox backlog a counter
-- reports with each upload (X-Outbox-Records); NULL = never reported.
ALTER TABLE terminals ADD COLUMN waiting_records INTEGER;
ALTER TABLE terminals ADD COLUMN waiting_at TEXT;
