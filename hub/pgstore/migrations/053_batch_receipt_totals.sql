-- The receipt's counts of an uploaded batch (hub.Batch): envelopes handed
-- back, marks accepted and presented again, their refusals. NULL: the
-- counter was older and did not send them (unknown, not 0). The same step
-- as hub/sqlitestore/migrations/051_batch_receipt_totals.sql.
ALTER TABLE batches ADD COLUMN IF NOT EXISTS handed_back INTEGER;
ALTER TABLE batches ADD COLUMN IF NOT EXISTS presented_again INTEGER;
ALTER TABLE batches ADD COLUMN IF NOT EXISTS refused_again INTEGER;
