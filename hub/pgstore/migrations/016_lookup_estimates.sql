-- Lookup by tracking number and contract (issue 13), measured with 20 M
-- records: PostgreSQL ignores the statistics of a partial index's
-- expression, so it guessed thousands of rows for one tracking number and
-- planned a parallel sort (25-50 ms a lookup instead of 0.1 ms). The same
-- indexes without the partial condition give it the real numbers (a
-- tracking number is unique); the contract index carries the scan time,
-- so a contract's first 1000 scans in time order come from the index
-- instead of sorting all of them. On a large database the rebuild blocks
-- uploads for minutes: apply in a quiet hour. SQLite's planner has no such
-- problem: hub/sqlitestore keeps its indexes.
DROP INDEX IF EXISTS records_tracking;
CREATE INDEX records_tracking ON records (((mark_fields::jsonb ->> 'tracking')));
DROP INDEX IF EXISTS records_contract;
CREATE INDEX records_contract ON records (((mark_fields::jsonb ->> 'contract')), at);
