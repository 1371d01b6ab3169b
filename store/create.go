package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"markd/internal/sqliteerr"
	"markd/mark"
)

// ErrNotAStore is the error of OpenExisting for a file that is not a markd
// store: missing, empty (0 bytes), not SQLite, or damaged. It wraps
// mark.ErrUnavailable (exit code 1): the counter must not start, and must
// never start over on an empty store, which would accept used marks again.
var ErrNotAStore = fmt.Errorf("not a markd store: %w", mark.ErrUnavailable)

// sqliteHeader starts every SQLite 3 database file.
var sqliteHeader = []byte("SQLite format 3\x00")

// CheckFile tells whether path holds an SQLite database, without opening
// it: a missing, empty or foreign file is ErrNotAStore with a hint naming
// the file and what to do, and so is one whose write-ahead log lost
// commits (ErrWALLost): commits its WAL index still counts (checkWAL), or
// the -wal and -shm both gone after an unclean stop (checkWALState), or a
// store file copied alone while markd had it open (checkCopiedOpen). A
// store a newer markd migrated is ErrSchemaNewer (checkNewerFile).
func CheckFile(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return mark.WithHint(fmt.Errorf("store %s does not exist: %w", path, ErrNotAStore),
			"create a new store with `markd init --db "+path+"` (only for a new counter), or correct db in the config")
	}
	if err != nil {
		return mark.WithHint(fmt.Errorf("store %s: %w: %w", path, mark.ErrUnavailable, err),
			"check that the markd user may read and write "+path)
	}
	defer f.Close()
	head := make([]byte, len(sqliteHeader))
	n, err := io.ReadFull(f, head)
	switch {
	case n == 0 && (err == io.EOF || err == nil):
		return mark.WithHint(fmt.Errorf("store %s is empty (0 bytes): %w", path, ErrNotAStore),
			"the store was truncated or replaced; starting afresh would accept marks this counter already accepted: "+
				"restore the last backup (made by `markd backup`) with `markd restore FILE` to "+path+"; only for a new counter remove the file and run `markd init`")
	case err != nil && !errors.Is(err, io.ErrUnexpectedEOF):
		return mark.WithHint(fmt.Errorf("store %s: %w: %w", path, mark.ErrUnavailable, err),
			"check the disk and the permissions of "+path)
	case !bytes.Equal(head[:n], sqliteHeader):
		return mark.WithHint(fmt.Errorf("store %s is not an SQLite database: %w", path, ErrNotAStore),
			"check db in the config; if this is the store, it is damaged: restore the last backup (made by `markd backup`) with `markd restore FILE`")
	}
	if err := checkWAL(path); err != nil {
		return err
	}
	if err := checkWALState(path); err != nil {
		return err
	}
	if err := checkNewerFile(path); err != nil {
		return err
	}
	return checkCopiedOpen(path)
}

// OpenExisting opens the markd store at path and migrates it; it never
// creates one. Every command but `markd init` opens the store this way, so
// a typo in --db or a truncated file is an error, not a new empty store.
func OpenExisting(ctx context.Context, path string, log *slog.Logger) (*DB, error) {
	return OpenExistingWith(ctx, path, Options{Log: log})
}

// OpenExistingWith is OpenExisting with options.
func OpenExistingWith(ctx context.Context, path string, o Options) (*DB, error) {
	if err := CheckFile(path); err != nil {
		return nil, err
	}
	if err := checkWritable(path); err != nil {
		return nil, err
	}
	if err := checkMarkdSchema(ctx, path); err != nil {
		return nil, err
	}
	db, err := OpenWith(ctx, path, o)
	if err == nil {
		if err := keepOwner(path); err != nil {
			db.Close()
			return nil, err
		}
	}
	if err != nil && damaged(err) {
		return nil, mark.WithHint(fmt.Errorf("store %s is damaged: %w: %w", path, ErrNotAStore, err),
			"restore the last backup (made by `markd backup`) with `markd restore FILE` to "+path+"; `markd doctor --deep` says what is damaged")
	}
	return db, err
}

