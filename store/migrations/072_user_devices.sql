-- The device cookies of the login page (internal/devicecookie), one row
-- per browser that logged in as an account: a browser with its device
-- cookie is spared the account's failed-login limit over all addresses
-- only while its row is here, so one device can be revoked (a stolen
-- laptop, a shared PC) without a new password for the account. id is the
-- number the pages and markd user devices show; id_hash the SHA-256 of the
-- cookie's random id (devicecookie.IDHash), renewed at each login with
-- it; agent a short neutralised summary of the browser's User-Agent.
-- Cookies made before this migration have no row: they count as no
-- device cookie (docs/operations.md, web.login_account_limit).
CREATE TABLE user_devices (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_name  TEXT NOT NULL,
    id_hash    TEXT NOT NULL UNIQUE,
    issued_at  TEXT NOT NULL,
    last_used  TEXT NOT NULL,
    agent      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX user_devices_user ON user_devices(user_name, last_used);
-- A new password, a disable and a removal move the account's epoch on
-- (session_gen, or the row itself), which voids every device cookie of
-- it: their rows go with them.
CREATE TRIGGER user_devices_epoch AFTER UPDATE OF session_gen ON users
    WHEN NEW.session_gen <> OLD.session_gen
BEGIN
    DELETE FROM user_devices WHERE user_name = OLD.name;
END;
CREATE TRIGGER user_devices_removed AFTER DELETE ON users
BEGIN
    DELETE FROM user_devices WHERE user_name = OLD.name;
END;
