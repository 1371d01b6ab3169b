-- Serials this office used before the store was new, restored from the
-- collector when a counter starts on a store made by `markd init` (its
-- reuse history; sync_state key reuse_history says how far that got).
-- record_id is the collector's record, not a scan of this store, so these
-- rows cannot live in used_serials (its record_id references scans).
CREATE TABLE restored_serials (
    serial    INTEGER PRIMARY KEY,
    record_id TEXT NOT NULL,
    at        TEXT NOT NULL,
    office    INTEGER NOT NULL,
    counter   TEXT NOT NULL
);

-- A restored serial is taken: the claim of an ACCEPT changes no row, as
-- for a serial already in used_serials, and the reuse lookup finds the
-- restored holder (store/scans.go usedSerialQuery).
CREATE TRIGGER used_serials_restored BEFORE INSERT ON used_serials
WHEN EXISTS (SELECT 1 FROM restored_serials WHERE serial = NEW.serial)
BEGIN
    SELECT RAISE(IGNORE);
END;
