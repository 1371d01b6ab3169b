-- markhub user disable|enable: a disabled account keeps its name and
-- password but cannot log in; disabling ends its sessions.
ALTER TABLE web_users ADD COLUMN IF NOT EXISTS disabled BOOLEAN NOT NULL DEFAULT false;
