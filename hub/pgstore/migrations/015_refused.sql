-- Refused uploads (issue 13): what the collector refused with 400, 403 or
-- 409 after the terminal authenticated (wrong office, a malformed record,
-- an id used for two records…), for the regional page beside the
-- unverified records. A repeat of the same refusal updates its row; each
-- terminal keeps its newest 100 (hub.MaxRefusedPerTerminal). The steps of
-- hub/sqlitestore/migrations/015_refused.sql.
CREATE TABLE IF NOT EXISTS refused (
    id        BIGSERIAL PRIMARY KEY,
    terminal  TEXT NOT NULL,
    digest    TEXT NOT NULL,
    status    INTEGER NOT NULL,
    field     TEXT NOT NULL,
    why       TEXT NOT NULL,
    record_id TEXT NOT NULL,
    record_at TIMESTAMPTZ,
    serial    BIGINT,
    first_at  TIMESTAMPTZ NOT NULL,
    last_at   TIMESTAMPTZ NOT NULL,
    times     BIGINT NOT NULL,
    UNIQUE (terminal, digest)
);
CREATE INDEX IF NOT EXISTS refused_last ON refused(last_at, id);
CREATE INDEX IF NOT EXISTS refused_terminal_last ON refused(terminal, last_at);
