-- markhub schema as first released (SQLite); later changes are the
-- numbered files after this one. hub/pgstore/migrations holds the same
-- steps in PostgreSQL types.
CREATE TABLE IF NOT EXISTS terminals (
    name       TEXT PRIMARY KEY,
    token_hash TEXT UNIQUE,            -- hex SHA-256 of the bearer token; NULL = certificate only
    created_at TEXT NOT NULL
);

-- One row per uploaded record; the id (the counter's UUIDv7) makes a
-- repeated upload a no-op.
CREATE TABLE IF NOT EXISTS records (
    id                  TEXT PRIMARY KEY,
    terminal            TEXT NOT NULL,
    at                  TEXT NOT NULL,
    office              INTEGER NOT NULL,
    counter             TEXT NOT NULL,
    operator            TEXT NOT NULL,
    source              TEXT NOT NULL,
    raw_text            TEXT NOT NULL,
    verdict             TEXT NOT NULL,
    reasons             TEXT NOT NULL,   -- JSON array
    serial              INTEGER,         -- when the signature verified
    mark_fields         TEXT,            -- JSON mark.Fields
    measured_weight_g   INTEGER NOT NULL,
    first_accepted      TEXT,            -- JSON mark.Acceptance
    keyring_version     TEXT NOT NULL,
    tariffs_version     TEXT NOT NULL,
    revocations_version TEXT NOT NULL,
    review_state        TEXT NOT NULL,
    message             TEXT NOT NULL,
    received_at         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_serial ON records(serial);
CREATE INDEX IF NOT EXISTS records_terminal_at ON records(terminal, at);

-- Review decisions of supervisors, (terminal, id) = the counter's audit id.
CREATE TABLE IF NOT EXISTS events (
    terminal    TEXT NOT NULL,
    id          INTEGER NOT NULL,
    record_id   TEXT NOT NULL,
    action      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    at          TEXT NOT NULL,
    note        TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (terminal, id)
);

-- The first acceptance of each serial anywhere in the network.
CREATE TABLE IF NOT EXISTS used_serials (
    serial    INTEGER PRIMARY KEY,
    record_id TEXT NOT NULL,
    terminal  TEXT NOT NULL,
    office    INTEGER NOT NULL,
    counter   TEXT NOT NULL,
    at        TEXT NOT NULL
);

-- A serial accepted twice: one row for each side, delivered to its
-- terminal in upload responses until acknowledged.
CREATE TABLE IF NOT EXISTS alerts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    terminal        TEXT NOT NULL,
    record_id       TEXT NOT NULL,
    serial          INTEGER NOT NULL,
    other_record_id TEXT NOT NULL,
    other_terminal  TEXT NOT NULL,
    other_office    INTEGER NOT NULL,
    other_counter   TEXT NOT NULL,
    other_at        TEXT NOT NULL,
    detected_at     TEXT NOT NULL,
    acked_at        TEXT,
    UNIQUE (terminal, record_id, other_record_id)
);
CREATE INDEX IF NOT EXISTS alerts_unacked ON alerts(terminal, id) WHERE acked_at IS NULL;

CREATE TABLE IF NOT EXISTS bundles (
    version    INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    data       BLOB NOT NULL
);
