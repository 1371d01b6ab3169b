-- The fleet page at national scale (issue 13): pages of terminals in
-- (office, name) order, read after or before a key, and a region is a
-- range of offices; terminals without an office sort as office 0.
CREATE INDEX IF NOT EXISTS terminals_office_name ON terminals(coalesce(office, 0), name);
