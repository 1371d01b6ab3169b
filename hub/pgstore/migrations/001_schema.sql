-- markhub schema as first released (PostgreSQL); later changes are the
-- numbered files after this one, the same steps as hub/sqlitestore/migrations.
CREATE TABLE IF NOT EXISTS terminals (
    name       TEXT PRIMARY KEY,
    token_hash TEXT UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS records (
    id                  TEXT PRIMARY KEY,
    terminal            TEXT NOT NULL,
    at                  TIMESTAMPTZ NOT NULL,
    office              BIGINT NOT NULL,
    counter             TEXT NOT NULL,
    operator            TEXT NOT NULL,
    source              TEXT NOT NULL,
    raw_text            TEXT NOT NULL,
    verdict             TEXT NOT NULL,
    reasons             TEXT NOT NULL,
    serial              BIGINT,
    mark_fields         TEXT,
    measured_weight_g   INTEGER NOT NULL,
    first_accepted      TEXT,
    keyring_version     TEXT NOT NULL,
    tariffs_version     TEXT NOT NULL,
    revocations_version TEXT NOT NULL,
    review_state        TEXT NOT NULL,
    message             TEXT NOT NULL,
    received_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS records_serial ON records(serial);
CREATE INDEX IF NOT EXISTS records_terminal_at ON records(terminal, at);

CREATE TABLE IF NOT EXISTS events (
    terminal    TEXT NOT NULL,
    id          BIGINT NOT NULL,
    record_id   TEXT NOT NULL,
    action      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    note        TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (terminal, id)
);

CREATE TABLE IF NOT EXISTS used_serials (
    serial    BIGINT PRIMARY KEY,
    record_id TEXT NOT NULL,
    terminal  TEXT NOT NULL,
    office    BIGINT NOT NULL,
    counter   TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS alerts (
    id              BIGSERIAL PRIMARY KEY,
    terminal        TEXT NOT NULL,
    record_id       TEXT NOT NULL,
    serial          BIGINT NOT NULL,
    other_record_id TEXT NOT NULL,
    other_terminal  TEXT NOT NULL,
    other_office    BIGINT NOT NULL,
    other_counter   TEXT NOT NULL,
    other_at        TIMESTAMPTZ NOT NULL,
    detected_at     TIMESTAMPTZ NOT NULL,
    acked_at        TIMESTAMPTZ,
    UNIQUE (terminal, record_id, other_record_id)
);
CREATE INDEX IF NOT EXISTS alerts_unacked ON alerts(terminal, id) WHERE acked_at IS NULL;

CREATE TABLE IF NOT EXISTS bundles (
    version    BIGINT PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL,
    data       BYTEA NOT NULL
);
