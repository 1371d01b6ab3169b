package store

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestDiskFree: on a real 8 MB tmpfs the room left is under 8 MB and
// shrinks by what a file takes. Needs root (mount).
func TestDiskFree(t *testing.T) {
	mnt := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", mnt).Run() })
	db := filepath.Join(mnt, "markd.db")
	before, err := DiskFree(db)
	if err != nil || before == 0 || before > 8<<20 {
		t.Fatalf("free on an empty 8 MB disk: %d (%v)", before, err)
	}
	if err := os.WriteFile(filepath.Join(mnt, "filler"), make([]byte, 3<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	after, err := DiskFree(db)
	if err != nil || after > before-3<<20 || after < before-3<<20-64<<10 {
		t.Errorf("free after 3 MB written: %d, before %d (%v)", after, before, err)
	}
}
