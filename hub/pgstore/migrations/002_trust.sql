-- Trust boundaries (issue 9): the steps of hub/sqlitestore/migrations/002_trust.sql.

ALTER TABLE terminals ADD COLUMN office BIGINT;
UPDATE terminals t SET office = (SELECT r.office FROM records r WHERE r.terminal = t.name
                                 ORDER BY r.received_at, r.id LIMIT 1);

ALTER TABLE records DROP CONSTRAINT records_pkey;
ALTER TABLE records ADD PRIMARY KEY (terminal, id);
ALTER TABLE records ADD COLUMN verification TEXT NOT NULL DEFAULT 'unchecked';
UPDATE records SET verification = 'none' WHERE mark_fields IS NULL;
ALTER TABLE records ADD COLUMN why TEXT NOT NULL DEFAULT '';
ALTER TABLE records ADD COLUMN digest TEXT NOT NULL DEFAULT '';
CREATE INDEX records_unverified ON records(terminal) WHERE verification = 'unverified';

ALTER TABLE alerts DROP CONSTRAINT alerts_terminal_record_id_other_record_id_key;
ALTER TABLE alerts ADD CONSTRAINT alerts_pair_key UNIQUE (terminal, record_id, other_terminal, other_record_id);
