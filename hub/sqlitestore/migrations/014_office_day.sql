-- Per office and day (issue 13): an office's records of a day range come
-- from this index.
CREATE INDEX IF NOT EXISTS records_office_at ON records(office, at);
