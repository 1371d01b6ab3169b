-- Which offices reject most, and why (issue 13): a rollup per office and
-- UTC day of the counters' verdicts and of the reasons of their
-- rejections, kept by every upload in the transaction that inserts the
-- records (and by a review that overrides a rejection), so a region's
-- ranking reads offices × days rows, not the records. Filled here from
-- the records already stored (one pass over records: on a large database
-- apply it in a quiet hour). Kept when retention drops months.
CREATE TABLE IF NOT EXISTS office_day_counts (
    office     BIGINT NOT NULL,
    day        DATE NOT NULL,             -- UTC, of the scan
    -- integer, not bigint: an office's day fits, and sum(integer) is a
    -- bigint where sum(bigint) is a numeric (several times slower to
    -- group 38 000 offices × 31 days)
    accepted   INTEGER NOT NULL DEFAULT 0,
    rejected   INTEGER NOT NULL DEFAULT 0, -- every REJECT
    overridden INTEGER NOT NULL DEFAULT 0, -- of them, later accepted by a supervisor
    other      INTEGER NOT NULL DEFAULT 0, -- NOT_A_MARK, DUPLICATE_SCAN, ERROR
    PRIMARY KEY (day, office)
);
CREATE INDEX IF NOT EXISTS office_day_counts_office ON office_day_counts(office, day);
CREATE TABLE IF NOT EXISTS office_day_reasons (
    office BIGINT NOT NULL,
    day    DATE NOT NULL,
    reason TEXT NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (office, day, reason)
);
INSERT INTO office_day_counts(office, day, accepted, rejected, overridden, other)
    SELECT office, (at AT TIME ZONE 'UTC')::date, count(*) FILTER (WHERE verdict = 'ACCEPT'),
        count(*) FILTER (WHERE verdict = 'REJECT'), count(*) FILTER (WHERE verdict = 'REJECT' AND review_state = 'overridden'),
        count(*) FILTER (WHERE verdict NOT IN ('ACCEPT', 'REJECT'))
    FROM records GROUP BY 1, 2;
INSERT INTO office_day_reasons(office, day, reason, n)
    SELECT r.office, (r.at AT TIME ZONE 'UTC')::date, j.reason, count(*)
    FROM records r, jsonb_array_elements_text(r.reasons::jsonb) AS j(reason) WHERE r.verdict = 'REJECT' GROUP BY 1, 2, 3;
