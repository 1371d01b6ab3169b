-- What the collector refused and the counter set aside (a record or a
-- batch with upload_state 'refused', a review event the cursor skipped):
-- when, and the collector's answer, for the supervisor's page of set-aside
-- records (/setaside) and for sending them again (the page, markd sync
-- --resend-refused). One row per thing set aside now: sending it again
-- deletes the row, a new refusal writes it again. seq is the page's order
-- (keyset, newest first). Records and batches set aside before this
-- migration have no time or answer kept (refused_at ''); events skipped
-- before it are not known.
CREATE TABLE set_aside (
    seq        INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('record', 'batch', 'event')),
    ref        TEXT NOT NULL,     -- scans.id, batches.id, or audit.id as text
    refused_at TEXT NOT NULL,     -- RFC 3339 UTC (counter clock); '' = not kept
    status     INTEGER NOT NULL,  -- the collector's HTTP status (400, 409); 0 = not kept
    field      TEXT NOT NULL,     -- the field it named: records[3].verdict
    reason     TEXT NOT NULL      -- its error text as it came
);
CREATE UNIQUE INDEX set_aside_ref ON set_aside(kind, ref);

INSERT INTO set_aside(kind, ref, refused_at, status, field, reason)
    SELECT 'record', id, '', 0, '', '' FROM scans WHERE upload_state = 'refused' ORDER BY id;
INSERT INTO set_aside(kind, ref, refused_at, status, field, reason)
    SELECT 'batch', id, '', 0, '', '' FROM batches WHERE upload_state = 'refused' ORDER BY id;
