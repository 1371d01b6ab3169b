-- markhub terminal revoke: a revoked terminal's token and client
-- certificate are refused (403); its records stay. NULL = not revoked.
ALTER TABLE terminals ADD COLUMN revoked_at TEXT;
