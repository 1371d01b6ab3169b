-- Per office and day (issue 13): an office's records of a day range come
-- from this index (on every monthly partition). On a large existing
-- database the index build blocks uploads while it runs: apply this
-- migration in a quiet hour.
CREATE INDEX IF NOT EXISTS records_office_at ON records(office, at);
