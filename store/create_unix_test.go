//go:build !windows

package store

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestCreateMode0600: the store and its WAL are readable by the owner only,
// whatever the umask.
func TestCreateMode0600(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "markd.db")
	db, err := Create(context.Background(), path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.SQL().Exec(`CREATE TABLE t(x)`); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Fatalf("%s: mode %o, want 600", p, m)
		}
	}
}

// TestBackupMode0600: a backup holds every scan: owner only.
func TestBackupMode0600(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	db, err := Create(context.Background(), filepath.Join(t.TempDir(), "markd.db"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b := filepath.Join(t.TempDir(), "backup.db")
	if err := db.Backup(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(b); err != nil || fi.Mode().Perm() != 0o600 || fi.Size() == 0 {
		t.Fatalf("backup: %v %v", fi.Mode(), err)
	}
	if err := db.Backup(context.Background(), b); err == nil {
		t.Fatal("backup over an existing file")
	}
}
