-- The tracking number and contract of a record's mark as plain columns,
-- filled by markhub when it inserts the record (P5, issue 12): the
-- expression indexes of 016 cast mark_fields to jsonb on every insert,
-- about a tenth of PostgreSQL's CPU per uploaded record. tracking is NULL
-- where the mark has none (0) or one no lookup can ask for (above the
-- bigint range; lookups take positive bigints), contract NULL without a
-- mark. Existing rows are filled from mark_fields by a type change with
-- USING, which rewrites records once and builds its indexes afresh (an
-- UPDATE of every row took 1.2–2× as long and left a dead version of each
-- row and index entry): 10 s for 300 000 records on the development
-- machine, so on a large database apply it in a quiet hour.
ALTER TABLE records ADD COLUMN tracking BIGINT, ADD COLUMN contract BIGINT;
DROP INDEX IF EXISTS records_tracking;
DROP INDEX IF EXISTS records_contract;
ALTER TABLE records
    ALTER COLUMN tracking TYPE BIGINT USING
        CASE WHEN (mark_fields::jsonb ->> 'tracking')::numeric BETWEEN 1 AND 9223372036854775807
            THEN (mark_fields::jsonb ->> 'tracking')::bigint END,
    ALTER COLUMN contract TYPE BIGINT USING (mark_fields::jsonb ->> 'contract')::bigint;
CREATE INDEX records_tracking ON records (tracking) WHERE tracking IS NOT NULL;
CREATE INDEX records_contract ON records (contract, at) WHERE contract IS NOT NULL;
