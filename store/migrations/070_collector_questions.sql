-- The collector's questions on this counter's rejections (sync pulls them
-- from GET /v1/questioned of markhub): a REJECT whose signed mark the
-- collector would have accepted, the counter's reasons it finds do not
-- hold (a JSON array) and why in words, and the region's review state
-- there (open, or reviewed at reviewed_at). Kept off scans: the verdict
-- stored at the scan is never changed by it; the supervisor decides with
-- the override flow. seq is the collector's feed position of the row's
-- last change; sync_state 'questioned_after' the last one stored.
CREATE TABLE collector_questions (
    record_id   TEXT PRIMARY KEY,
    reasons     TEXT NOT NULL,
    why         TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('open', 'reviewed')),
    reviewed_at TEXT,
    seq         INTEGER NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX collector_questions_open ON collector_questions(record_id) WHERE state = 'open';
