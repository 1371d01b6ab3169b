-- The device cookies of the regional login: the step of
-- hub/sqlitestore/migrations/062_web_devices.sql.
CREATE TABLE IF NOT EXISTS web_devices (
    id         BIGSERIAL PRIMARY KEY,
    user_name  TEXT NOT NULL,
    id_hash    TEXT NOT NULL UNIQUE,
    issued_at  TIMESTAMPTZ NOT NULL,
    last_used  TIMESTAMPTZ NOT NULL,
    agent      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS web_devices_user ON web_devices(user_name, last_used);
