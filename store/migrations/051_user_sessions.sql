-- Sessions of the web pages end when their account's password changes or
-- the account is disabled or removed. `markd user` runs as its own process
-- on this file, so the daemon learns of it from these columns: it compares
-- a session's (created_at, session_gen) with the row on every request and
-- about once a second while a live stream is open (web/session.go).
ALTER TABLE users ADD COLUMN session_gen INTEGER NOT NULL DEFAULT 0;
-- NULL: the account may log in; else when it was disabled (markd user enable
-- clears it).
ALTER TABLE users ADD COLUMN disabled_at TEXT;
