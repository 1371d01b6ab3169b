-- Which offices reject most, and why (issue 13): a rollup per office and
-- UTC day of the counters' verdicts and of the reasons of their
-- rejections, kept by every upload in the transaction that inserts the
-- records (and by a review that overrides a rejection), so a region's
-- ranking reads offices × days rows, not the records. Filled here from
-- the records already stored. Kept when retention drops records.
CREATE TABLE IF NOT EXISTS office_day_counts (
    office     INTEGER NOT NULL,
    day        TEXT NOT NULL,              -- YYYY-MM-DD, UTC, of the scan
    accepted   INTEGER NOT NULL DEFAULT 0,
    rejected   INTEGER NOT NULL DEFAULT 0, -- every REJECT
    overridden INTEGER NOT NULL DEFAULT 0, -- of them, later accepted by a supervisor
    other      INTEGER NOT NULL DEFAULT 0, -- NOT_A_MARK, DUPLICATE_SCAN, ERROR
    PRIMARY KEY (day, office)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS office_day_counts_office ON office_day_counts(office, day);
CREATE TABLE IF NOT EXISTS office_day_reasons (
    office INTEGER NOT NULL,
    day    TEXT NOT NULL,
    reason TEXT NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (office, day, reason)
) WITHOUT ROWID;
INSERT INTO office_day_counts(office, day, accepted, rejected, overridden, other)
    SELECT office, substr(at, 1, 10), sum(verdict = 'ACCEPT'), sum(verdict = 'REJECT'),
        sum(verdict = 'REJECT' AND review_state = 'overridden'), sum(verdict NOT IN ('ACCEPT', 'REJECT'))
    FROM records GROUP BY 1, 2;
INSERT INTO office_day_reasons(office, day, reason, n)
    SELECT r.office, substr(r.at, 1, 10), j.value, count(*)
    FROM records r, json_each(r.reasons) j WHERE r.verdict = 'REJECT' GROUP BY 1, 2, 3;
