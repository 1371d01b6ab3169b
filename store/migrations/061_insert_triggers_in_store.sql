-- The two AFTER INSERT triggers of scans ran once for every row: in a
-- multi-row insert of markd import they were ~10 % of the whole import
-- (docs/notes/perf.md). The store's write path does their work once per
-- transaction instead (store/writer.go, afterInserts): it drops the day
-- rollups whose day reaches into the transaction's time range, and lowers
-- the upload floor to the smallest new id. Every scan row is inserted by
-- the store. The UPDATE and DELETE triggers stay.
DROP TRIGGER day_rollup_insert;
DROP TRIGGER upload_floor_insert;
