-- GET /v1/serials also lists the serials an office accepted after another
-- office had (a reuse alert): the alert row of the other side names this
-- office's use (other_office, other_record_id), page by page in serial order.
CREATE INDEX alerts_other_office ON alerts(other_office, serial);
