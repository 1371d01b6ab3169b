//go:build unix

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

// TestReplacedFileRefusesWrites: a backup moved over the store's file, or
// the file deleted, while the store is open. SQLite goes on writing to
// the file it opened, so the scans "accepted" after it were lost at the
// next start (found by the store audit: three ACCEPTs gone after a
// restart); once CheckFile has seen the change every write fails with
// ErrReplaced, and the file put in place is left as it was.
func TestReplacedFileRefusesWrites(t *testing.T) {
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name    string
		replace func(t *testing.T, path string)
	}{
		{"a backup moved over it", func(t *testing.T, path string) {
			backup := filepath.Join(filepath.Dir(path), "backup.db")
			b, _ := openTest(t, Options{})
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(b.path, backup); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(backup, path); err != nil {
				t.Fatal(err)
			}
		}},
		{"deleted", func(t *testing.T, path string) {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db, path := openTest(t, Options{})
			if err := db.Save(context.Background(), scRec(1, "A", at, mark.Accept), 10*time.Minute); err != nil {
				t.Fatal(err)
			}
			if err := db.CheckFile(); err != nil {
				t.Fatalf("CheckFile of the file opened: %v", err)
			}
			tt.replace(t, path)
			var before []byte
			if b, err := os.ReadFile(path); err == nil {
				before = b
			}
			err := db.CheckFile()
			if !errors.Is(err, ErrReplaced) || !errors.Is(err, mark.ErrUnavailable) || !strings.Contains(err.Error(), path) {
				t.Fatalf("CheckFile after the file changed: %v, want ErrReplaced naming %s", err, path)
			}
			if h := mark.Hint(err); !strings.Contains(h, "markd restore") {
				t.Errorf("hint %q does not say how a backup is put back", h)
			}
			rec := scRec(2, "A", at.Add(time.Minute), mark.Accept)
			if err := db.Save(context.Background(), rec, 10*time.Minute); !errors.Is(err, ErrReplaced) {
				t.Errorf("scan saved on a replaced store: %v, want ErrReplaced", err)
			}
			if rec.ID != "" {
				t.Errorf("refused scan got id %q", rec.ID)
			}
			err = db.Write(context.Background(), func(tx *sql.Tx) error {
				_, err := tx.Exec(`INSERT INTO sync_state(key, value) VALUES ('replaced-test', 'x')`)
				return err
			})
			if !errors.Is(err, ErrReplaced) {
				t.Errorf("write on a replaced store: %v, want ErrReplaced", err)
			}
			if after, _ := os.ReadFile(path); string(after) != string(before) {
				t.Error("the file put in place was changed")
			}
		})
	}
}
