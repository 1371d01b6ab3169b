//go:build linux && cgo

package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/mark"
)

// TestStoreFileCopiedOpen: a copy of the store file alone, without its
// -wal and .walstate, taken while markd had the store open (cp during a
// run, a backup tool copying *.db), or a store whose -wal, -shm and
// .walstate were all lost after a crash, lacks the commits still in the
// -wal. The store's own record says markd had it open (written and
// checkpointed at open, "closed" at the last clean close), so CheckFile,
// OpenExisting and FindImports refuse it (ErrStoreCopied, an ErrWALLost),
// read only, again and again. The old code opened such a copy as a
// valid store, silently without those scans. A copy made after a clean
// stop, markd backup's copy, and a crash's store file with its -wal (no
// .walstate) keep opening.
func TestStoreFileCopiedOpen(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		make   func(t *testing.T, path, dst string)
		copied bool
	}{
		{name: "cp while open", copied: true, make: func(t *testing.T, path, dst string) {
			child := startWALChild(t, "hold", path)
			child.until(t, "held")
			copyFile(t, path, dst)
			child.stop(t)
		}},
		{name: "crash, -wal -shm and .walstate lost", copied: true, make: func(t *testing.T, path, dst string) {
			killedMidWrites(t, path, 5)
			copyFile(t, path, dst)
		}},
		{name: "cp after a clean stop", make: func(t *testing.T, path, dst string) {
			child := startWALChild(t, "hold", path)
			child.until(t, "held")
			child.stop(t)
			copyFile(t, path, dst)
		}},
		{name: "markd backup while open", make: func(t *testing.T, path, dst string) {
			child := startWALChild(t, "hold", path)
			child.until(t, "held")
			db, err := OpenExistingWith(ctx, path, Options{Log: quiet})
			must(t, err)
			must(t, db.Backup(ctx, dst))
			must(t, db.Close())
			child.stop(t)
		}},
		{name: "crash, the store file with its -wal", make: func(t *testing.T, path, dst string) {
			killedMidWrites(t, path, 5)
			copyFile(t, path, dst)
			copyFile(t, path+"-wal", dst+"-wal")
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := newWALStore(t)
			dst := filepath.Join(t.TempDir(), "markd.db")
			c.make(t, path, dst)
			if !c.copied {
				if err := CheckFile(dst); err != nil {
					t.Fatalf("CheckFile: %v", err)
				}
				db, err := OpenExistingWith(ctx, dst, Options{Log: quiet})
				if err != nil {
					t.Fatalf("OpenExisting: %v", err)
				}
				must(t, db.Close())
				return
			}
			for range 2 { // read only: the refusal leaves the copy as it was
				wantStoreCopied(t, "CheckFile", CheckFile(dst), dst)
				_, err := OpenExistingWith(ctx, dst, Options{Log: quiet, PresizeWAL: true, Exclusive: true})
				wantStoreCopied(t, "OpenExisting", err, dst)
				_, err = FindImports(ctx, dst, 0, func(int) (string, error) { return "", nil })
				wantStoreCopied(t, "FindImports", err, dst)
				for _, sfx := range []string{"-wal", "-shm", WALStateSuffix} {
					if exists(dst + sfx) {
						t.Fatalf("%s made by the refusal", dst+sfx)
					}
				}
			}
		})
	}
}

// wantStoreCopied checks that err is the refusal of a store file whose
// own record says open while nothing of its WAL is beside it.
func wantStoreCopied(t *testing.T, what string, err error, path string) {
	t.Helper()
	if !errors.Is(err, ErrStoreCopied) || !errors.Is(err, ErrWALLost) || !errors.Is(err, ErrNotAStore) {
		t.Fatalf("%s = %v, want ErrStoreCopied", what, err)
	}
	for _, s := range []string{path, path + "-wal", path + WALStateSuffix} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%s: %v: does not name %q", what, err, s)
		}
	}
	if h := mark.Hint(err); !strings.Contains(h, "markd backup") || !strings.Contains(h, "markd restore") {
		t.Errorf("%s: hint %q", what, h)
	}
}

