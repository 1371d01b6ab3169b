-- The questioned rejections' feed to their counters: the steps of
-- hub/sqlitestore/migrations/061_questioned_feed.sql. seq is renewed from
-- the sequence; the writers of one terminal's rows take its advisory
-- lock first (pgstore/questionfeed.go), so a seq a counter has seen is
-- never followed by a smaller one of its terminal committed later.
CREATE SEQUENCE IF NOT EXISTS questioned_feed_seq;
CREATE TABLE IF NOT EXISTS questioned_feed (
    seq       BIGINT NOT NULL DEFAULT nextval('questioned_feed_seq'),
    terminal  TEXT NOT NULL,
    record_id TEXT NOT NULL,
    PRIMARY KEY (terminal, record_id)
);
CREATE INDEX IF NOT EXISTS questioned_feed_terminal ON questioned_feed(terminal, seq);
INSERT INTO questioned_feed(terminal, record_id)
    SELECT terminal, id FROM records WHERE questioned IS NOT NULL ORDER BY received_at, terminal, id
    ON CONFLICT (terminal, record_id) DO NOTHING;
