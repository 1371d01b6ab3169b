package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/mark"
)

// TestOpenExistingRefusesWhatIsNotAStore: a missing, empty, foreign or
// damaged file is never taken for a new store.
func TestOpenExistingRefusesWhatIsNotAStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	db, err := Create(ctx, good, quiet)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	damaged := filepath.Join(dir, "damaged.db")
	raw, _ := os.ReadFile(good)
	for i := 100; i < len(raw); i++ {
		raw[i] = 0xA5
	}
	tests := []struct {
		name, path string
		data       []byte // written unless nil
		want       string // in the error; "" = opens
	}{
		{"store", good, nil, ""},
		{"missing (typo in --db)", filepath.Join(dir, "gdoo.db"), nil, "does not exist"},
		{"empty", filepath.Join(dir, "empty.db"), []byte{}, "empty (0 bytes)"},
		{"text file", filepath.Join(dir, "notes.txt"), []byte("hello\n"), "not an SQLite database"},
		{"short", filepath.Join(dir, "short.db"), []byte("SQLite"), "not an SQLite database"},
		{"damaged", damaged, raw, "damaged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.data != nil {
				if err := os.WriteFile(tt.path, tt.data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			db, err := OpenExisting(ctx, tt.path, quiet)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				db.Close()
				return
			}
			if err == nil {
				db.Close()
				t.Fatalf("opened %s", tt.path)
			}
			if !errors.Is(err, ErrNotAStore) || !strings.Contains(err.Error(), tt.path) || !strings.Contains(err.Error(), tt.want) ||
				mark.Hint(err) == "" {
				t.Fatalf("err = %v (hint %q)", err, mark.Hint(err))
			}
			if fi, err := os.Stat(tt.path); err == nil && tt.data != nil && fi.Size() != int64(len(tt.data)) {
				t.Fatalf("the file was changed: %d bytes", fi.Size())
			}
		})
	}
}

func TestCreateRefusesExisting(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "markd.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Create(ctx, path, quiet); !errors.Is(err, mark.ErrConflict) {
		t.Fatalf("err = %v", err)
	}
	if _, err := Create(ctx, filepath.Join(t.TempDir(), "no", "such", "dir.db"), quiet); err == nil {
		t.Fatal("created in a missing folder")
	}
}

