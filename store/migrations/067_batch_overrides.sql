-- A supervisor's override to accept of a rejected scan that belongs to a
-- batch (MARK-FORMAT §7: it then counts as used, i.e. accepted). in_batch
-- is decided in the override's own transaction: 1 when the batch was still
-- open, so the envelope counts as accepted in the batch's totals,
-- reconciliation and receipt; 0 when the batch had ended, so its receipt,
-- handed over already, and its totals stay as they were and the decision
-- is shown as a later one.
CREATE TABLE batch_overrides (
    record_id TEXT PRIMARY KEY REFERENCES scans(id),
    batch_id  TEXT NOT NULL REFERENCES batches(id),
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    in_batch  INTEGER NOT NULL
);
CREATE INDEX batch_overrides_batch ON batch_overrides(batch_id, at);

-- Overrides made before this migration, with the audit's who and when. Of
-- a batch still open they count in it from now on; of an ended batch they
-- are later decisions: its receipt, made without them, stays the document.
INSERT INTO batch_overrides(record_id, batch_id, at, actor, in_batch)
SELECT s.id, s.batch_id, a.at, a.actor, b.state = 'open'
FROM scans s
JOIN batches b ON b.id = s.batch_id
JOIN audit a ON a.id = (SELECT max(id) FROM audit WHERE record_id = s.id AND action = 'override_accept')
WHERE s.batch_id IS NOT NULL AND s.review_state = 'overridden';
