-- A program's scan sent again with the same Idempotency-Key (a retry after
-- a timeout) is answered with the record of the first, not judged and
-- counted again (docs/local-api.md "Retries"). Keys are kept a day.
CREATE TABLE api_requests (
    actor      TEXT NOT NULL,      -- "api:NAME" of the token, or the user
    key        TEXT NOT NULL,      -- the Idempotency-Key header
    request    TEXT NOT NULL,      -- SHA-256 of the request's fields
    record_id  TEXT NOT NULL,      -- the scan it recorded
    at         TEXT NOT NULL,
    PRIMARY KEY (actor, key)
);
CREATE INDEX api_requests_at ON api_requests(at);