// TestRestoreCopiedOpen: markd restore of a store file copied while
// markd had it open (the operator's only copy, say) puts it in place and
// says so (Restored.CopiedOpen): it is marked a backup copy, compared
// with the collector before it accepts, and its record says closed, so
// the restored store opens. A backup made by markd backup is not
// reported as one.
func TestRestoreCopiedOpen(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	path := newWALStore(t)
	copied := filepath.Join(t.TempDir(), "copied.db")
	backup := filepath.Join(t.TempDir(), "backup.db")
	child := startWALChild(t, "hold", path)
	child.until(t, "held")
	copyFile(t, path, copied)
	db, err := OpenExistingWith(ctx, path, Options{Log: quiet})
	must(t, err)
	must(t, db.Backup(ctx, backup))
	must(t, db.Close())
	child.stop(t)
	for _, c := range []struct {
		file       string
		copiedOpen bool
	}{{copied, true}, {backup, false}} {
		r, err := Restore(ctx, path, c.file, now)
		if err != nil {
			t.Fatalf("Restore %s: %v", c.file, err)
		}
		now = now.Add(time.Second)
		if r.CopiedOpen != c.copiedOpen {
			t.Errorf("Restore %s: CopiedOpen %v, want %v", c.file, r.CopiedOpen, c.copiedOpen)
		}
		got, err := OpenExistingWith(ctx, path, Options{Log: quiet})
		if err != nil {
			t.Fatalf("the restored store: %v", err)
		}
		if b, err := got.BackupCopy(ctx); err != nil || !b {
			t.Errorf("restored store marked a backup copy: %v %v", b, err)
		}
		must(t, got.Close())
	}
}

// TestWALStateFoldedByAnotherProgram: markd killed mid-writes, then
// another program (the sqlite3 shell) opens and closes the store, folding
// the -wal in and removing it and the -shm: nothing is lost, yet the
// state file says open and the store is refused (ErrWALLost, as
// documented). The way out the hint gives, the word closed written into
// the state file, opens it with every scan; removing the state file
// instead leaves the store's own record, which says open, and the store
// is refused as a copy (ErrStoreCopied), so the hint no longer says that.
func TestWALStateFoldedByAnotherProgram(t *testing.T) {
	ctx := context.Background()
	path := newWALStore(t)
	killedMidWrites(t, path, 10)
	other, err := sql.Open("sqlite3", "file:"+uriPath(path))
	must(t, err)
	var n int
	must(t, other.QueryRow(`SELECT count(*) FROM scans`).Scan(&n))
	must(t, other.Close())
	if exists(path+"-wal") || exists(path+"-shm") {
		t.Fatal("the other program's close left the -wal or -shm")
	}
	err = CheckFile(path)
	if !errors.Is(err, ErrWALLost) || errors.Is(err, ErrStoreCopied) {
		t.Fatalf("CheckFile = %v, want ErrWALLost of the state file", err)
	}
	if h := mark.Hint(err); !strings.Contains(h, "echo closed > "+path+WALStateSuffix) {
		t.Errorf("hint %q does not give the way out", h)
	}
	must(t, os.Rename(path+WALStateSuffix, path+".aside"))
	if err := CheckFile(path); !errors.Is(err, ErrStoreCopied) {
		t.Fatalf("CheckFile with the state file removed = %v, want ErrStoreCopied", err)
	}
	must(t, os.WriteFile(path+WALStateSuffix, []byte("closed\n"), 0o600))
	db, err := OpenExistingWith(ctx, path, Options{Log: quiet})
	if err != nil {
		t.Fatalf("OpenExisting after echo closed: %v", err)
	}
	counts, err := db.Counts(ctx)
	must(t, err)
	if counts[mark.Accept] != n || n < 10 {
		t.Errorf("%d scans accepted, want the %d the other program saw (10 or more)", counts[mark.Accept], n)
	}
	must(t, db.Close())
	if got := stateOf(t, path); got != stateClosed {
		t.Errorf("state file %q after the clean close", got)
	}
}
