-- The collector re-judges every verified ACCEPT from its signed mark
-- (hub.Checker.Judge): an acceptance the mark contradicts (another
-- office, out of its dates, scanned after the collector received it, the
-- published lists) is stored disputed: the reason codes as a JSON array,
-- in words in why. NULL = not disputed. The regional pages list them
-- newest first from the partial index.
ALTER TABLE records ADD COLUMN IF NOT EXISTS disputed TEXT;
CREATE INDEX IF NOT EXISTS records_disputed ON records(at) WHERE disputed IS NOT NULL;
