-- The receipt's counts of an uploaded batch (hub.Batch): envelopes handed
-- back, marks accepted and presented again, their refusals. NULL: the
-- counter was older and did not send them (unknown, not 0). The same step
-- as hub/pgstore/migrations/051_batch_receipt_totals.sql.
ALTER TABLE batches ADD COLUMN handed_back INTEGER;
ALTER TABLE batches ADD COLUMN presented_again INTEGER;
ALTER TABLE batches ADD COLUMN refused_again INTEGER;
