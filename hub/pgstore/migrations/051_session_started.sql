-- Sessions of the regional pages end a fixed time after their login
-- (session_lifetime), however much they are used: each keeps when it
-- began. Sessions open at the upgrade count from the upgrade; an instance
-- of the previous version that still inserts sessions gets the default.
ALTER TABLE web_sessions ADD COLUMN IF NOT EXISTS started_at TIMESTAMPTZ NOT NULL DEFAULT now();
