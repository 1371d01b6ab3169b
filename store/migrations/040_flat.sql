-- A store that stays fast at a million scans (issue 12): every page, API
-- call, export and chart costs O(log n + result).

-- Time order is (at, id) everywhere (lists, cursors); with id in the index
-- an ordered walk needs no sort of equal times.
DROP INDEX scans_at;
CREATE INDEX scans_at ON scans(at, id);

-- Scans other than ACCEPT in time order, with their verdict: the review
-- pages and exports (verdict = 'REJECT') and API filters that exclude
-- ACCEPT (by verdict, reason or review state) walk only these, and count
-- them from the index alone. Partial, so the common scan (an ACCEPT)
-- writes no page of it; queries name the condition `verdict <> 'ACCEPT'`
-- so the planner may use it.
CREATE INDEX scans_notaccept ON scans(at, id, verdict) WHERE verdict <> 'ACCEPT';

-- Per-day counts of closed days (store/daystats.go): filled when the day
-- chart first asks for a day that has ended, read from then on. counts is
-- a JSON array of [verdict, reasons JSON, n]. Rows are per time zone, with
-- the day's bounds in UTC scan-time text.
CREATE TABLE day_rollup (
    zone    TEXT NOT NULL,
    day     TEXT NOT NULL,
    from_at TEXT NOT NULL,
    to_at   TEXT NOT NULL,
    counts  TEXT NOT NULL,
    PRIMARY KEY (zone, day)
);
CREATE INDEX day_rollup_to ON day_rollup(to_at);

-- A scan written into a rolled-up day (an import of old scans, a clock set
-- back) drops that day's rollup, in the same transaction; it is counted
-- again on the next request. A live scan finds no rollup row that ends
-- after it (only closed days are rolled up): one index probe, no write.
CREATE TRIGGER day_rollup_insert AFTER INSERT ON scans
BEGIN
    DELETE FROM day_rollup WHERE to_at > NEW.at AND from_at <= NEW.at;
END;

CREATE TRIGGER day_rollup_update AFTER UPDATE OF at, verdict, reasons ON scans
BEGIN
    DELETE FROM day_rollup WHERE to_at > OLD.at AND from_at <= OLD.at;
    DELETE FROM day_rollup WHERE to_at > NEW.at AND from_at <= NEW.at;
END;

CREATE TRIGGER day_rollup_delete AFTER DELETE ON scans
BEGIN
    DELETE FROM day_rollup WHERE to_at > OLD.at AND from_at <= OLD.at;
END;
