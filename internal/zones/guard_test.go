package zones_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestNoOtherLoadLocation keeps every zone of markd's code (not its
// tests) coming from package zones: time.LoadLocation prefers the
// machine's zone files over any embedded data, and time/tzdata is a
// second data set of another release beside zones'. A match in a comment
// counts too: say "LoadLocation" without the package there.
func TestNoOtherLoadLocation(t *testing.T) {
	root := filepath.Join("..", "..")
	bad := regexp.MustCompile(`time\.LoadLocation\(|"time/tzdata"`)
	var found []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			switch {
			case rel == ".":
				return nil
			case rel == filepath.Join("internal", "zones"), strings.HasPrefix(d.Name(), "."), d.Name() == "testdata", d.Name() == "vendor":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if bad.MatchString(line) {
				found = append(found, filepath.ToSlash(rel)+":"+strconv.Itoa(i+1)+": "+strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) > 0 {
		t.Fatalf("zones loaded past internal/zones (use zones.Named(...).Load or zones.Default().Load):\n%s", strings.Join(found, "\n"))
	}
}
