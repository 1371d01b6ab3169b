-- Clocks (issue 17): the skew of each terminal's clock against the
-- collector's (terminal − collector, ms) as last measured from the Date
-- header of its requests, and when (collector clock).
ALTER TABLE terminals ADD COLUMN clock_skew_ms INTEGER;
ALTER TABLE terminals ADD COLUMN seen_at TEXT;
