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
// libraries), and package → that column as written.
func table(t *testing.T) (map[string][]string, map[string]string) {
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
	cols := map[string]string{}
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
			cols[m[1]] = cells[3]
		}
	}
	return rows, cols
}

// libName is how the table names an outside module: the last element of
// its path without a major version (cobra, pgx, yaml), x/NAME for the
// Go project's golang.org/x modules, or the name of the part the module
// is known by.
func libName(module string) string {
	switch module {
	case "github.com/prometheus/client_golang":
		return "prometheus"
	case "golang.org/x/crypto":
		return "bcrypt" // the only part of it in use
	case "github.com/chromedp/cdproto":
		return "chromedp" // its protocol types
	}
	if x, ok := strings.CutPrefix(module, "golang.org/x/"); ok {
		return "x/" + x
	}
	parts := strings.Split(module, "/")
	name := parts[len(parts)-1]
	if len(parts) > 1 && regexp.MustCompile(`^v[0-9]+$`).MatchString(name) {
		name = parts[len(parts)-2]
	}
	return regexp.MustCompile(`\.v[0-9]+$`).ReplaceAllString(name, "")
}

// modules maps every package the module's packages use to its module
// path ("" for the standard library and the module's own).
func modules(t *testing.T) map[string]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{with .Module}}{{.Path}}{{end}}", "../...").Output()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, mod, _ := strings.Cut(line, " ")
		if mod != "markd" {
			m[pkg] = mod
		}
	}
	return m
}

// TestPackageTable compares the table with go list, for Linux and for
// Windows together (a package's Windows files may import more).
func TestPackageTable(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	imports := map[string][]string{} // package → every import of its files, on either OS
	for _, goos := range []string{"linux", "windows"} {
		cmd := exec.Command("go", "list", "-json", "../...")
		cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH=amd64")
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
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
				continue // test-only folders, benchmark programs, nothing for this OS
			}
			for _, imp := range p.Imports {
				if !slices.Contains(imports[name], imp) {
					imports[name] = append(imports[name], imp)
				}
			}
			if _, ok := imports[name]; !ok {
				imports[name] = []string{}
			}
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("go list (GOOS=%s): %v", goos, err)
		}
	}
	rows, cols := table(t)
	mods := modules(t)
	for name, imps := range imports {
		var want, libs []string
		for _, imp := range imps {
			if dep, ok := strings.CutPrefix(imp, "markd/"); ok {
				want = append(want, dep)
			} else if mod := mods[imp]; mod != "" && !slices.Contains(libs, libName(mod)) {
				libs = append(libs, libName(mod))
			}
		}
		got, ok := rows[name]
		if !ok {
			t.Errorf("package %s is not in the table of docs/ARCHITECTURE.md (it imports %v)", name, want)
			continue
		}
		delete(rows, name)
		for _, lib := range libs {
			if !regexp.MustCompile(`(^|[^a-z0-9_.-])` + regexp.QuoteMeta(lib) + `([^a-z0-9_-]|$)`).MatchString(cols[name]) {
				t.Errorf("%s imports the outside library %s, which its row of docs/ARCHITECTURE.md does not name", name, lib)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: the table says it depends on %v, go list says %v", name, got, want)
		}
	}
	delete(rows, "internal/testdata") // go list leaves out folders named testdata
	for name := range rows {
		t.Errorf("the table names %s, which is not a package of the module", name)
	}
}
