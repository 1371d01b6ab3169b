-- The questioned rejections' feed to their counters (hub/questionfeed.go,
-- GET /v1/questioned): one row per questioned record, its seq renewed
-- (INSERT OR REPLACE: a new AUTOINCREMENT value, never one used before)
-- when the record is stored questioned and whenever a reviewer closes or
-- reopens it. A counter pulls the rows of its own terminal above the
-- last seq it holds, in seq order, a page at a time; the record's state
-- is read from records at the pull. Kept off records: a questioned
-- rejection is rare, the records table is the collector's largest.
CREATE TABLE questioned_feed (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    terminal  TEXT NOT NULL,
    record_id TEXT NOT NULL,
    UNIQUE (terminal, record_id)
);
CREATE INDEX questioned_feed_terminal ON questioned_feed(terminal, seq);
-- The rejections questioned before this feed: their counters learn of them
-- at their first pull.
INSERT INTO questioned_feed(terminal, record_id)
    SELECT terminal, id FROM records WHERE questioned IS NOT NULL ORDER BY received_at, terminal, id;
