-- Batches of partition mail (issue 10): the steps of
-- hub/sqlitestore/migrations/010_batches.sql.
CREATE TABLE IF NOT EXISTS batches (
    terminal    TEXT NOT NULL,
    id          TEXT NOT NULL,
    office      BIGINT NOT NULL,
    counter     TEXT NOT NULL,
    operator    TEXT NOT NULL,
    contract    BIGINT NOT NULL,
    state       TEXT NOT NULL,
    opened_at   TIMESTAMPTZ NOT NULL,
    closed_at   TIMESTAMPTZ NOT NULL,
    accepted    INTEGER NOT NULL,
    rejected    INTEGER NOT NULL,
    paid_kop    BIGINT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (terminal, id)
);
CREATE INDEX IF NOT EXISTS batches_contract ON batches(contract, closed_at);
