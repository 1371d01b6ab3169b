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
	names, err := migrationNames()
	if err != nil {
		return err
	}
	db, err := sql.Open("sqlite3", "file:"+uriPath(path)+"?mode=ro&immutable=1")
	if err != nil {
		return nil
	}
	defer db.Close()
	ctx := context.Background()
	if ok, err := hasSchemaMigrations(ctx, db); err != nil || !ok {
		return nil
	}
	top, known, err := newerMigration(ctx, db, names)
	if err != nil || top <= known {
		return nil
	}
	return mark.WithHint(fmt.Errorf("store %s: migration %d applied, this markd knows up to %d: %w", path, top, known, ErrSchemaNewer),
		"run the markd version that upgraded this store, or restore the store backup taken before that upgrade")
}
