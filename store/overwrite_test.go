package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/mark"
)

// overwriteInPlace writes b over the file at path the way `cp backup.db
// markd.db` or a restore tool does: the same file (inode, Windows file
// index), truncated and written, so the check by identity (CheckFile's
// os.SameFile) sees nothing.
func overwriteInPlace(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// saveScans saves serials from..to (ACCEPT, counter A), one scan a save.
func saveScans(t *testing.T, db *DB, from, to uint64) {
	t.Helper()
	for s := from; s <= to; s++ {
		if err := db.Save(context.Background(), scRec(s, "A", t0, mark.Accept), 10*time.Minute); err != nil {
			t.Fatalf("save serial %d: %v", s, err)
		}
	}
}

// openDaemon opens the store at path as markd run does (Exclusive),
// closed at the end of the test.
func openDaemon(t *testing.T, path string) *DB {
	t.Helper()
	if _, err := os.Stat(path); err != nil { // lockInstance locks an existing store
		db, err := Open(context.Background(), path, quiet)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	db, err := OpenWith(context.Background(), path, Options{Log: quiet, Exclusive: true})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestOverwrittenFileRefusesWrites: the store's file overwritten in
// place while markd runs (`cp backup.db markd.db`, a restore tool writing
// into the same file, a copy over the open file on Windows). The file is
// the same one, so the identity check saw nothing; SQLite kept its WAL
// and page cache and read a mix of old and new pages: before this check
// a scan after the overwrite was ACCEPTed (its serial new to the mix),
// the serials accepted since the backup were gone from the store, and
// the next start found it malformed. Now CheckFile sees the file's
// header go back or change hands, every write fails with ErrReplaced,
// and no checkpoint writes the old WAL into the file put in place.
func TestOverwrittenFileRefusesWrites(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		// setup returns the open store (after its scans) and the bytes
		// then written over its file
		setup func(t *testing.T, path string) (*DB, []byte)
		seen  string // in the error: what the check saw
	}{
		{"an older backup of the same store, from a run before", func(t *testing.T, path string) (*DB, []byte) {
			db := openDaemon(t, path)
			saveScans(t, db, 1, 50)
			backup := filepath.Join(t.TempDir(), "backup.db")
			if err := db.Backup(ctx, backup); err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			db = openDaemon(t, path)
			saveScans(t, db, 51, 400)
			b, err := os.ReadFile(backup)
			if err != nil {
				t.Fatal(err)
			}
			return db, b
		}, "older"},
		{"a copy of the store file taken earlier in this run", func(t *testing.T, path string) (*DB, []byte) {
			db := openDaemon(t, path)
			saveScans(t, db, 1, 50)
			db.checkpointAll()
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			saveScans(t, db, 51, 400)
			return db, b
		}, "older"},
		{"another counter's store, larger", func(t *testing.T, path string) (*DB, []byte) {
			other := filepath.Join(t.TempDir(), "markd.db")
			o := openDaemon(t, other)
			saveScans(t, o, 1000, 1600)
			if err := o.Close(); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(other)
			if err != nil {
				t.Fatal(err)
			}
			db := openDaemon(t, path)
			saveScans(t, db, 1, 100)
			return db, b
		}, "another"},
		{"emptied", func(t *testing.T, path string) (*DB, []byte) {
			db := openDaemon(t, path)
			saveScans(t, db, 1, 100)
			return db, nil
		}, "not an SQLite"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "markd.db")
			db, b := tt.setup(t, path)
			db.checkpointAll()
			saveScans(t, db, 401, 410) // in the WAL only
			if err := db.CheckFile(); err != nil {
				t.Fatalf("CheckFile before the overwrite: %v", err)
			}
			overwriteInPlace(t, path, b)
			err := db.CheckFile()
			if !errors.Is(err, ErrReplaced) || !errors.Is(err, mark.ErrUnavailable) || !strings.Contains(err.Error(), path) ||
				!strings.Contains(err.Error(), tt.seen) {
				t.Fatalf("CheckFile after the file was overwritten: %v, want ErrReplaced naming %s and %q", err, path, tt.seen)
			}
			t.Logf("CheckFile: %v", err)
			if h := mark.Hint(err); !strings.Contains(h, "markd restore") {
				t.Errorf("hint %q does not say how a backup is put back", h)
			}
			rec := scRec(5000, "B", t0.Add(time.Minute), mark.Accept)
			if err := db.Save(ctx, rec, 10*time.Minute); !errors.Is(err, ErrReplaced) {
				t.Errorf("a new serial saved on an overwritten store: %v (verdict %s), want ErrReplaced", err, rec.Verdict)
			}
			if rec.ID != "" {
				t.Errorf("refused scan got id %q", rec.ID)
			}
			if err := db.Ping(ctx); !errors.Is(err, ErrReplaced) {
				t.Errorf("Ping (/healthz) of an overwritten store: %v, want ErrReplaced", err)
			}
			db.writer.checkpointHeld(db)
			db.writer.checkpointBeside(db)
			if after, _ := os.ReadFile(path); !bytes.Equal(after, b) {
				t.Error("a checkpoint wrote the old WAL into the file put in place")
			}
			if err := db.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, b) {
				t.Error("the close wrote the old WAL into the file put in place")
			}
			for _, s := range []string{"-wal", "-shm"} {
				if _, err := os.Stat(path + s); err == nil {
					t.Errorf("%s%s left beside the file put in place", path, s)
				}
				if m, _ := filepath.Glob(path + ".overwritten-*" + s); len(m) != 1 {
					t.Errorf("the old store's %s not set aside: %v", s, m)
				}
			}
			if stateLocks && len(b) > 0 {
				err := CheckFile(path)
				if !errors.Is(err, ErrWALLost) || !strings.Contains(err.Error(), "overwritten in place") || !strings.Contains(err.Error(), ".overwritten-") {
					t.Errorf("CheckFile at the next start: %v, want ErrWALLost saying it was overwritten and where its log is", err)
				}
				if h := mark.Hint(err); !strings.Contains(h, "markd restore") || !strings.Contains(h, "Do not put") {
					t.Errorf("hint at the next start: %q", h)
				}
			}
		})
	}
}

