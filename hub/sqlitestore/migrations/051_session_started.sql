-- Sessions of the regional pages end a fixed time after their login
-- (session_lifetime), however much they are used: each keeps when it
-- began. Sessions open at the upgrade count from the upgrade.
ALTER TABLE web_sessions ADD COLUMN started_at TEXT NOT NULL DEFAULT '';
UPDATE web_sessions SET started_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now');
