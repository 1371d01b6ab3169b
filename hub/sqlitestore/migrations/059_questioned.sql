-- The collector re-judges every verified REJECT too (hub.questionRecord):
-- one whose signed mark it would have accepted (a counter with a wrong
-- clock or time zone, or one judging under lists other than it names) is
-- stored as sent with the counter's reasons here, as a JSON array, and
-- why they fail in why. NULL = not questioned. It is reviewed with the
-- columns and audit of a disputed acceptance (057: a record is an ACCEPT
-- or a REJECT, never both kinds). The open ones are listed newest scan
-- first and counted for /healthz from the partial index.
ALTER TABLE records ADD COLUMN questioned TEXT;
CREATE INDEX records_questioned_open ON records(at) WHERE questioned IS NOT NULL AND dispute_reviewed_at IS NULL;
CREATE INDEX records_questioned ON records(office, terminal) WHERE questioned IS NOT NULL;
