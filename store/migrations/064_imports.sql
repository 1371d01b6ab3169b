-- How far each import of a file came (markd import FILE), written in the
-- transaction of every batch it stores: running the same file again
-- resumes after the last committed line instead of storing its scans again
-- (DUPLICATE_SCAN, then REUSED for the supervisor and the collector).
-- A file is known by its content: prefix is the SHA-256 of its first
-- `bytes` bytes (the lines done); head the SHA-256 of its first head_len
-- bytes (min(bytes, 4096)), to find the rows a file may continue.
CREATE TABLE imports (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,     -- the file as named by the last run
    head_len   INTEGER NOT NULL,
    head       TEXT NOT NULL,
    lines      INTEGER NOT NULL,  -- lines done from line 1 (scans and blank lines)
    bytes      INTEGER NOT NULL,  -- the bytes of those lines
    prefix     TEXT NOT NULL,
    scans      INTEGER NOT NULL,  -- scans stored from those lines
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX imports_head ON imports(head_len, head);
