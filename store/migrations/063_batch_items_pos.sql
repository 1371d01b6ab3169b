-- The customer's list was keyed by (batch_id, line), but a JSON list written
-- on one line (what programs send) has every item on line 1: its import
-- failed on the key. Items are keyed by their place in the list (pos, from
-- 1) now; line stays for messages. Rows of older lists keep their order
-- (pos = line, which was unique in a batch).
CREATE TABLE batch_items_new (
    batch_id   TEXT NOT NULL REFERENCES batches(id),
    pos        INTEGER NOT NULL,   -- the item's place in the list, from 1
    line       INTEGER NOT NULL,   -- line of the file, for messages
    n          INTEGER NOT NULL,   -- the item's number in the list
    tracking   TEXT NOT NULL DEFAULT '',
    mail_class INTEGER NOT NULL,
    weight_g   INTEGER NOT NULL,
    tariff_kop INTEGER NOT NULL,
    notice     INTEGER,
    serial     INTEGER,
    PRIMARY KEY (batch_id, pos)
);
INSERT INTO batch_items_new(batch_id, pos, line, n, tracking, mail_class, weight_g, tariff_kop, notice, serial)
    SELECT batch_id, line, line, n, tracking, mail_class, weight_g, tariff_kop, notice, serial FROM batch_items;
DROP TABLE batch_items;
ALTER TABLE batch_items_new RENAME TO batch_items;
