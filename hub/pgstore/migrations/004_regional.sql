-- Regional pages (issue 13): the steps of hub/sqlitestore/migrations/004_regional.sql.
CREATE TABLE IF NOT EXISTS web_users (
    name          TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS web_sessions (
    hash       TEXT PRIMARY KEY,
    user_name  TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
ALTER TABLE alerts ADD COLUMN state TEXT NOT NULL DEFAULT 'open';
ALTER TABLE alerts ADD COLUMN note TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN state_by TEXT NOT NULL DEFAULT '';
CREATE TABLE IF NOT EXISTS alert_audit (
    id       BIGSERIAL PRIMARY KEY,
    alert_id BIGINT NOT NULL,
    actor    TEXT NOT NULL,
    state    TEXT NOT NULL,
    note     TEXT NOT NULL,
    at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_audit_alert ON alert_audit(alert_id, id);
CREATE INDEX IF NOT EXISTS records_tracking ON records (((mark_fields::jsonb ->> 'tracking'))) WHERE mark_fields IS NOT NULL;
CREATE INDEX IF NOT EXISTS records_contract ON records (((mark_fields::jsonb ->> 'contract'))) WHERE mark_fields IS NOT NULL;
