-- Whether a markd process has the store open to write, kept in the store
-- itself (opencopy.go): 'open' written and checkpointed into the store
-- file at open, 'closed' at the last clean close before its final
-- checkpoint. A store file whose own record says open with neither a
-- -wal nor a .walstate beside it is a copy of the file alone taken while
-- markd ran (cp, a backup tool copying *.db), or one that lost its WAL
-- after a crash: it lacks the commits that were only in the -wal, and is
-- refused (ErrStoreCopied). No row: a store of an older markd, no
-- evidence.
CREATE TABLE open_state (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    state TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    at    TEXT NOT NULL
);
