-- One row per scan. Times are RFC 3339 UTC text; JSON columns hold arrays/objects.
CREATE TABLE scans (
    id               TEXT PRIMARY KEY,          -- UUIDv7, time-ordered
    at               TEXT NOT NULL,
    office           INTEGER NOT NULL,
    counter          TEXT NOT NULL,
    operator         TEXT NOT NULL DEFAULT '',
    source           TEXT NOT NULL,
    raw_text         TEXT NOT NULL,
    verdict          TEXT NOT NULL,
    reasons          TEXT NOT NULL DEFAULT '[]', -- JSON array of reason codes
    serial           INTEGER,                   -- set when the signature verified
    mark_fields      TEXT,                      -- JSON mark.Fields, when verified
    measured_weight_g INTEGER NOT NULL DEFAULT 0,
    first_accepted   TEXT,                      -- JSON mark.Acceptance for REUSED/DUPLICATE_SCAN
    versions         TEXT NOT NULL DEFAULT '{}', -- JSON mark.Versions
    message          TEXT NOT NULL DEFAULT '',
    frame            BLOB,
    review_state     TEXT NOT NULL DEFAULT '',
    upload_state     TEXT NOT NULL DEFAULT 'pending'
);
-- Few indexes on purpose: every index is one more b-tree page in the WAL
-- frame of each scan's commit (P1 latency). Listings go by time; the
-- serial lookup of reuse is the primary key of used_serials.
CREATE INDEX scans_at ON scans(at);
CREATE INDEX scans_upload ON scans(upload_state, id);

-- A serial counts as used once: one row per serial that was accepted (or
-- overridden to accept). The primary key makes a second acceptance of the
-- same serial impossible, also when two sources race.
CREATE TABLE used_serials (
    serial    INTEGER PRIMARY KEY,
    record_id TEXT NOT NULL REFERENCES scans(id),
    at        TEXT NOT NULL,
    office    INTEGER NOT NULL,
    counter   TEXT NOT NULL,
    raw_text  TEXT NOT NULL
);
