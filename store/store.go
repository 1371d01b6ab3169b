// Package store keeps every scan, its verdict and the supervisors' and
// sync's state in one SQLite file (mattn/go-sqlite3). It opens the file in
// WAL mode with synchronous=FULL, so a committed row survives a crash or a
// power cut, and applies the embedded numbered migrations on open.
//
// Migration numbers are split by area so parallel work does not collide:
// 001–009 scans and reuse, 010–019 users, review and audit, 020–029 sync,
// 030–039 batches and API tokens, 040–049 indexes and rollups that keep
// reads flat with the store's size, 050–059 the reuse history a new store
// restores from the collector (after 044, which rebuilt used_serials).
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/mattn/go-sqlite3" // the "sqlite3" driver

	"markd/internal/sqliteerr"
	"markd/mark"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the markd store. It is safe for concurrent use.
type DB struct {
	path string
	db   *sql.DB
	log  *slog.Logger

	now          func() time.Time // Options.Now
	passwordCost int              // Options.PasswordCost
	// FailWrite, when set, is called before every write transaction commits;
	// a non-nil error aborts the write as if the disk had failed. Tests use
	// it to simulate ENOSPC and a read-only file.
	FailWrite func() error

	writer scanWriter // connection and statements of the scan write path (scans.go)

	ck        checkpoints // when the WAL is checkpointed (checkpoint.go)
	file      fileWatch   // the file opened, and whether it was replaced (replaced.go)
	closeOnce sync.Once
	instance  *os.File  // Options.Exclusive: holds the lock (lockInstance)
	state     *walState // the WAL state file, marked open (walstate.go)
}

// Options configure a store. Zero values take the defaults.
type Options struct {
	Log *slog.Logger
	// Now is the clock of everything the store stamps (scans without a
	// time, audit, outbox, users, batches); default time.Now.
	Now func() time.Time
	// PasswordCost is the bcrypt cost of new passwords; default
	// PasswordCost (tests take bcrypt.MinCost).
	PasswordCost int
	// PresizeWAL: before SQLite opens the store, a store without a WAL
	// gets one of zeros a checkpoint cycle long (presizeWAL), so that the
	// scans after a start do not grow the file. For the daemon (`markd
	// run`); other commands open a store for a few writes.
	PresizeWAL bool
	// CheckpointIdle: how long the scan writer must be idle before its WAL
	// is checkpointed in the pause (0: CheckpointIdle; see checkpoint.go).
	CheckpointIdle time.Duration
	// Exclusive: no other process may open the store with Exclusive while
	// this one is open; OpenWith fails with ErrInUse instead. For the
	// daemon: two `markd run` on one store would share its counter's
	// batches and both keep a WAL made ahead (other commands, such as
	// `markd import` or `markd backup`, may still run beside it).
	Exclusive bool
}

// ErrInUse: another process opened the store with Options.Exclusive (a
// second `markd run` on the same store).
var ErrInUse = fmt.Errorf("store in use by another markd run: %w", mark.ErrUnavailable)

// errInstanceLocked is lockInstance's answer when the lock is held.
var errInstanceLocked = errors.New("locked")

