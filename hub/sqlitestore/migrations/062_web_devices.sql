-- The device cookies of the regional login (internal/devicecookie), one
-- row per browser that logged in as an account: a browser with its device
-- cookie is spared the account's failed-login limit over all addresses
-- only while its row is here, so one device can be revoked (a stolen
-- laptop, a shared PC) without a new password (hub/devices.go). id is the
-- number the devices page and markhub user devices show; id_hash the
-- SHA-256 of the cookie's random id (devicecookie.IDHash); agent a short
-- neutralised summary of the browser's User-Agent. markhub user password,
-- disable and remove delete the account's rows with its sessions. Cookies
-- made before this migration have no row: they count as no device cookie.
CREATE TABLE web_devices (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_name  TEXT NOT NULL,
    id_hash    TEXT NOT NULL UNIQUE,
    issued_at  TEXT NOT NULL,
    last_used  TEXT NOT NULL,
    agent      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX web_devices_user ON web_devices(user_name, last_used);
