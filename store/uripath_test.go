package store

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"markd/mark"
)

// TestStorePathCharacters: a store in a folder whose name SQLite's URI
// syntax reads otherwise ('#', '?', '%', a space, a Windows-style name, a
// path beginning with "//") is opened, written, found again by
// FindImports, and nothing is made beside it. FindImports opened
// "file:"+path: a folder "a #2" cut the path at '#' (the mode=rw with it),
// so an empty database "a " was made beside the folder and the import's
// progress was never found (a rerun imported the file again, its marks
// DUPLICATE_SCAN or REUSED); '?' and '%' failed every import with
// "unable to open database file". A path "//tmp/…" failed every open
// with "invalid uri authority".
func TestStorePathCharacters(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"Касса #2", "a?b", "a%41b", "a%3fb", "with space", `C:\Users\Касса\markd`, "#?%"} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, name)
			checkPathCharacters(ctx, t, root, filepath.Join(dir, "markd.db"))
		})
	}
	t.Run("leading //", func(t *testing.T) {
		root := t.TempDir()
		checkPathCharacters(ctx, t, root, "/"+filepath.Join(root, "markd.db"))
	})
}

func checkPathCharacters(ctx context.Context, t *testing.T, root, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	db, err := Create(ctx, path, quiet)
	if err != nil {
		t.Fatalf("create %s: %v", path, err)
	}
	db.Close()
	db, err = OpenWith(ctx, path, Options{Log: quiet, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	m := &ImportMark{ID: "imp-1", Name: "scans.txt", Lines: 1, Bytes: 100, Prefix: "p1", HeadLen: HeadSize, Head: "h"}
	if err := db.SaveImportBatch(ctx, []*mark.Record{scRec(7001, "A", t0, mark.Accept)}, nil, 10*time.Minute, m); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := FindImports(ctx, path, 1<<20, func(int) (string, error) { return "h", nil })
	if err != nil || len(got) != 1 || got[0].ID != "imp-1" {
		t.Errorf("FindImports %s: %+v %v, want imp-1", path, got, err)
	}
	db, err = OpenWith(ctx, path, Options{Log: quiet})
	if err != nil {
		t.Fatalf("open again %s: %v", path, err)
	}
	var n int
	if err := db.SQL().QueryRow(`SELECT count(*) FROM scans`).Scan(&n); err != nil || n != 1 {
		t.Errorf("scans at %s: %d %v, want 1", path, n, err)
	}
	db.Close()
	after, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	names := func(es []os.DirEntry) []string {
		var s []string
		for _, e := range es {
			s = append(s, e.Name())
		}
		return s
	}
	var made []string
	for _, n := range names(after) {
		if !slices.Contains(names(before), n) && !strings.HasPrefix(n, "markd.db") {
			made = append(made, n)
		}
	}
	if len(made) != 0 {
		t.Errorf("files made beside the store: %q", made)
	}
}