// TestOwnWritesNeverTripOverwrite: markd's own checkpoints (in a pause,
// beside a bulk save, held), another opener's writes beside it, and a
// backup, with 2,750 scans, while CheckFile looks
// again and again: the watch follows the file forward and never trips,
// and it did compare (the run's mark seen in the file, the size grown).
func TestOwnWritesNeverTripOverwrite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "markd.db")
	openDaemon(t, path).Close()
	db, err := OpenWith(ctx, path, Options{Log: quiet, Exclusive: true, CheckpointIdle: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w := &db.file.content
	if !w.marked {
		t.Fatal("the run's mark is not in the file after the open")
	}
	openPages := w.pages
	stop := make(chan struct{})
	checked := make(chan int)
	go func() {
		n := 0
		defer func() { checked <- n }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := db.CheckFile(); err != nil {
				t.Errorf("CheckFile during the store's own writes: %v", err)
				return
			}
			n++
			time.Sleep(time.Millisecond)
		}
	}()
	other, err := Open(ctx, path, quiet) // another markd process's open (markd import, markd user)
	if err != nil {
		t.Fatal(err)
	}
	serial := uint64(1)
	for round := range 15 {
		saveScans(t, db, serial, serial+149)
		serial += 150
		if err := other.Write(ctx, func(tx *sql.Tx) error {
			_, err := tx.Exec(`INSERT INTO sync_state(key, value) VALUES (?, 'x')`, fmt.Sprintf("beside-%d", round))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if round == 7 {
			bulk := make([]*mark.Record, 500)
			for i := range bulk {
				bulk[i] = scRec(serial+uint64(i), "A", t0, mark.Accept)
			}
			serial += 500
			if err := db.SaveBatch(ctx, bulk, 10*time.Minute); err != nil {
				t.Fatal(err)
			}
			if err := db.Backup(ctx, filepath.Join(t.TempDir(), "backup.db")); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(20 * time.Millisecond) // a pause: the idle checkpoint
	}
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	db.writer.checkpointHeld(db)
	close(stop)
	n := <-checked
	if err := db.CheckFile(); err != nil {
		t.Fatalf("CheckFile after the writes: %v", err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.pages <= openPages {
		t.Errorf("the watch saw %d pages, %d at open: it did not follow the checkpoints", w.pages, openPages)
	}
	t.Logf("%d scans, %d checks; pages %d -> %d", serial-1, n, openPages, w.pages)
}

// TestNoMigrationSetsUserVersion: the header's user version is markd
// run's mark (overwrite.go); a migration that set it would make a
// running markd take its own store for another one.
func TestNoMigrationSetsUserVersion(t *testing.T) {
	entries, err := migrations.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := migrations.ReadFile("migrations/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(strings.ToLower(string(b)), "user_version") {
			t.Errorf("migration %s writes the user version, which is markd run's mark", e.Name())
		}
	}
}
