-- The epoch of a regional account: the step of
-- hub/sqlitestore/migrations/058_user_epoch.sql.
ALTER TABLE web_users ADD COLUMN IF NOT EXISTS epoch BIGINT NOT NULL DEFAULT 0;
