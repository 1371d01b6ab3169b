package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRestoreSameFile: a backup that is the store's own file under
// another name (a symbolic or hard link) is refused as the store itself,
// and nothing is moved. Before, only the paths were compared: the store
// was moved aside with its -wal and its main file copied back in place
// without the -wal's commits (the ACCEPTs since the last checkpoint,
// whose serials would then be accepted again).
func TestRestoreSameFile(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []string{"symlink", "hard link"} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "markd.db")
			db, err := Open(ctx, path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			link := filepath.Join(t.TempDir(), "backup.db")
			link2 := os.Link
			if kind == "symlink" {
				link2 = os.Symlink
			}
			if err := link2(path, link); err != nil {
				t.Skipf("%s: %v", kind, err)
			}
			_, err = Restore(ctx, path, link, time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC))
			if !errors.Is(err, ErrBadBackup) || !strings.Contains(err.Error(), "the backup is the store itself") {
				t.Fatalf("Restore through a %s to the store: %v, want ErrBadBackup (the store itself)", kind, err)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if strings.Contains(e.Name(), "before-restore") {
					t.Errorf("%s moved aside", e.Name())
				}
			}
		})
	}
}
