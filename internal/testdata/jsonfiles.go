package testdata

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// JSONFiles reads every NAME.json of dir into a T each and returns the
// names (without ".json", in file-name order) beside the values. Fewer
// than least files is a failure naming dir and the script that makes
// them (the release stores' and databases' descriptions).
func JSONFiles[T any](t testing.TB, dir string, least int) (names []string, vals []T) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) < max(least, 1) {
		t.Fatalf("%d files in %s, want at least %d (scripts/release-stores.sh makes them): %v", len(files), dir, max(least, 1), err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v T
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".json"))
		vals = append(vals, v)
	}
	return names, vals
}
