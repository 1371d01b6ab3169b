// Package docs_test keeps docs/ARCHITECTURE.md true: its package table
// must name every package of the module and, for each, exactly the
// module packages it imports (go list), so the table cannot go stale.
package docs_test

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// table reads the package table: package → the module packages of its
// "depends on" column (names in backticks; other words name outside
// libraries).
func table(t *testing.T) map[string][]string {
	t.Helper()
	data, err := os.ReadFile("ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "## Packages\n")
	if !ok {
		t.Fatal("ARCHITECTURE.md has no ## Packages section")
	}
	tick := regexp.MustCompile("`([a-z0-9/]+)`")
	rows := map[string][]string{}
	for _, line := range strings.Split(rest, "\n") {
		if strings.HasPrefix(line, "## ") {
			break
		}
		cells := strings.Split(line, "|")
		if len(cells) != 5 || !strings.Contains(cells[1], "`") {
			continue
		}
		var deps []string
		for _, m := range tick.FindAllStringSubmatch(cells[3], -1) {
			deps = append(deps, m[1])
		}
		for _, m := range tick.FindAllStringSubmatch(cells[1], -1) {
			rows[m[1]] = deps
		}
	}
	return rows
}

// TestPackageTable compares the table with go list.
func TestPackageTable(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	cmd := exec.Command("go", "list", "-json", "../...")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	rows := table(t)
	dec := json.NewDecoder(out)
	for {
		var p struct {
			ImportPath string
			Imports    []string
			GoFiles    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(p.ImportPath, "markd/")
		if len(p.GoFiles) == 0 || strings.HasPrefix(name, "bench/") || strings.HasPrefix(name, "e2e") {
			continue // test-only folders and benchmark programs
		}
		var want []string
		for _, imp := range p.Imports {
			if dep, ok := strings.CutPrefix(imp, "markd/"); ok {
				want = append(want, dep)
			}
		}
		got, ok := rows[name]
		if !ok {
			t.Errorf("package %s is not in the table of docs/ARCHITECTURE.md (it imports %v)", name, want)
			continue
		}
		delete(rows, name)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: the table says it depends on %v, go list says %v", name, got, want)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	delete(rows, "internal/testdata") // go list leaves out folders named testdata
	for name := range rows {
		t.Errorf("the table names %s, which is not a package of the module", name)
	}
}
