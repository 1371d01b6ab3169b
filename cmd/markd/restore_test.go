package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"markd/mark"
	"markd/store"
)

// restoreClock names the store moved aside in these tests.
const restoreClock = "2026-03-14T09:26:53Z"

// rsScans counts the scans of the store at path (read only).
func rsScans(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM scans`).Scan(&n); err != nil {
		t.Fatalf("count scans of %s: %v", path, err)
	}
	return n
}

// rsBackup runs markd backup of the store of cfg to a new file in dir.
func rsBackup(t *testing.T, cfg, dir string) string {
	t.Helper()
	b := filepath.Join(dir, "backup.db")
	if code, _, errs := vtRun(t, "", "backup", "--config", cfg, b); code != 0 {
		t.Fatalf("markd backup: exit %d: %s", code, errs)
	}
	return b
}

// TestRestoreRefusedWhileRunning: markd restore while markd run holds the
// store exits 1 saying markd runs on it, and changes nothing: the daemon
// keeps recording into its store, no file is moved aside. (Before there
// was no command: the backup copied over the open store damaged it.)
func TestRestoreRefusedWhileRunning(t *testing.T) {
	bin := dmBinary(t)
	dir := t.TempDir()
	cfg := dmConfig(t, dir, "")
	db := filepath.Join(dir, "markd.db")
	marks := dmMarks(t, 2, 3_100_000)
	backup := rsBackup(t, cfg, t.TempDir())
	d := dmStart(t, bin, "--config", cfg)
	fmt.Fprintln(d.stdin, marks[0])
	if o := d.next(t); o.Verdict != mark.Accept {
		t.Fatalf("daemon: %s %v", o.Verdict, o.Reasons)
	}
	code, out, errs := vtRun(t, "", "restore", "--config", cfg, "--clock", restoreClock, backup)
	if code != 1 || !strings.Contains(errs, "already running") && !strings.Contains(errs, "markd is running") || !strings.Contains(errs, db) {
		t.Fatalf("restore while markd run runs: exit %d, stdout %q, stderr %q; want exit 1 naming the store and the running daemon", code, out, errs)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), "before-restore") || strings.Contains(e.Name(), ".restore") {
			t.Errorf("refused restore left %s in the store's folder", e.Name())
		}
	}
	fmt.Fprintln(d.stdin, marks[1])
	if o := d.next(t); o.Verdict != mark.Accept {
		t.Fatalf("daemon after the refused restore: %s %v", o.Verdict, o.Reasons)
	}
	d.stop(t)
	if n := rsScans(t, db); n != 2 {
		t.Errorf("store after the refused restore holds %d scans, want the daemon's 2", n)
	}
}

// TestRestoreRefusesBadBackup: a file that is not a whole markd store is
// refused with exit 1 naming it and what is wrong, before the store is
// touched.
func TestRestoreRefusesBadBackup(t *testing.T) {
	src := t.TempDir()
	good := filepath.Join(src, "good.db")
	initStore(t, good)
	tests := []struct {
		name string
		make func(t *testing.T, path string)
		want string
	}{
		{"foreign SQLite", func(t *testing.T, path string) {
			db, err := sql.Open("sqlite3", path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(`CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers(name) VALUES ('x')`); err != nil {
				t.Fatal(err)
			}
		}, "another program"},
		{"not SQLite", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("office,counter\n426000,A\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "not an SQLite database"},
		{"empty", func(t *testing.T, path string) {
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}, "empty"},
		{"corrupted", func(t *testing.T, path string) {
			b, err := os.ReadFile(good)
			if err != nil {
				t.Fatal(err)
			}
			// damage every page after the first two (sqlite_master on
			// page 1 stays readable): the tables' b-trees are garbage
			for i := 2 * 4096; i < len(b); i++ {
				b[i] = byte(i * 7)
			}
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}, "damaged"},
		{"-wal beside it", func(t *testing.T, path string) {
			b, err := os.ReadFile(good)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			// a store copied with cp while it ran, its log beside it
			if err := os.WriteFile(path+"-wal", make([]byte, 4096), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "write-ahead log"},
		{"newer markd", func(t *testing.T, path string) {
			b, err := os.ReadFile(good)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			db, err := sql.Open("sqlite3", path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(`INSERT INTO schema_migrations(version, name, applied_at) VALUES (9999, '9999_future.sql', '2026-03-14T00:00:00Z')`); err != nil {
				t.Fatal(err)
			}
		}, "migration 9999 applied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "markd.db")
			initStore(t, db)
			before, err := os.ReadFile(db)
			if err != nil {
				t.Fatal(err)
			}
			bad := filepath.Join(t.TempDir(), "backup.db")
			tt.make(t, bad)
			code, out, errs := vtRun(t, "", "restore", "--db", db, "--clock", restoreClock, bad)
			if code != 1 || !strings.Contains(errs, bad) || !strings.Contains(errs, tt.want) {
				t.Fatalf("restore of a %s file: exit %d, stdout %q, stderr %q; want exit 1 naming %s and %q", tt.name, code, out, errs, bad, tt.want)
			}
			after, err := os.ReadFile(db)
			if err != nil || string(after) != string(before) {
				t.Errorf("the store changed after a refused restore (err %v)", err)
			}
			// the store and its WAL state file (markd.db.walstate), no more
			entries, _ := os.ReadDir(dir)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if !slices.Equal(names, []string{"markd.db", "markd.db.walstate"}) {
				t.Errorf("refused restore left files beside the store: %v", names)
			}
		})
	}
}

// TestRestorePutsBackupInPlace: a good restore moves the store with its
// -wal and -shm aside under the clock's time, puts the backup's scans in
// place with no -wal beside them, and markd run then starts on it and
// judges a scan (a mark accepted before the backup is a reuse, one
// accepted after it only is accepted again: no collector here).
func TestRestorePutsBackupInPlace(t *testing.T) {
	bin := dmBinary(t)
	dir := t.TempDir()
	cfg := dmConfig(t, dir, "")
	db := filepath.Join(dir, "markd.db")
	marks := dmMarks(t, 3, 3_200_000)
	d := dmStart(t, bin, "--config", cfg)
	fmt.Fprintln(d.stdin, marks[0])
	if o := d.next(t); o.Verdict != mark.Accept {
		t.Fatalf("daemon: %s %v", o.Verdict, o.Reasons)
	}
	backup := rsBackup(t, cfg, t.TempDir())
	fmt.Fprintln(d.stdin, marks[1])
	if o := d.next(t); o.Verdict != mark.Accept {
		t.Fatalf("daemon: %s %v", o.Verdict, o.Reasons)
	}
	// killed: the store keeps its -wal and -shm, as after a crash
	_ = d.cmd.Process.Kill()
	_ = d.cmd.Wait()
	if _, err := os.Stat(db + "-wal"); err != nil {
		t.Fatalf("no -wal after the kill: %v", err)
	}

	code, out, errs := vtRun(t, "", "restore", "--config", cfg, "--clock", restoreClock, backup)
	if code != 0 {
		t.Fatalf("markd restore: exit %d: %s", code, errs)
	}
	aside := db + ".before-restore-20260314T092653Z"
	for _, p := range []string{aside, aside + "-wal"} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("the old store's %s is not kept aside: %v", p, err)
		}
		if !strings.Contains(out, p) {
			t.Errorf("output does not say where %s went:\n%s", p, out)
		}
	}
	if !strings.Contains(out, "start the daemon") {
		t.Errorf("output does not say what to do next:\n%s", out)
	}
	for _, p := range []string{db + "-wal", db + "-shm", db + ".restore"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s lies beside the restored store", p)
		}
	}
	if n := rsScans(t, db); n != 1 {
		t.Errorf("restored store holds %d scans, want the backup's 1", n)
	}
	// the old store, opened from aside with its -wal, still has both
	if err := store.CheckFile(aside); err != nil {
		t.Errorf("the store moved aside does not open: %v", err)
	}
	if n := rsScans(t, aside); n != 2 {
		t.Errorf("the store moved aside holds %d scans, want 2", n)
	}

	r := dmStart(t, bin, "--config", cfg)
	fmt.Fprintln(r.stdin, marks[0])
	if o := r.next(t); o.Verdict == mark.Accept || o.Verdict == mark.Error {
		t.Errorf("restored daemon, mark of the backup again: %s %v, want a reuse", o.Verdict, o.Reasons)
	}
	fmt.Fprintln(r.stdin, marks[2])
	if o := r.next(t); o.Verdict != mark.Accept {
		t.Errorf("restored daemon, a new mark: %s %v", o.Verdict, o.Reasons)
	}
	r.stop(t)
}
