-- The outbox index held an entry for every scan ever made, keyed by
-- (upload_state, id): each new scan's 'pending' entry went into the middle
-- of it (before all the 'uploaded' ones), where a full page ran SQLite's
-- three-sibling rebalance, 4-8 more WAL frames in that scan's commit, and
-- every upload moved its entries across the tree (issue 12). Partial
-- indexes hold only what the queries look for: the backlog, keyed by id
-- (a new scan appends at its end; an upload removes from its start), and
-- the few records the collector refused. Queries name the conditions
-- literally so the planner may use them.
DROP INDEX scans_upload;
CREATE INDEX scans_upload_pending ON scans(id) WHERE upload_state = 'pending';
CREATE INDEX scans_upload_refused ON scans(id) WHERE upload_state = 'refused';

-- Rejections waiting for a supervisor, in time order: the review page's
-- default filter walks only these. Written by a REJECT's commit and by a
-- review, never by an ACCEPT's. Older stores kept some rejections as ''
-- (read as pending); they are named so here, once.
UPDATE scans SET review_state = 'pending' WHERE verdict = 'REJECT' AND review_state = '';
CREATE INDEX scans_review_pending ON scans(at, id) WHERE review_state = 'pending';
