package migsum

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "append the lines of new migration files to their SHA256SUMS (never rewrites a listed line)")

// migrationDirs are the migration folders of markd's store and of
// markhub's two backends, from this package's folder.
var migrationDirs = []string{
	"../../store/migrations",
	"../../hub/sqlitestore/migrations",
	"../../hub/pgstore/migrations",
}

// TestMigrationManifest: every shipped migration of markd and markhub has
// the bytes its SHA256SUMS line says, none listed is gone, and every file
// is listed. With -update, new files' lines are appended first.
func TestMigrationManifest(t *testing.T) {
	for _, dir := range migrationDirs {
		if *update {
			added, err := Append(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range added {
				t.Logf("added %s to %s", name, filepath.Join(dir, ManifestName))
			}
		}
		if err := Check(dir); err != nil {
			t.Errorf("%v", err)
		}
	}
}

func write(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCheckCatches: an edited, removed, renumbered or unlisted migration
// fails the check, naming the file and what to do; -update's Append adds
// only new files and leaves an edited one failing.
func TestCheckCatches(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, dir string)
		want   error
		says   []string
	}{
		{"untouched", func(*testing.T, string) {}, nil, nil},
		{"edited", func(t *testing.T, dir string) { write(t, dir, "002_b.sql", "CREATE TABLE b (y);\n") },
			ErrChanged, []string{"002_b.sql", "a shipped migration was edited", "new migration with the next free number"}},
		{"removed", func(t *testing.T, dir string) { must(t, os.Remove(filepath.Join(dir, "002_b.sql"))) },
			ErrChanged, []string{"002_b.sql", "gone (removed or renumbered)"}},
		{"renumbered", func(t *testing.T, dir string) {
			must(t, os.Rename(filepath.Join(dir, "002_b.sql"), filepath.Join(dir, "003_b.sql")))
		}, ErrChanged, []string{"002_b.sql", "gone (removed or renumbered)", "003_b.sql", "-update"}},
		{"new file", func(t *testing.T, dir string) { write(t, dir, "003_c.sql", "CREATE TABLE c (z);\n") },
			ErrUnlisted, []string{"003_c.sql", "go test ./internal/migsum -run TestMigrationManifest -update"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "001_a.sql", "CREATE TABLE a (x);\n")
			write(t, dir, "002_b.sql", "CREATE TABLE b (x);\n")
			if _, err := Append(dir); err != nil {
				t.Fatal(err)
			}
			tc.change(t, dir)
			err := Check(dir)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Check: %v, want %v", err, tc.want)
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("message lacks %q: %v", s, err)
				}
			}
			if _, err := Append(dir); err != nil {
				t.Fatal(err)
			}
			err = Check(dir)
			if errors.Is(tc.want, ErrChanged) != errors.Is(err, ErrChanged) || errors.Is(err, ErrUnlisted) {
				t.Errorf("after Append: %v (an edit or removal must still fail, a new file must pass)", err)
			}
		})
	}
}

// TestManifestMalformed: a line that is not "<sum>  <name>" is refused
// naming the file and the line.
func TestManifestMalformed(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, ManifestName, "abc  001_a.sql\n")
	err := Check(dir)
	if !errors.Is(err, ErrManifest) || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("Check: %v, want ErrManifest naming line 1", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
