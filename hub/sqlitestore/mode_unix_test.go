//go:build !windows

package sqlitestore

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestNewFileMode0600: markhub's database holds every terminal's records:
// owner only, whatever the umask.
func TestNewFileMode0600(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "hub.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", p, fi, err)
		}
	}
}
