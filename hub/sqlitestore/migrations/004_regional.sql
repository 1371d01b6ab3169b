-- Regional pages (issue 13): accounts and sessions of the markhub pages,
-- the workflow of reuse alerts with its audit, and lookup by tracking
-- number and contract.
CREATE TABLE IF NOT EXISTS web_users (
    name          TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS web_sessions (
    hash       TEXT PRIMARY KEY,
    user_name  TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
ALTER TABLE alerts ADD COLUMN state TEXT NOT NULL DEFAULT 'open';
ALTER TABLE alerts ADD COLUMN note TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN state_by TEXT NOT NULL DEFAULT '';
CREATE TABLE IF NOT EXISTS alert_audit (
    id       INTEGER PRIMARY KEY,
    alert_id INTEGER NOT NULL,
    actor    TEXT NOT NULL,
    state    TEXT NOT NULL,
    note     TEXT NOT NULL,
    at       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_audit_alert ON alert_audit(alert_id, id);
CREATE INDEX IF NOT EXISTS records_tracking ON records(json_extract(mark_fields, '$.tracking')) WHERE mark_fields IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_contract ON records(json_extract(mark_fields, '$.contract')) WHERE mark_fields IS NOT NULL;
