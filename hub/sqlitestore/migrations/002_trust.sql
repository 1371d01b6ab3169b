-- Trust boundaries (issue 9): a terminal belongs to one office; record ids
-- are unique per terminal, not globally; the collector's check of each
-- record's mark is stored with it; an alert pair names both terminals.

-- The office of an existing terminal is that of its first record; a
-- terminal without records has none until `markhub terminal set`.
ALTER TABLE terminals ADD COLUMN office INTEGER;
UPDATE terminals SET office = (SELECT r.office FROM records r WHERE r.terminal = terminals.name
                               ORDER BY r.received_at, r.rowid LIMIT 1);

CREATE TABLE records_new (
    terminal            TEXT NOT NULL,
    id                  TEXT NOT NULL,
    at                  TEXT NOT NULL,
    office              INTEGER NOT NULL,
    counter             TEXT NOT NULL,
    operator            TEXT NOT NULL,
    source              TEXT NOT NULL,
    raw_text            TEXT NOT NULL,
    verdict             TEXT NOT NULL,
    reasons             TEXT NOT NULL,   -- JSON array
    serial              INTEGER,         -- when the signature verified at the counter
    mark_fields         TEXT,            -- JSON mark.Fields
    measured_weight_g   INTEGER NOT NULL,
    first_accepted      TEXT,            -- JSON mark.Acceptance
    keyring_version     TEXT NOT NULL,
    tariffs_version     TEXT NOT NULL,
    revocations_version TEXT NOT NULL,
    review_state        TEXT NOT NULL,
    message             TEXT NOT NULL,
    received_at         TEXT NOT NULL,
    verification        TEXT NOT NULL,   -- none, verified, unverified, unchecked (hub.Verification)
    why                 TEXT NOT NULL,   -- why unverified
    digest              TEXT NOT NULL,   -- content digest: same id, other content = 409
    PRIMARY KEY (terminal, id)
);
INSERT INTO records_new SELECT terminal, id, at, office, counter, operator, source, raw_text, verdict, reasons,
    serial, mark_fields, measured_weight_g, first_accepted, keyring_version, tariffs_version, revocations_version,
    review_state, message, received_at,
    CASE WHEN mark_fields IS NULL THEN 'none' ELSE 'unchecked' END, '', ''
    FROM records;
DROP TABLE records;
ALTER TABLE records_new RENAME TO records;
CREATE INDEX records_serial ON records(serial);
CREATE INDEX records_terminal_at ON records(terminal, at);
CREATE INDEX records_unverified ON records(terminal) WHERE verification = 'unverified';

CREATE TABLE alerts_new (
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
    UNIQUE (terminal, record_id, other_terminal, other_record_id)
);
INSERT INTO alerts_new SELECT id, terminal, record_id, serial, other_record_id, other_terminal, other_office,
    other_counter, other_at, detected_at, acked_at FROM alerts;
DROP TABLE alerts;
ALTER TABLE alerts_new RENAME TO alerts;
CREATE INDEX alerts_unacked ON alerts(terminal, id) WHERE acked_at IS NULL;
