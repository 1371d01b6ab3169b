-- Records partitioned by month of scan time (issue 13). A partitioned
-- table's keys must hold the partition key, so "one record per (terminal,
-- id)" moves to record_keys, a small unpartitioned table every upload
-- inserts into first; records keeps (terminal, id, at) as its key.
-- Partitions records_yYYYYmMM are made by the store before a month's first
-- record (ensureMonths); retention drops whole months.
ALTER TABLE records RENAME TO records_flat;
ALTER INDEX IF EXISTS records_serial RENAME TO records_flat_serial;
ALTER INDEX IF EXISTS records_terminal_at RENAME TO records_flat_terminal_at;
ALTER INDEX IF EXISTS records_unverified RENAME TO records_flat_unverified;
ALTER INDEX IF EXISTS records_tracking RENAME TO records_flat_tracking;
ALTER INDEX IF EXISTS records_contract RENAME TO records_flat_contract;

CREATE TABLE record_keys (
    terminal TEXT NOT NULL,
    id       TEXT NOT NULL,
    at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (terminal, id)
);
CREATE INDEX record_keys_at ON record_keys(at);

CREATE TABLE records (LIKE records_flat INCLUDING DEFAULTS) PARTITION BY RANGE (at);
ALTER TABLE records ADD PRIMARY KEY (terminal, id, at);
CREATE INDEX records_serial ON records(serial);
CREATE INDEX records_terminal_at ON records(terminal, at);
CREATE INDEX records_unverified ON records(terminal) WHERE verification = 'unverified';
CREATE INDEX records_tracking ON records (((mark_fields::jsonb ->> 'tracking'))) WHERE mark_fields IS NOT NULL;
CREATE INDEX records_contract ON records (((mark_fields::jsonb ->> 'contract'))) WHERE mark_fields IS NOT NULL;

DO $$
DECLARE m date;
BEGIN
    FOR m IN SELECT DISTINCT date_trunc('month', at AT TIME ZONE 'UTC')::date FROM records_flat LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF records FOR VALUES FROM (%L) TO (%L)',
            'records_y' || to_char(m, 'YYYY') || 'm' || to_char(m, 'MM'),
            m::timestamp AT TIME ZONE 'UTC', (m + interval '1 month')::timestamp AT TIME ZONE 'UTC');
    END LOOP;
END $$;
INSERT INTO records SELECT * FROM records_flat;
INSERT INTO record_keys(terminal, id, at) SELECT terminal, id, at FROM records_flat;
DROP TABLE records_flat;
