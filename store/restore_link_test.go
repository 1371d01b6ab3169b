//go:build linux

package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRestoreThroughSymlink: db names a symbolic link to the store on
// another disk. SQLite keeps the -wal, -shm and the WAL state file beside
// the link's target, so Restore follows the link: the target's file and
// its -wal, -shm and .walstate go aside beside the target, the backup
// takes the target's place, and the link stays a link. The old code moved
// the link aside and put a regular file in its place: the target kept
// the old store with its -wal (nothing lost, but the restore did not
// reach the store the link names, and the backup lay on the link's disk).
// A link whose target is gone (a disk not mounted) is refused, nothing
// changed.
func TestRestoreThroughSymlink(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	const stamp = ".before-restore-20260314T092653Z"
	for _, c := range []struct {
		name     string
		dangling bool
	}{
		{name: "killed mid-writes"},
		{name: "target gone", dangling: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			real := newWALStore(t)
			linkDir := t.TempDir()
			link := filepath.Join(linkDir, "markd.db")
			must(t, os.Symlink(real, link))
			backup := filepath.Join(t.TempDir(), "backup.db")
			db, err := OpenExisting(ctx, link, quiet)
			must(t, err)
			must(t, db.Backup(ctx, backup))
			must(t, db.Close())
			killedMidWrites(t, link, 5)
			if c.dangling {
				for _, sfx := range []string{"", "-wal", "-shm", WALStateSuffix} {
					must(t, os.Remove(real+sfx))
				}
			}
			_, err = Restore(ctx, link, backup, now)
			if c.dangling {
				if err == nil || !strings.Contains(err.Error(), real) {
					t.Fatalf("Restore through a dangling link = %v, want a refusal naming %s", err, real)
				}
				if ents, _ := os.ReadDir(linkDir); len(ents) != 1 {
					t.Errorf("the link's folder holds %d entries, want the link alone", len(ents))
				}
				return
			}
			if err != nil {
				t.Fatalf("Restore: %v", err)
			}
			if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
				t.Fatalf("the link was replaced: %v %v", fi, err)
			}
			if to, _ := os.Readlink(link); to != real {
				t.Errorf("the link points to %s, want %s", to, real)
			}
			if ents, _ := os.ReadDir(linkDir); len(ents) != 1 {
				t.Errorf("the link's folder holds %d entries, want the link alone", len(ents))
			}
			for _, sfx := range []string{"", "-wal", "-shm", WALStateSuffix} {
				if !exists(real + stamp + sfx) {
					t.Errorf("%s not set aside beside the target", real+stamp+sfx)
				}
			}
			for _, sfx := range []string{"-wal", "-shm", WALStateSuffix, ".restore"} {
				if exists(real + sfx) {
					t.Errorf("%s left beside the restored store", real+sfx)
				}
			}
			if got := inStoreFile(t, real); got != 0 {
				t.Errorf("the target holds %d scans, want the backup's 0", got)
			}
			got, err := OpenExisting(ctx, link, quiet)
			if err != nil {
				t.Fatalf("the restored store: %v", err)
			}
			defer got.Close()
			if copied, err := got.BackupCopy(ctx); err != nil || !copied {
				t.Errorf("restored store marked a backup copy: %v %v", copied, err)
			}
		})
	}
}
