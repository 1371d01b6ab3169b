-- Narrower scan rows (issue 12, import): a verified mark's fields are those
-- of its own text, and the lists' versions are the same for every scan
-- until a reload, so new rows no longer carry them as JSON (mark_fields
-- ~230 and versions ~70 bytes of a ~600-byte row).
--   mark_fields: NULL, no verified mark; '' (new rows), the mark decoded
--     from raw_text; a JSON object (rows written before), the fields.
--   contract, mail_class, tariff_kop: the verified mark's, for the queries
--     that filter or add them up; NULL in older rows (read from mark_fields).
--   versions_id: the row of list_versions; NULL in older rows (versions
--     holds the JSON), and then versions is '' in new rows.
-- Older rows are not rewritten: the migration is instant at any size.
CREATE TABLE list_versions (
    id       INTEGER PRIMARY KEY,
    versions TEXT NOT NULL UNIQUE
);
ALTER TABLE scans ADD COLUMN contract INTEGER;
ALTER TABLE scans ADD COLUMN mail_class INTEGER;
ALTER TABLE scans ADD COLUMN tariff_kop INTEGER;
ALTER TABLE scans ADD COLUMN versions_id INTEGER REFERENCES list_versions(id);
