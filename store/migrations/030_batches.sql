-- Batches of partition mail (MARK-FORMAT §8): one acceptance of a
-- customer's many items at one counter. At most one batch is open per
-- counter (the partial unique index); every scan there while it is open
-- names it in scans.batch_id, written in the scan's own transaction.
CREATE TABLE batches (
    id           TEXT PRIMARY KEY,                 -- UUIDv7
    office       INTEGER NOT NULL,
    counter      TEXT NOT NULL,
    operator     TEXT NOT NULL DEFAULT '',
    contract     INTEGER NOT NULL DEFAULT 0,       -- 0 = taken from the first verified mark
    state        TEXT NOT NULL CHECK (state IN ('open', 'closed', 'cancelled')),
    opened_at    TEXT NOT NULL,
    closed_at    TEXT,
    auto         INTEGER NOT NULL DEFAULT 0,
    has_list     INTEGER NOT NULL DEFAULT 0,
    upload_state TEXT NOT NULL DEFAULT 'pending'   -- uploaded once closed or cancelled
);
CREATE UNIQUE INDEX batches_open ON batches(counter) WHERE state = 'open';
CREATE INDEX batches_opened ON batches(opened_at);
CREATE INDEX batches_upload ON batches(upload_state, id) WHERE state <> 'open';

-- Partial on purpose: scans outside a batch add no index page to their commit.
ALTER TABLE scans ADD COLUMN batch_id TEXT REFERENCES batches(id);
CREATE INDEX scans_batch ON scans(batch_id, at) WHERE batch_id IS NOT NULL;

-- The customer's list of the batch (BATCH-LIST.md), replaced whole on
-- every import. notice and serial are NULL when the list does not give them.
CREATE TABLE batch_items (
    batch_id   TEXT NOT NULL REFERENCES batches(id),
    line       INTEGER NOT NULL,   -- line of the file, for messages
    n          INTEGER NOT NULL,   -- the item's number in the list
    tracking   TEXT NOT NULL DEFAULT '',
    mail_class INTEGER NOT NULL,
    weight_g   INTEGER NOT NULL,
    tariff_kop INTEGER NOT NULL,
    notice     INTEGER,
    serial     INTEGER,
    PRIMARY KEY (batch_id, line)
);

-- The acceptance receipt made when the batch closed (PDF), kept to reprint.
CREATE TABLE batch_receipts (
    batch_id TEXT PRIMARY KEY REFERENCES batches(id),
    made_at  TEXT NOT NULL,
    pdf      BLOB NOT NULL
);

-- Tokens of local programs (the cash-desk software) for the JSON API.
-- Only the SHA-256 of a token is kept: tokens are 256 random bits, so a
-- fast hash is enough and a stolen file gives no usable token.
CREATE TABLE api_tokens (
    name       TEXT PRIMARY KEY,
    hash       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
