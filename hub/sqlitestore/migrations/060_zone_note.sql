-- A counter sends with each record the UTC offset it judged the dates by
-- and its tz (records' at_offset, at_zone; hub/zoneagree.go). The
-- collector notes on the terminal what its newest such record in an office
-- of known zone says: zone_check agrees, differs (the counter judges in
-- another zone: a wrong tz) or data_differ (its tz is the office's, its
-- zone data give another offset than the collector's), and zone_note the
-- note as JSON (the record's scan time, both offsets, both zone names).
-- NULL = nothing noted yet. The fleet page shows it; /healthz counts the
-- terminals whose zone_check is differs or data_differ (from the index).
ALTER TABLE terminals ADD COLUMN zone_check TEXT;
ALTER TABLE terminals ADD COLUMN zone_note TEXT;
CREATE INDEX terminals_zone_check ON terminals(zone_check);