// Open opens (creating if needed) the SQLite file at path and migrates it.
func Open(ctx context.Context, path string, log *slog.Logger) (*DB, error) {
	return OpenWith(ctx, path, Options{Log: log})
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, path string, o Options) (*DB, error) {
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PasswordCost == 0 {
		o.PasswordCost = PasswordCost
	}
	var instance *os.File
	if o.Exclusive {
		f, err := lockInstance(path)
		if errors.Is(err, errInstanceLocked) {
			return nil, mark.WithHint(fmt.Errorf("store %s: %w", path, ErrInUse),
				"markd is already running on this store (the service, or another `markd run`): stop it first, or give this one its own store")
		}
		if err != nil {
			return nil, mark.WithHint(fmt.Errorf("store %s: lock: %w: %w", path, mark.ErrUnavailable, err),
				"check that the markd user may read "+path)
		}
		instance = f
		defer func() {
			if instance != nil { // not handed to the DB: the open failed
				instance.Close()
			}
		}()
	}
	if o.PresizeWAL {
		if made, err := presizeWAL(path); err != nil {
			log.Warn("the store's WAL could not be made ahead; the first scans grow it", "err", err)
		} else if made {
			log.Debug("WAL made ahead", "path", path+"-wal")
		}
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_busy_timeout", "5000")
	q.Set("_foreign_keys", "on")
	q.Set("_txlock", "immediate")
	if vfs := vfsParam(); vfs != "" {
		q.Set("vfs", vfs)
		// the main file's writes (checkpoints) combined: only with
		// synchronous NORMAL or FULL (walvfs_linux.go)
		q.Set("markd_combine", "1")
	}
	sqldb, err := sql.Open("sqlite3", "file:"+uriPath(path)+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	d := &DB{path: path, db: sqldb, log: log.With("subsystem", "store"), now: o.Now, passwordCost: o.PasswordCost}
	if err := sqldb.PingContext(ctx); err != nil {
		sqldb.Close()
		if code := sqliteerr.Of(err); code == sqliteerr.Busy || code == sqliteerr.Locked {
			return nil, lockedErr(path, "open", err)
		}
		hint := "check that the folder exists and is writable by the markd user"
		if sqliteerr.DiskFull(err) {
			hint = "disk full: free space on the disk of " + filepath.Dir(path) + " (markd run starts again by itself once there is room)"
		}
		return nil, mark.WithHint(fmt.Errorf("open store %s: %w: %w", path, mark.ErrUnavailable, err), hint)
	}
	// before the first commit: from here the WAL may hold commits
	// the store file lacks
	state, err := markOpen(path)
	if errors.Is(err, errNoStateLocks) {
		log.Warn("the store is open without its WAL state file: a -wal and -shm both lost after a crash will not be noticed", "err", err)
	} else if err != nil {
		sqldb.Close()
		return nil, err
	}
	if err := d.migrate(ctx); err != nil {
		state.release(d.log, nil, d.checkpointAll, sqldb.Close) //nolint:errcheck // the migration's error tells
		return nil, err
	}
	if state != nil { // the store says it is open in itself too (opencopy.go)
		if err := d.recordOpen(ctx); err != nil {
			state.release(d.log, nil, d.checkpointAll, sqldb.Close) //nolint:errcheck // recordOpen's error tells
			return nil, err
		}
	}
	if o.Exclusive {
		if err := d.writeRunMark(ctx); err != nil {
			state.release(d.log, d.recordClosed, d.checkpointAll, sqldb.Close) //nolint:errcheck // the mark's error tells
			return nil, err
		}
	}
	d.state = state
	if fi, err := os.Stat(path); err == nil {
		d.file.opened = fi
	}
	d.watchContent()
	d.ck.idle = o.CheckpointIdle
	d.startCheckpointer()
	d.instance, instance = instance, nil
	return d, nil
}

// uriPath escapes the characters of a file path that SQLite's URI syntax
// reads otherwise: '?' starts the parameters, '#' a fragment, '%' an
// escape. A folder "Касса #2" was cut to "Касса " (the store was made
// beside it, and an empty file left at the path). A path that begins with
// "//" (a valid POSIX path, a UNC path written with slashes) gets an empty
// authority before it: "file://tmp/x.db" reads "tmp" as a host and fails.
func uriPath(path string) string {
	path = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	if strings.HasPrefix(path, "//") {
		path = "//" + path
	}
	return path
}

// Close stops the writer and the checkpointer, checkpoints the WAL and
// closes the store; a second call only closes the handle again.
func (d *DB) Close() error {
	var err error
	closed := false
	d.closeOnce.Do(func() {
		d.writer.shut()
		d.stopCheckpointer()
		if errors.Is(d.replacedErr(), ErrOverwritten) {
			err, closed = d.closeOverwritten(), true // the file left as written (overwriteclose.go)
		} else {
			err, closed = d.state.release(d.log, d.recordClosed, d.checkpointAll, d.db.Close), true
		}
		d.state = nil
	})
	if !closed {
		err = d.db.Close()
	}
	if err == nil {
		d.closeContent() // after SQLite closed the file, as the instance lock below
	}
	if d.instance != nil && err == nil {
		// after SQLite closed the file (lockInstance)
		d.instance.Close()
		d.instance = nil
	}
	return err
}

// checkpointAll checkpoints the WAL at close: true when every commit in
// it is now in the store file, synced (no reader kept a frame back).
func (d *DB) checkpointAll() bool {
	var busy, frames, moved int
	err := d.db.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &moved)
	if err != nil {
		d.log.Warn("checkpoint at close failed", "err", err)
		return false
	}
	return busy == 0 && frames == moved
}

// Now is the store's clock (Options.Now).
func (d *DB) Now() time.Time { return d.now() }

// Path returns the file path of the store.
func (d *DB) Path() string { return d.path }

// SQL exposes the handle for packages of this module that keep their own
// tables in the store (read-only queries, tests). Writes go through Write.
func (d *DB) SQL() *sql.DB { return d.db }

// Write runs fn in one immediate transaction and commits it durably. Any
// error (from fn, the injected failure point or the commit) rolls back and
// is returned wrapped in mark.ErrUnavailable when the store itself failed.
func (d *DB) Write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if err := d.replacedErr(); err != nil {
		return err
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return d.storeErr("begin", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	if err := fn(tx); err != nil {
		return err
	}
	if d.FailWrite != nil {
		if err := d.FailWrite(); err != nil {
			return d.storeErr("commit", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return d.storeErr("commit", err)
	}
	return nil
}

// ErrLocked: another program holds the store's write lock longer than the
// busy timeout (the sqlite3 shell or DB Browser in a transaction, a
// second markd command writing).
var ErrLocked = fmt.Errorf("store locked by another program: %w", mark.ErrUnavailable)

// storeErr is storeErr of the store at d.path: a lock held by another
// program names the store's file and, where the system tells it, the
// process that holds it.
func (d *DB) storeErr(op string, err error) error {
	if code := sqliteerr.Of(err); code != sqliteerr.Busy && code != sqliteerr.Locked {
		return storeErr(op, err)
	}
	return lockedErr(d.path, op, err)
}

// lockedErr is the error of a store at path that another program keeps
// locked (ErrLocked), with the holder when known and what to do.
func lockedErr(path, op string, err error) error {
	who := "another program"
	if h := lockHolder(path); h != "" {
		who = h
	}
	return mark.WithHint(fmt.Errorf("store %s: %s: %w: %w", path, op, ErrLocked, err),
		who+" holds a lock on "+path+": close it (the sqlite3 shell or DB Browser for SQLite with the store open, "+
			"or another markd command writing to it: import, backup, user) and try again")
}

// storeErr marks a failure of the store itself (disk full, locked,
// read-only) as ErrUnavailable, keeping the cause, with a hint.
func storeErr(op string, err error) error {
	hint := "the scan was not recorded; check free disk space and file permissions"
	switch code := sqliteerr.Of(err); {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		hint = "the request was given up before the store answered; nothing was changed"
	case errors.Is(err, syscall.ENOSPC) || code == sqliteerr.Full:
		hint = "disk full: free space on the disk that holds the markd database"
	case code == sqliteerr.ReadOnly:
		hint = "the database file is read-only: check its permissions"
	case code == sqliteerr.Busy || code == sqliteerr.Locked:
		hint = "the database is locked by another program: close it"
	case code == sqliteerr.Corrupt:
		hint = "the store is damaged: `markd doctor --deep` says what is damaged; restore the last backup (made by `markd backup`) with `markd restore FILE`"
	}
	return mark.WithHint(fmt.Errorf("store %s: %w: %w", op, mark.ErrUnavailable, err), hint)
}

// ErrSchemaNewer: the store was migrated by a newer markd than this one,
// whose write path may rely on what that migration changed (migrations
// 061 and 062 moved the work of triggers into the writer).
var ErrSchemaNewer = errors.New("store schema is newer than this markd")

// refuseNewer fails with ErrSchemaNewer when schema_migrations holds a
// version past the last of names (the embedded migrations, sorted).
func (d *DB) refuseNewer(ctx context.Context, names []string) error {
	top, known, err := newerMigration(ctx, d.db, names)
	if err != nil {
		return d.storeErr("read schema_migrations", err)
	}
	if top > known {
		return mark.WithHint(fmt.Errorf("store %s: migration %d applied, this markd knows up to %d: %w", d.path, top, known, ErrSchemaNewer),
			"run the markd version that upgraded this store, or restore the store backup taken before that upgrade")
	}
	return nil
}

// schemaReader is what the schema checks read through: a store's pool,
// or a read-only handle of a file not yet opened as a store.
type schemaReader interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// hasSchemaMigrations tells whether the database holds markd's
// schema_migrations table, what every markd store has and another
// program's SQLite file has not.
func hasSchemaMigrations(ctx context.Context, q schemaReader) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n)
	return n > 0, err
}

// newerMigration is the last migration applied to the database and the
// last of names (the embedded migrations, sorted) that this markd knows:
// top > known is a store migrated by a newer markd (ErrSchemaNewer).
func newerMigration(ctx context.Context, q schemaReader, names []string) (top, known int, err error) {
	if len(names) > 0 {
		known, _, _ = migrationVersion(names[len(names)-1])
	}
	var v sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, known, err
	}
	return int(v.Int64), known, nil
}

// migrationVersion is the number a migration's file name starts with, and
// the name without its folder.
func migrationVersion(name string) (version int, base string, err error) {
	base = strings.TrimPrefix(name, "migrations/")
	num, _, ok := strings.Cut(base, "_")
	version, err = strconv.Atoi(num)
	if !ok || err != nil {
		return 0, base, fmt.Errorf("migration %s: name must start with a number and '_': %w", base, mark.ErrInvalid)
	}
	return version, base, nil
}

// migrationNames lists the embedded migrations in the order they apply.
func migrationNames() ([]string, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	return names, nil
}

func (d *DB) migrate(ctx context.Context) error {
	if _, err := d.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return d.storeErr("create schema_migrations", err)
	}
	names, err := migrationNames()
	if err != nil {
		return err
	}
	if err := d.refuseNewer(ctx, names); err != nil {
		return err
	}
	applied, last := 0, ""
	for _, name := range names {
		version, base, err := migrationVersion(name)
		if err != nil {
			return err
		}
		var n int
		if err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
			return d.storeErr("read schema_migrations", err)
		}
		if n > 0 {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return fmt.Errorf("read migration %s: %w", base, err)
		}
		err = d.Write(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("apply migration %s: %w", base, err)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, name, applied_at) VALUES (?, ?, ?)`,
				version, base, d.Now().UTC().Format(time.RFC3339Nano))
			return err
		})
		if err != nil {
			return err
		}
		d.log.Debug("migration applied", "version", version, "name", base)
		applied++
		last = base
	}
	if applied > 0 {
		d.log.Info("store migrations applied", "applied", applied, "schema", last)
	}
	if applied == 0 {
		// No full-table check on every open: at a million scans it took
		// seconds before `markd run` could serve. Check runs it on demand
		// (`markd doctor --deep`).
		return nil
	}
	if err := d.foreignKeyCheck(ctx); err != nil {
		return fmt.Errorf("after migration: %w", err)
	}
	return nil
}

// Check runs SQLite's full checks of the file: quick_check (b-tree and
// index structure) and foreign_key_check. It reads every page, so it
// belongs to `markd doctor --deep` and migrations, never to every open.
// A damaged store is mark.ErrInvalid naming the first problem.
func (d *DB) Check(ctx context.Context) error {
	var res string
	if err := d.db.QueryRowContext(ctx, `PRAGMA quick_check(1)`).Scan(&res); err != nil {
		return d.storeErr("quick_check", err)
	}
	if res != "ok" {
		return fmt.Errorf("store %s: quick_check: %s: %w", d.path, res, mark.ErrInvalid)
	}
	return d.foreignKeyCheck(ctx)
}

func (d *DB) foreignKeyCheck(ctx context.Context) error {
	rows, err := d.db.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return d.storeErr("foreign_key_check", err)
	}
	defer rows.Close()
	if rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fkid int
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return d.storeErr("foreign_key_check", err)
		}
		return fmt.Errorf("store %s: foreign key check failed: row %d of %s has no %s: %w",
			d.path, rowid.Int64, table, parent, mark.ErrInvalid)
	}
	return rows.Err()
}
