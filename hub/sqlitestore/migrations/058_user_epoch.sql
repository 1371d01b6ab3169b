-- The epoch of a regional account: markhub user passwd and disable move it
-- on. The device cookies of the regional login (a browser that logged in
-- as the account before is not held by its limit over all addresses) are
-- signed with the password hash and the epoch, so a new password or a
-- disable, even enabled again, voids them.
ALTER TABLE web_users ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
