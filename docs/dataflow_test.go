package docs_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// declarations maps each package of the module (its folder, "store",
// "hub/hubweb") to the names its files declare at top level, on any OS:
// types, functions, and methods as "Type.Method".
func declarations(t *testing.T) map[string]map[string]bool {
	t.Helper()
	decls := map[string]map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != ".." && (strings.HasPrefix(n, ".") || n == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(filepath.Dir(strings.TrimPrefix(path, "../")))
		if decls[pkg] == nil {
			decls[pkg] = map[string]bool{}
		}
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				name := d.Name.Name
				if d.Recv != nil && len(d.Recv.List) == 1 {
					name = receiver(d.Recv.List[0].Type) + "." + name
				}
				decls[pkg][name] = true
			case *ast.GenDecl:
				for _, s := range d.Specs {
					if ts, ok := s.(*ast.TypeSpec); ok {
						decls[pkg][ts.Name.Name] = true
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return decls
}

// receiver is the type name of a method's receiver (*DB, DB[T] → DB).
func receiver(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.StarExpr:
		return receiver(x.X)
	case *ast.IndexExpr:
		return receiver(x.X)
	case *ast.IndexListExpr:
		return receiver(x.X)
	case *ast.Ident:
		return x.Name
	}
	return ""
}

// TestDataFlowNamesExist keeps the data-flow picture of ARCHITECTURE.md
// true to the code: every package.Name it draws (scanner.Serial,
// store.DB.SaveChecked) is declared in that package, every folder it names
// (hub/pgstore, bundle/) is a package of the module, and every CamelCase
// name it gives alone (ProcessBatch, SaveImportBatch) is declared
// somewhere in the module. A type or function renamed or removed fails
// here rather than leaving the picture of a program that is gone.
func TestDataFlowNamesExist(t *testing.T) {
	data, err := os.ReadFile("ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "## Data flow\n")
	if !ok {
		t.Fatal("ARCHITECTURE.md has no ## Data flow section")
	}
	_, rest, ok = strings.Cut(rest, "```\n")
	picture, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("the ## Data flow section of ARCHITECTURE.md has no ``` picture")
	}
	// "store.\n   SaveImportBatch": a name the picture breaks after its dot
	picture = regexp.MustCompile(`\.\s*\n[\s│]*`).ReplaceAllString(picture, ".")
	decls := declarations(t)
	checked := 0

	qualified := regexp.MustCompile(`\b([a-z][a-z0-9]*(?:/[a-z][a-z0-9]*)?)\.([A-Z][A-Za-z0-9]*)(?:\.([A-Z][A-Za-z0-9]*))?`)
	for _, m := range qualified.FindAllStringSubmatch(picture, -1) {
		pkg, name := m[1], m[2]
		if m[3] != "" {
			name += "." + m[3]
		}
		checked++
		switch {
		case decls[pkg] == nil:
			t.Errorf("ARCHITECTURE.md's data flow draws %s.%s, but %s is no package of the module", pkg, name, pkg)
		case !decls[pkg][name]:
			t.Errorf("ARCHITECTURE.md's data flow draws %s.%s, which package %s does not declare", pkg, name, pkg)
		}
	}

	folder := regexp.MustCompile(`(?:^|[\s(])([a-z][a-z0-9]*/(?:[a-z][a-z0-9]*)?)`)
	for _, m := range folder.FindAllStringSubmatch(picture, -1) {
		pkg := strings.TrimSuffix(m[1], "/")
		first, _, _ := strings.Cut(pkg, "/")
		if decls[first] == nil && !strings.HasSuffix(m[1], "/") {
			continue // words with a slash ("good/bad beep"), not a folder
		}
		checked++
		if decls[pkg] == nil {
			t.Errorf("ARCHITECTURE.md's data flow names the folder %s, which is no package of the module", m[1])
		}
	}

	bare := regexp.MustCompile(`(?:^|[^.A-Za-z0-9_])([A-Z][a-z0-9]+[A-Z][A-Za-z0-9]*)\b`)
	for _, m := range bare.FindAllStringSubmatch(picture, -1) {
		found := false
		for _, names := range decls {
			for n := range names {
				if n == m[1] || strings.HasSuffix(n, "."+m[1]) {
					found = true
				}
			}
		}
		checked++
		if !found {
			t.Errorf("ARCHITECTURE.md's data flow names %s, which the module declares nowhere", m[1])
		}
	}
	if checked < 20 {
		t.Fatalf("only %d names found in the data-flow picture: the reading of it is wrong", checked)
	}
}