// checkMarkdSchema refuses an SQLite file that is not a markd store (no
// schema_migrations: another program's database, the collector's restored
// by mistake) before anything migrates it: read only, the file untouched.
// Migrating it made a store with an empty reuse history, which accepts
// used marks again.
//
// With no -wal beside the store (every start after a clean stop) the
// store file alone is read first, immutable: SQLite then makes no -wal.
// A read-only open leaves an empty one behind, and markd run makes its
// WAL ahead only where none exists (presizeWAL), so its first cycle of
// scans grew the file again. Only a markd store passes that way; anything
// else (no schema_migrations, an error: a torn read while another process
// checkpoints) is read again the full way below before it is refused.
func checkMarkdSchema(ctx context.Context, path string) error {
	if _, err := os.Lstat(sqliteBase(path) + "-wal"); errors.Is(err, os.ErrNotExist) && markdSchemaIn(ctx, path, "mode=ro&immutable=1") {
		return nil
	}
	db, err := sql.Open("sqlite3", "file:"+uriPath(path)+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return nil // the open that follows says why
	}
	defer db.Close()
	has, err := hasSchemaMigrations(ctx, db)
	switch {
	case err != nil && damaged(err):
		return mark.WithHint(fmt.Errorf("store %s is damaged: %w: %w", path, ErrNotAStore, err),
			"restore the last backup (made by `markd backup`) with `markd restore FILE` to "+path+"; `markd doctor --deep` says what is damaged")
	case err != nil:
		return nil // a full disk, a lock, rights: the open that follows says which
	case !has:
		return mark.WithHint(fmt.Errorf("store %s is an SQLite database of another program, not a markd store: %w", path, ErrNotAStore),
			"check db in the config; if the store was replaced, restore the last backup (made by `markd backup`) with `markd restore FILE` to "+path+"; only for a new counter run `markd init` on a new path")
	}
	return nil
}

// markdSchemaIn tells whether the SQLite file at path, opened with the
// URI parameters params, has schema_migrations (false on any error).
func markdSchemaIn(ctx context.Context, path, params string) bool {
	db, err := sql.Open("sqlite3", "file:"+uriPath(path)+"?"+params)
	if err != nil {
		return false
	}
	defer db.Close()
	has, err := hasSchemaMigrations(ctx, db)
	return err == nil && has
}

func damaged(err error) bool { return sqliteerr.Of(err) == sqliteerr.Corrupt }

// Create makes a new, migrated store at path, mode 0600, and opens it. It
// refuses a path that exists, whatever it holds. The new store's reuse
// history is pending (HistoryPending) until restored from the collector. The file is built beside
// path and linked into place only when complete, so a failed create leaves
// nothing that OpenExisting would take for a store.
func Create(ctx context.Context, path string, log *slog.Logger) (*DB, error) {
	if _, err := os.Lstat(path); err == nil {
		return nil, mark.WithHint(fmt.Errorf("store %s already exists: %w", path, mark.ErrConflict),
			"markd init makes a new store only; the existing one is kept")
	}
	// A write-ahead log left by a store that was removed or moved holds
	// that store's newest commits; SQLite would replay it into the new
	// file (it cannot tell whose log it is), mixing old pages into it, and
	// then delete it.
	if _, err := os.Lstat(path + "-wal"); err == nil {
		return nil, mark.WithHint(fmt.Errorf("store %s: %s-wal of an earlier store is left beside it: %w", path, path, mark.ErrConflict),
			"it holds that store's newest commits: put the store back beside it, or, if that store is gone for good, move the -wal and -shm files away, then run markd init again")
	}
	tmp := path + ".new"
	for _, p := range []string{tmp, tmp + "-wal", tmp + "-shm", tmp + WALStateSuffix} {
		os.Remove(p) //nolint:errcheck // leftovers of a failed create
	}
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, mark.WithHint(fmt.Errorf("create store %s: %w: %w", path, mark.ErrUnavailable, err),
			"check that the folder "+filepath.Dir(path)+" exists and is writable")
	}
	if err := f.Chmod(0o600); err != nil { // whatever the umask
		f.Close()
		return nil, fmt.Errorf("create store %s: %w", path, err)
	}
	f.Close()
	db, err := Open(ctx, tmp, log)
	if err != nil {
		os.Remove(tmp)                  //nolint:errcheck // failed create
		os.Remove(tmp + WALStateSuffix) //nolint:errcheck // failed create
		return nil, err
	}
	// A new store knows no serial its office accepted before: it must get
	// them from the collector before it accepts a mark (sync.Restorer).
	if err := db.markHistoryPending(ctx); err != nil {
		db.Close()
		os.Remove(tmp)                  //nolint:errcheck // failed create
		os.Remove(tmp + WALStateSuffix) //nolint:errcheck // failed create
		return nil, err
	}
	if err := db.Close(); err != nil { // the last close checkpoints and removes the WAL
		return nil, fmt.Errorf("create store %s: %w", path, err)
	}
	// Link, not rename: it fails if path appeared meanwhile.
	if err := os.Link(tmp, path); err != nil {
		os.Remove(tmp)                  //nolint:errcheck // failed create
		os.Remove(tmp + WALStateSuffix) //nolint:errcheck // failed create
		return nil, mark.WithHint(fmt.Errorf("create store %s: %w: %w", path, mark.ErrUnavailable, err),
			"check that the folder "+filepath.Dir(path)+" is writable")
	}
	os.Remove(tmp)                  //nolint:errcheck // the link holds the file
	os.Remove(tmp + WALStateSuffix) //nolint:errcheck // closed: the new store's own is made by its open
	if err := syncDir(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("create store %s: %w", path, err)
	}
	return Open(ctx, path, log)
}
