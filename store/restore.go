package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"markd/mark"
)

// ErrBadBackup: the file given to Restore is not a backup that may be put
// in place (not SQLite, another program's database, damaged, migrated by a
// newer markd, or with a write-ahead log beside it). The store is not
// touched. It wraps ErrNotAStore (exit 1).
var ErrBadBackup = fmt.Errorf("backup refused: %w", ErrNotAStore)

// Restored is what Restore did: where the store that was in place went
// (Aside, with its -wal and -shm if it had them; empty when there was no
// store), and whether the backup was made by `markd backup` (a copy made
// another way is marked as one now, so that it too is compared with the
// collector before it accepts).
type Restored struct {
	Aside     []string // the files moved aside, the store file first
	WasMarked bool     // the backup was marked a copy already (markd backup)
	// CopiedOpen: the backup's own record said markd had the store open
	// (opencopy.go): a copy of the store file taken while markd ran, which
	// lacks the commits then only in its -wal if it was copied as a file
	// (cp) rather than by SQLite (sqlite3 .backup). Its record is marked
	// closed in the copy put in place.
	CopiedOpen bool
	BackupSize int64
}

// Restore puts the backup at backup in place as the store at path, for
// `markd restore`, while no `markd run` holds the store:
//
//   - it refuses (ErrInUse) while a daemon holds the store, by the lock
//     the daemon holds (Options.Exclusive, lockInstance), held here until
//     the backup is in place (on Windows until the store is moved: a held
//     file cannot be renamed there, and the daemon's open handle refuses
//     the move too);
//   - it checks the backup, read only, before anything is moved: an
//     SQLite file with no write-ahead log beside it, a markd store
//     (schema_migrations), not migrated by a newer markd, and PRAGMA
//     integrity_check ok (else ErrBadBackup naming the file and why);
//   - it copies the backup beside the store (path + ".restore"), marks the
//     copy as a backup copy (the daemon compares it with the collector
//     before it accepts a mark), and syncs it;
//   - it moves the store and its -wal, -shm and WAL state file aside
//     under names with now's time (never deleted), then renames the copy
//     into place, so no -wal or -shm of the old store stays beside the
//     backup, nor the state file that says they may hold commits; a
//     store path that is a symbolic link is followed (linkTarget): the
//     target is set aside and replaced, the link stays.
func Restore(ctx context.Context, path, backup string, now time.Time) (Restored, error) {
	var r Restored
	abs, _ := filepath.Abs(path)
	absB, _ := filepath.Abs(backup)
	if abs == absB || sameFile(path, backup) { // also a symbolic or hard link to it
		return r, mark.WithHint(fmt.Errorf("restore %s: the backup is the store itself: %w", backup, ErrBadBackup),
			"name the backup file made by `markd backup`")
	}
	// A symbolic link is followed: SQLite keeps the -wal, -shm and WAL
	// state file beside its target (sqliteBase), so the set aside and
	// replaced is the target's, and the link stays.
	target, err := linkTarget(path)
	if err != nil {
		return r, mark.WithHint(fmt.Errorf("restore %s: store %s: %w", backup, path, err),
			"check that the disk the link names is mounted and the link is right; nothing was changed")
	}
	// the -wal, -shm and .walstate: beside target, but beside the link
	// itself on Windows (SQLite's winFullPathname follows no link)
	base := sqliteBase(path)
	if absT, _ := filepath.Abs(target + ".restore"); strings.HasPrefix(absB, absT) {
		return r, mark.WithHint(fmt.Errorf("restore %s: the name is the one restore copies to: %w", backup, ErrBadBackup),
			"rename the backup (not "+target+".restore…), then run markd restore again")
	}
	var lock *os.File
	if _, err := os.Lstat(target); err == nil {
		lock, err = lockInstance(target)
		if errors.Is(err, errInstanceLocked) {
			return r, mark.WithHint(fmt.Errorf("restore %s: store %s: %w", backup, path, ErrInUse),
				"markd is running on this store: stop it first (systemctl stop markd; Windows: markd service stop), then run markd restore again; nothing was changed")
		}
		if err != nil {
			return r, mark.WithHint(fmt.Errorf("restore %s: store %s: lock: %w: %w", backup, path, mark.ErrUnavailable, err),
				"check that this user may read "+path)
		}
		defer func() {
			if lock != nil {
				lock.Close()
			}
		}()
	}
	// Another program with the store open (the sqlite3 shell, a markd
	// import): its connection would go on with the file moved aside.
	// Linux names it (lockHolder); on Windows its handle refuses the move.
	if h := lockHolder(target); h != "" {
		return r, mark.WithHint(fmt.Errorf("restore %s: store %s is open in %s: %w", backup, path, h, ErrLocked),
			"close it (the sqlite3 shell or DB Browser for SQLite with the store open, or another markd command: import, backup, user), then run markd restore again; nothing was changed")
	}
	marked, err := checkBackup(ctx, backup)
	if err != nil {
		return r, err
	}
	r.WasMarked = marked
	tmp := target + ".restore"
	for _, p := range []string{tmp, tmp + "-wal", tmp + "-shm", tmp + "-journal"} {
		os.Remove(p) //nolint:errcheck // leftovers of a restore that failed
	}
	n, err := copyFileSynced(backup, tmp)
	if err != nil {
		os.Remove(tmp) //nolint:errcheck // failed restore
		return r, mark.WithHint(fmt.Errorf("restore %s: copy to %s: %w: %w", backup, tmp, mark.ErrUnavailable, err),
			"check the free space and rights in "+filepath.Dir(target)+"; the store was not changed")
	}
	r.BackupSize = n
	r.CopiedOpen, err = markBackupCopy(ctx, tmp, now, !marked)
	if _, werr := os.Lstat(tmp + "-wal"); err == nil && werr == nil {
		err = fmt.Errorf("%s-wal left after marking the copy", tmp)
	}
	if err == nil {
		err = syncFile(tmp)
	}
	if err == nil {
		err = giveOwner(target, tmp)
	}
	if err != nil {
		for _, p := range []string{tmp, tmp + "-wal", tmp + "-shm"} {
			os.Remove(p) //nolint:errcheck // failed restore
		}
		return r, mark.WithHint(fmt.Errorf("restore %s: prepare %s: %w: %w", backup, tmp, mark.ErrUnavailable, err),
			"check the free space and rights in "+filepath.Dir(target)+"; the store was not changed")
	}
	stamp := now.UTC().Format("20060102T150405Z")
	aside := target + ".before-restore-" + stamp
	baseAside := base + ".before-restore-" + stamp
	var moves [][2]string
	if _, err := os.Lstat(target); err == nil {
		moves = append(moves, [2]string{target, aside})
	}
	// the WAL state file goes with its store: marked open, the set
	// renamed back is refused as this store would be (walstate.go); left
	// here it would refuse the backup, which has no -wal
	for _, sfx := range []string{"-wal", "-shm", WALStateSuffix} {
		if _, err := os.Lstat(base + sfx); err == nil {
			moves = append(moves, [2]string{base + sfx, baseAside + sfx})
		}
	}
	for _, m := range moves {
		if _, err := os.Lstat(m[1]); err == nil {
			os.Remove(tmp) //nolint:errcheck // failed restore
			return r, mark.WithHint(fmt.Errorf("restore %s: %s exists already: %w", backup, m[1], mark.ErrConflict),
				"a restore ran this second: wait a second and run markd restore again; the store was not changed")
		}
	}
	if len(moves) > 0 && moves[0][0] == target {
		// Windows: a file held open cannot be renamed; the daemon's own
		// handle (no FILE_SHARE_DELETE) refuses the move from here on.
		releaseBeforeMove(&lock)
	}
	for i, m := range moves {
		if err := os.Rename(m[0], m[1]); err != nil {
			return r, mark.WithHint(fmt.Errorf("restore %s: move %s aside to %s: %w: %w", backup, m[0], m[1], mark.ErrUnavailable, err),
				fmt.Sprintf("moved aside so far: %v; the checked copy of the backup is %s: move the rest aside by hand, then rename %s to %s", r.Aside, tmp, tmp, target))
		}
		r.Aside = append(r.Aside, moves[i][1])
	}
	if err := os.Rename(tmp, target); err != nil {
		return r, mark.WithHint(fmt.Errorf("restore %s: rename %s to %s: %w: %w", backup, tmp, target, mark.ErrUnavailable, err),
			fmt.Sprintf("the store was moved aside to %s; rename %s to %s by hand", aside, tmp, target))
	}
	for _, dir := range []string{filepath.Dir(target), filepath.Dir(base)} {
		if err := syncDir(dir); err != nil {
			return r, fmt.Errorf("restore %s: sync the folder of %s: %w", backup, target, err)
		}
		if filepath.Dir(base) == filepath.Dir(target) {
			break
		}
	}
	return r, nil
}