// TestCreateRefusesLeftWAL: the write-ahead log of a store that was
// removed is not replayed into a new store (nor deleted with its commits):
// markd init refuses, and the log stays as it was.
func TestCreateRefusesLeftWAL(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	old := filepath.Join(dir, "old.db")
	db, err := Create(ctx, old, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().ExecContext(ctx, "CREATE TABLE left_behind(x)"); err != nil { // in the WAL until a checkpoint
		t.Fatal(err)
	}
	wal, err := os.ReadFile(old + "-wal")
	db.Close()
	if err != nil || len(wal) == 0 {
		t.Fatalf("no WAL to leave behind: %d bytes, %v", len(wal), err)
	}
	path := filepath.Join(dir, "markd.db")
	if err := os.WriteFile(path+"-wal", wal, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Create(ctx, path, quiet)
	if !errors.Is(err, mark.ErrConflict) || !strings.Contains(err.Error(), path+"-wal") || mark.Hint(err) == "" {
		t.Fatalf("err = %v (hint %q)", err, mark.Hint(err))
	}
	if got, err := os.ReadFile(path + "-wal"); err != nil || string(got) != string(wal) {
		t.Fatalf("the WAL was changed: %d bytes, %v", len(got), err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a store was made: %v", err)
	}
}

// TestExclusiveOpen: a store opened with Exclusive refuses a second
// Exclusive open (another `markd run`) with ErrInUse and a hint, leaves a
// plain open alone (import, backup beside the daemon), and is free again
// once closed.
func TestExclusiveOpen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "markd.db")
	db, err := Create(ctx, path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	first, err := OpenExistingWith(ctx, path, Options{Log: quiet, Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	second, err := OpenExistingWith(ctx, path, Options{Log: quiet, Exclusive: true})
	if err == nil {
		second.Close()
		first.Close()
		t.Fatal("a second exclusive open of the store succeeded")
	}
	if !errors.Is(err, ErrInUse) || !errors.Is(err, mark.ErrUnavailable) || !strings.Contains(mark.Hint(err), "already running") {
		t.Errorf("second exclusive open: %v (hint %q), want ErrInUse with a hint", err, mark.Hint(err))
	}
	plain, err := OpenExisting(ctx, path, quiet)
	if err != nil {
		t.Fatalf("plain open beside the exclusive one: %v", err)
	}
	plain.Close()
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := OpenExistingWith(ctx, path, Options{Log: quiet, Exclusive: true})
	if err != nil {
		t.Fatalf("exclusive open after the first closed: %v", err)
	}
	again.Close()
}

// TestDamagedPageHint: a store whose second half is damaged opens (no
// full check at open), and the first read of a damaged page fails as
// unavailable with a hint about the damage and the backup, not about disk
// space and permissions.
func TestDamagedPageHint(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t, Options{})
	var recs []*mark.Record
	for i := range 2000 {
		recs = append(recs, scRec(uint64(1+i), "A", t0.Add(time.Duration(i)*time.Second), mark.Accept))
	}
	if err := db.SaveBatch(ctx, recs, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const ps = 4096
	for pg := len(raw) / ps / 2; pg*ps <= len(raw); pg++ { // data pages, past the schema's
		for i := (pg-1)*ps + 8; i < pg*ps; i++ {
			raw[i] ^= 0x5A
		}
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	db2, err := OpenWith(ctx, path, Options{Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	_, err = db2.Counts(ctx)
	if err == nil {
		t.Fatal("counted the scans of a damaged store")
	}
	if h := mark.Hint(err); !errors.Is(err, mark.ErrUnavailable) || !strings.Contains(h, "damaged") || !strings.Contains(h, "backup") {
		t.Errorf("damaged store: %v, hint %q; want unavailable with a hint about the damage and the backup", err, h)
	}
}

// TestStoreInFolderWithURICharacters: a store in a folder whose name has
// a character of SQLite's URI syntax ('#', '?', '%', as in "Касса #2")
// is made, written and opened at that path. SQLite cut the path at '#'
// or '?': init made the store as a file "Касса " beside the folder and
// left an empty markd.db, which every command then refused.
func TestStoreInFolderWithURICharacters(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"Касса #2", "итоги?", "100%41", "a&b=c"} {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, name)
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Skipf("this file system has no folder %q: %v", name, err)
			}
			path := filepath.Join(dir, "markd.db")
			db, err := Create(ctx, path, quiet)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			db, err = OpenExisting(ctx, path, quiet)
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			rec := &mark.Record{At: time.Unix(1e9, 0), Office: 426000, Counter: "A", Source: "test", Text: "hello", Verdict: mark.NotAMark}
			if err := db.Save(ctx, rec, time.Minute); err != nil {
				t.Fatalf("save: %v", err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			for _, d := range []string{parent, dir} {
				ents, _ := os.ReadDir(d)
				for _, e := range ents {
					if e.Name() != name && e.Name() != "markd.db" && e.Name() != "markd.db"+WALStateSuffix {
						t.Errorf("a file %q in %s", e.Name(), d)
					}
				}
			}
		})
	}
}

// TestOpenExistingRefusesForeignSQLite: an SQLite file of another program
// (a stray .db, the collector's database restored by mistake) is not a
// store: it was migrated into one and the counter started on an empty
// reuse history, accepting used marks again. It is refused, untouched.
func TestOpenExistingRefusesForeignSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	other, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(`CREATE TABLE t (x)`); err != nil {
		t.Fatal(err)
	}
	other.Close()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := OpenExisting(context.Background(), path, slog.New(slog.DiscardHandler))
	if err == nil {
		db.Close()
		t.Fatal("a foreign SQLite file opened as a store")
	}
	if !errors.Is(err, ErrNotAStore) || !strings.Contains(err.Error(), path) || mark.Hint(err) == "" {
		t.Fatalf("err = %v (hint %q), want ErrNotAStore naming %s with a hint", err, mark.Hint(err), path)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
		t.Fatal("the foreign file was changed")
	}
}
