-- The regional review of a disputed acceptance: the steps of
-- hub/sqlitestore/migrations/057_dispute_review.sql. A constant default
-- adds the columns without rewriting the partitions.
ALTER TABLE records ADD COLUMN IF NOT EXISTS dispute_reviewed_at TIMESTAMPTZ;
ALTER TABLE records ADD COLUMN IF NOT EXISTS dispute_by TEXT NOT NULL DEFAULT '';
ALTER TABLE records ADD COLUMN IF NOT EXISTS dispute_note TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS records_disputed_open ON records(at) WHERE disputed IS NOT NULL AND dispute_reviewed_at IS NULL;
CREATE INDEX IF NOT EXISTS records_disputed_reviewed ON records(dispute_reviewed_at) WHERE dispute_reviewed_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS dispute_audit (
    id        BIGSERIAL PRIMARY KEY,
    terminal  TEXT NOT NULL,
    record_id TEXT NOT NULL,
    actor     TEXT NOT NULL,
    state     TEXT NOT NULL,
    note      TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS dispute_audit_record ON dispute_audit(terminal, record_id, id);
