-- A supervisor's override to accept makes a rejected scan's serial used
-- from the override on (MARK-FORMAT §7), so the first acceptance step 5
-- reports, and its re-scan window, run from the override's time, not from
-- the scan's. accepted_at holds that time for such a claim; NULL (every
-- claim of an accepted scan, the hot path's insert unchanged) means the
-- record's own scan time. Overrides made before this migration take the
-- time of their audit line.
ALTER TABLE used_serials ADD COLUMN accepted_at TEXT;
UPDATE used_serials SET accepted_at = (
        SELECT a.at FROM audit a
        WHERE a.record_id = used_serials.record_id AND a.action = 'override_accept'
        ORDER BY a.id LIMIT 1)
    WHERE record_id IN (SELECT id FROM scans WHERE review_state = 'overridden');
