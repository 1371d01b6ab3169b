-- A counter that starts on a new store restores the serials its office
-- used from the collector, page by page in serial order (GET /v1/serials).
CREATE INDEX used_serials_office ON used_serials(office, serial);
