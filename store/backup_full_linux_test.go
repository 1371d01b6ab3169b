package store

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"markd/mark"
)

// TestBackupDiskFull: markd backup to a disk too small (a real tmpfs) says the
// disk is full, not that the target must not exist, and leaves nothing
// behind (a -journal left beside the target was there at the next try);
// with space freed the same target takes a backup that opens. Needs root
// (mount).
func TestBackupDiskFull(t *testing.T) {
	db, path := scOpen(t)
	listFixture(t, db, 20000) // a store of some MB: VACUUM INTO spills its cache into a journal
	var size int64
	for _, f := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(f); err == nil {
			size += fi.Size()
		}
	}
	if size < 2<<20 {
		t.Fatalf("store of %d bytes, want some MB", size)
	}
	mnt := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=100k", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", mnt).Run() })
	dst := filepath.Join(mnt, "copy.db")
	err := db.Backup(context.Background(), dst)
	if !errors.Is(err, mark.ErrUnavailable) || !strings.Contains(mark.Hint(err), "disk full") {
		t.Errorf("backup to a full disk: %v (hint %q), want ErrUnavailable with a disk-full hint", err, mark.Hint(err))
	}
	entries, _ := os.ReadDir(mnt)
	for _, e := range entries {
		t.Errorf("left behind on the full disk: %s", e.Name())
	}
	if out, err := exec.Command("mount", "-o", "remount,size=64m", mnt).CombinedOutput(); err != nil {
		t.Fatalf("grow the tmpfs: %v %s", err, out)
	}
	if err := db.Backup(context.Background(), dst); err != nil {
		t.Fatalf("backup with space freed: %v", err)
	}
	cp, err := Open(context.Background(), dst, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	var n int
	if err := cp.db.QueryRow(`SELECT count(*) FROM scans`).Scan(&n); err != nil || n != 20000 {
		t.Errorf("backup holds %d records (%v), want 20000", n, err)
	}
}
