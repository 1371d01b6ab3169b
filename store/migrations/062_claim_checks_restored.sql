-- A claim of a serial the collector restored (migration 050) is refused by
-- the claim statement itself now (store/scans.go insertUsed), and the bulk
-- path, which reads restored_serials for every serial of its transaction
-- first (firstUses), never claims one: the trigger no longer runs for
-- every claimed serial (docs/notes/perf.md, import).
DROP TRIGGER used_serials_restored;
