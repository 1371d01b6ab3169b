package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestRestoreFiles: Restore moves aside whatever of the store is in
// place (a -wal and -shm left without their store too), puts the backup
// in place alone, and marks a copy not made by markd backup as one; a
// backup named as restore's own copy is refused, not deleted.
func TestRestoreFiles(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	const stamp = ".before-restore-20260314T092653Z"
	tests := []struct {
		name       string
		store      []string // suffixes of path present before the restore
		backupName string   // relative to the store's folder; "" another folder
		wantErr    error
	}{
		{"store alone", []string{""}, "", nil},
		{"store with -wal and -shm", []string{"", "-wal", "-shm"}, "", nil},
		{"-wal and -shm without store", []string{"-wal", "-shm"}, "", nil},
		{"no store", nil, "", nil},
		{"backup beside the store", []string{""}, "copy.db", nil},
		{"backup named as restore's copy", []string{""}, "markd.db.restore", ErrBadBackup},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "markd.db")
			src := filepath.Join(t.TempDir(), "src.db")
			db, err := Open(ctx, src, nil) // no backup_copy mark: as sqlite3 .backup
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			backup := src
			if tt.backupName != "" {
				backup = filepath.Join(dir, tt.backupName)
				if err := os.Rename(src, backup); err != nil {
					t.Fatal(err)
				}
			}
			for _, sfx := range tt.store {
				if err := os.WriteFile(path+sfx, []byte("old"+sfx), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			r, err := Restore(ctx, path, backup, now)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Restore: %v, want %v", err, tt.wantErr)
				}
				if _, err := os.Stat(backup); err != nil {
					t.Errorf("refused backup is gone: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Restore: %v", err)
			}
			if len(r.Aside) != len(tt.store) {
				t.Errorf("aside %v, want %d files", r.Aside, len(tt.store))
			}
			for _, sfx := range tt.store {
				b, err := os.ReadFile(path + stamp + sfx)
				if err != nil || string(b) != "old"+sfx {
					t.Errorf("%s kept aside: %q %v", path+stamp+sfx, b, err)
				}
			}
			for _, p := range []string{path + "-wal", path + "-shm", path + ".restore", path + ".restore-wal"} {
				if _, err := os.Stat(p); err == nil {
					t.Errorf("%s lies beside the restored store", p)
				}
			}
			if r.WasMarked {
				t.Errorf("WasMarked for a copy that markd backup did not make")
			}
			got, err := OpenExisting(ctx, path, nil)
			if err != nil {
				t.Fatalf("restored store: %v", err)
			}
			defer got.Close()
			if copied, err := got.BackupCopy(ctx); err != nil || !copied {
				t.Errorf("restored store marked a backup copy: %v %v, want true", copied, err)
			}
		})
	}
}
