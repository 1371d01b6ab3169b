-- Batches of partition mail (issue 10): each counter's ended batches with
-- their receipts' totals, stored once per (terminal, id). The same step as
-- hub/pgstore/migrations/010_batches.sql. Numbered 010 to leave 004–009 to
-- work on the records.
CREATE TABLE IF NOT EXISTS batches (
    terminal    TEXT NOT NULL,
    id          TEXT NOT NULL,
    office      INTEGER NOT NULL,
    counter     TEXT NOT NULL,
    operator    TEXT NOT NULL,
    contract    INTEGER NOT NULL,
    state       TEXT NOT NULL,
    opened_at   TEXT NOT NULL,
    closed_at   TEXT NOT NULL,
    accepted    INTEGER NOT NULL,
    rejected    INTEGER NOT NULL,
    paid_kop    INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (terminal, id)
);
CREATE INDEX IF NOT EXISTS batches_contract ON batches(contract, closed_at);
