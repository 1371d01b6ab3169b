-- Small key/value state of the sync with the collector: the cursor of
-- uploaded review events (audit ids), the bundle version in force, when the
-- lists were last confirmed current. Record upload state itself is
-- scans.upload_state (001).
CREATE TABLE sync_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Reuse alerts the collector reported: a serial accepted here was accepted
-- at another counter or office as well. hub_id makes receiving one twice
-- harmless; acked says the collector was told we stored it.
CREATE TABLE alerts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    hub_id          INTEGER NOT NULL UNIQUE,
    record_id       TEXT NOT NULL,
    serial          INTEGER NOT NULL,
    other_record_id TEXT NOT NULL,
    other_terminal  TEXT NOT NULL,
    other_office    INTEGER NOT NULL,
    other_counter   TEXT NOT NULL,
    other_at        TEXT NOT NULL,
    detected_at     TEXT NOT NULL,
    received_at     TEXT NOT NULL,
    acked           INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX alerts_record ON alerts(record_id);
CREATE INDEX alerts_acked ON alerts(acked) WHERE acked = 0;
