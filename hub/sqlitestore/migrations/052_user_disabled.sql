-- markhub user disable|enable: a disabled account keeps its name and
-- password but cannot log in; disabling ends its sessions.
ALTER TABLE web_users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
