-- The region's reviewer's name and note of the last change of a
-- collector's question (the closing, or the reopening of a reopened one),
-- as the collector's feed carries them since markhub sends "notes": a
-- supervisor deciding an override reads what the region's review found.
-- '' for questions stored before (an older markd or markhub): sync reads
-- the feed once more from its start when the collector first says it
-- carries them (sync_state 'questioned_notes'), which fills them in.
ALTER TABLE collector_questions ADD COLUMN review_by TEXT NOT NULL DEFAULT '';
ALTER TABLE collector_questions ADD COLUMN review_note TEXT NOT NULL DEFAULT '';
