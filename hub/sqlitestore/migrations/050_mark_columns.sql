-- The tracking number and contract of a record's mark as plain columns,
-- filled by markhub when it inserts the record, as in hub/pgstore (P5,
-- issue 12): no JSON parsed for an index on every insert. tracking is NULL
-- where the mark has none (0) or one above the int64 range (no lookup can
-- ask for it), contract NULL without a mark. Existing rows are filled
-- from mark_fields here.
ALTER TABLE records ADD COLUMN tracking INTEGER;
ALTER TABLE records ADD COLUMN contract INTEGER;
DROP INDEX IF EXISTS records_tracking;
DROP INDEX IF EXISTS records_contract;
UPDATE records SET
    tracking = CASE WHEN typeof(json_extract(mark_fields, '$.tracking')) = 'integer' AND json_extract(mark_fields, '$.tracking') > 0
        THEN json_extract(mark_fields, '$.tracking') END,
    contract = json_extract(mark_fields, '$.contract')
    WHERE mark_fields IS NOT NULL;
CREATE INDEX records_tracking ON records(tracking) WHERE tracking IS NOT NULL;
CREATE INDEX records_contract ON records(contract, at) WHERE contract IS NOT NULL;
