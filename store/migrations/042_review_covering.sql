-- The reason filter of the review pages and the API reads the reasons of
-- every candidate rejection: with reasons in the partial indexes it reads
-- them from the index instead of one table page per candidate (issue 12:
-- the filtered review page at 1M scans cost ~12× its time at 10k). Both
-- indexes hold rejections and other non-ACCEPT scans only, so an ACCEPT's
-- commit writes no page of either.
DROP INDEX scans_notaccept;
CREATE INDEX scans_notaccept ON scans(at, id, verdict, reasons) WHERE verdict <> 'ACCEPT';
DROP INDEX scans_review_pending;
CREATE INDEX scans_review_pending ON scans(at, id, verdict, reasons) WHERE review_state = 'pending';
