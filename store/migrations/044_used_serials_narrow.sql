-- used_serials keeps only what makes a serial used: the serial and the
-- record that took it. Where and when it was accepted, and the text, are
-- that record's own columns (read by a join). The copies made a row
-- ~250 bytes, 15 to a page: a mark's serial lands anywhere in the tree,
-- and every few scans an insert rebalanced three full leaves and their
-- parent, 3-4 more WAL frames in that scan's commit (issue 12, strace).
-- Now ~70 rows fit a page.
CREATE TABLE used_serials_narrow (
    serial    INTEGER PRIMARY KEY,
    record_id TEXT NOT NULL REFERENCES scans(id)
);
INSERT INTO used_serials_narrow(serial, record_id) SELECT serial, record_id FROM used_serials;
DROP TABLE used_serials;
ALTER TABLE used_serials_narrow RENAME TO used_serials;
