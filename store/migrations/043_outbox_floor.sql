-- The outbox without an index entry per scan (issue 12: one WAL frame
-- fewer in every scan's commit). sync_state 'upload_floor': no record
-- with an id below it is pending. Uploads move it up (store/outbox.go);
-- these triggers move it down when a record becomes pending below it
-- (a preset id, a clock set back, records set pending again by hand to
-- send them once more). A new scan above the floor (the common case)
-- reads the one sync_state row and writes nothing.
INSERT INTO sync_state(key, value)
    SELECT 'upload_floor', coalesce((SELECT min(id) FROM scans WHERE upload_state = 'pending'), (SELECT max(id) FROM scans), '')
    WHERE true
    ON CONFLICT(key) DO NOTHING;
DROP INDEX scans_upload_pending;

CREATE TRIGGER upload_floor_insert AFTER INSERT ON scans WHEN NEW.upload_state = 'pending'
BEGIN
    UPDATE sync_state SET value = NEW.id WHERE key = 'upload_floor' AND value > NEW.id;
END;

CREATE TRIGGER upload_floor_update AFTER UPDATE OF upload_state, id ON scans WHEN NEW.upload_state = 'pending'
BEGIN
    UPDATE sync_state SET value = NEW.id WHERE key = 'upload_floor' AND value > NEW.id;
END;