// linkTarget is the file a symbolic link at path names, links followed;
// path itself when it is no link (or missing). A link whose target cannot
// be reached (a disk not mounted) is an error naming the target: the
// restore would otherwise put the store on the disk under its mount point.
func linkTarget(path string) (string, error) {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		return path, nil
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		to, _ := os.Readlink(path)
		return "", fmt.Errorf("a symbolic link to %s, which cannot be reached: %w: %w", to, mark.ErrUnavailable, err)
	}
	return real, nil
}

// checkBackup checks, read only, that backup may be put in place: it
// reports whether markd backup made it (marked as a copy).
func checkBackup(ctx context.Context, backup string) (marked bool, err error) {
	bad := func(why string, hint string, errs ...error) error {
		e := fmt.Errorf("restore %s: %s: %w", backup, why, ErrBadBackup)
		for _, x := range errs {
			e = fmt.Errorf("%w: %w", e, x)
		}
		return mark.WithHint(e, hint+"; the store was not changed")
	}
	const other = "give a copy made by `markd backup`"
	f, err := os.Open(backup)
	if err != nil {
		return false, bad("cannot read it", "check the path and that this user may read it", err)
	}
	head := make([]byte, len(sqliteHeader))
	n, err := io.ReadFull(f, head)
	f.Close()
	switch {
	case n == 0:
		return false, bad("it is empty (0 bytes)", other)
	case err != nil && !errors.Is(err, io.ErrUnexpectedEOF):
		return false, bad("cannot read it", "check the disk", err)
	case !bytes.Equal(head[:n], sqliteHeader):
		return false, bad("not an SQLite database", other)
	}
	// A -wal beside the file holds commits the file lacks (a store copied
	// with cp while it ran): the file alone is not the whole copy.
	if fi, err := os.Stat(backup + "-wal"); err == nil && fi.Size() > 0 {
		return false, bad(fmt.Sprintf("a write-ahead log %s-wal (%d bytes) lies beside it: the file alone lacks its newest commits", backup, fi.Size()),
			other+" (it writes one whole file)")
	}
	// immutable: no lock, no -shm or -wal made beside the backup.
	db, err := sql.Open("sqlite3", "file:"+uriPath(backup)+"?mode=ro&immutable=1")
	if err != nil {
		return false, bad("cannot open it", other, err)
	}
	defer db.Close()
	has, err := hasSchemaMigrations(ctx, db)
	if err != nil {
		if damaged(err) {
			return false, bad("it is damaged", other, err)
		}
		return false, bad("cannot read it", other, err)
	}
	if !has {
		return false, bad("an SQLite database of another program, not a markd store (no schema_migrations)", other)
	}
	names, err := migrationNames()
	if err != nil {
		return false, err
	}
	top, known, err := newerMigration(ctx, db, names)
	if err != nil {
		return false, bad("cannot read its schema_migrations", other, err)
	}
	if top > known {
		return false, bad(fmt.Sprintf("migration %d applied, this markd knows up to %d", top, known),
			"restore it with the markd version that made it, or give a backup taken before that upgrade", ErrSchemaNewer)
	}
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check(20)`)
	if err != nil {
		return false, bad("it is damaged", other, err)
	}
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return false, bad("it is damaged", other, err)
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return false, bad("it is damaged", other, err)
	}
	if len(problems) > 0 {
		return false, bad(fmt.Sprintf("it is damaged: PRAGMA integrity_check: %v", problems), other)
	}
	var hasState int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'sync_state'`).Scan(&hasState); err != nil {
		return false, bad("cannot read it", other, err)
	}
	if hasState == 0 {
		return false, bad("a markd store without sync_state (not migrated)", other)
	}
	var c int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sync_state WHERE key = ?`, backupCopyKey).Scan(&c); err != nil {
		return false, bad("cannot read its sync_state", other, err)
	}
	return c > 0, nil
}

// copyFileSynced copies src to a new file dst (mode 0600) and syncs it.
func copyFileSynced(src, dst string) (int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, in)
	if err == nil {
		err = out.Chmod(0o600) // whatever the umask
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// syncFile fsyncs the file at path.
func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// sameFile reports whether a and b are one file (a link to the other);
// false when either cannot be read.
func sameFile(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}
