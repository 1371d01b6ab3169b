-- The regional review of a disputed acceptance (records.disputed): a
-- supervisor marks it reviewed with a note; dispute_reviewed_at NULL =
-- open (never reviewed, or opened again), dispute_by and dispute_note
-- are of the last change. Every change is kept in dispute_audit, which
-- outlives the record (retention), as alert_audit does for alerts. The
-- open ones are listed newest scan first, the reviewed ones last
-- reviewed first, each from its partial index.
ALTER TABLE records ADD COLUMN dispute_reviewed_at TEXT;
ALTER TABLE records ADD COLUMN dispute_by TEXT NOT NULL DEFAULT '';
ALTER TABLE records ADD COLUMN dispute_note TEXT NOT NULL DEFAULT '';
CREATE INDEX records_disputed_open ON records(at) WHERE disputed IS NOT NULL AND dispute_reviewed_at IS NULL;
CREATE INDEX records_disputed_reviewed ON records(dispute_reviewed_at) WHERE dispute_reviewed_at IS NOT NULL;
CREATE TABLE dispute_audit (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    terminal  TEXT NOT NULL,
    record_id TEXT NOT NULL,
    actor     TEXT NOT NULL,
    state     TEXT NOT NULL,
    note      TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE INDEX dispute_audit_record ON dispute_audit(terminal, record_id, id);
