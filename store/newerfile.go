package store

import (
	"context"
	"database/sql"
	"fmt"

	"markd/mark"
)

// checkNewerFile refuses (ErrSchemaNewer) a store file whose own
// schema_migrations holds a migration past this markd's last: the cheap
// look of `markd doctor` said "ok" of a store a newer markd had migrated
// (after a downgrade), though every command then refused it. Read only:
// the file is read immutable, its WAL not read, nothing made beside it.
// A newer migration still only in the WAL is refused at open
// (refuseNewer). A file this cannot read is left to the open to judge.
func checkNewerFile(path string) error {
	top, known, err := FileSchema(path)
	if err != nil || top <= known {
		return nil
	}
	return mark.WithHint(fmt.Errorf("store %s: migration %d applied, this markd knows up to %d: %w", path, top, known, ErrSchemaNewer),
		"run the markd version that upgraded this store, or restore the store backup taken before that upgrade")
}

// FileSchema reads the highest migration the store file at path records
// (top; 0 where it records none) and the highest this markd knows, for
// `markd doctor` to name a counter's schema: read immutable, its WAL not
// read (a migration still only in the WAL is not seen), nothing made
// beside it.
func FileSchema(path string) (top, known int, err error) {
	names, err := migrationNames()
	if err != nil {
		return 0, 0, err
	}
	db, err := sql.Open("sqlite3", "file:"+uriPath(path)+"?mode=ro&immutable=1")
	if err != nil {
		return 0, 0, fmt.Errorf("store %s: %w", path, err)
	}
	defer db.Close()
	ctx := context.Background()
	ok, err := hasSchemaMigrations(ctx, db)
	if err != nil {
		return 0, 0, fmt.Errorf("store %s: %w", path, err)
	}
	if !ok {
		if len(names) > 0 {
			known, _, _ = migrationVersion(names[len(names)-1])
		}
		return 0, known, nil
	}
	top, known, err = newerMigration(ctx, db, names)
	if err != nil {
		return 0, known, fmt.Errorf("store %s: schema_migrations: %w", path, err)
	}
	return top, known, nil
}
