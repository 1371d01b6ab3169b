package browsertest

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
)

// PageLit is one literal of a package's page type found in its test
// files: the page a browser test opens and checks.
type PageLit struct {
	Pos  string // file:line
	Name string
	Path string // the path opened; an operand that is not a string literal reads "x"
	Via  string // the route whose answer is the state checked, when not a GET of Path
}

// PageLits reads the _test.go files of dir and returns every composite
// literal of the struct type typeName (written out, or an element of a
// []typeName literal) with its name, path and via fields. The guard tests
// of web and hub/hubweb compare them with the routes of their router, so
// a route no browser test opens fails there.
func PageLits(dir, typeName string) ([]PageLit, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		return nil, fmt.Errorf("page literals: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("page literals: no test files in %s", dir)
	}
	fset := token.NewFileSet()
	var out []PageLit
	isType := func(e ast.Expr) bool {
		id, ok := e.(*ast.Ident)
		return ok && id.Name == typeName
	}
	add := func(cl *ast.CompositeLit) {
		p := PageLit{Pos: fset.Position(cl.Pos()).String()}
		for _, el := range cl.Elts {
			kv, ok := el.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			key, _ := kv.Key.(*ast.Ident)
			if key == nil {
				continue
			}
			switch key.Name {
			case "name":
				p.Name = concat(kv.Value)
			case "path":
				p.Path = concat(kv.Value)
			case "via":
				p.Via = concat(kv.Value)
			}
		}
		out = append(out, p)
	}
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			return nil, fmt.Errorf("page literals: %w", err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			cl, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			if isType(cl.Type) {
				add(cl)
				return true
			}
			if at, ok := cl.Type.(*ast.ArrayType); ok && isType(at.Elt) {
				for _, el := range cl.Elts {
					if ecl, ok := el.(*ast.CompositeLit); ok && ecl.Type == nil {
						add(ecl)
					}
				}
			}
			return true
		})
	}
	return out, nil
}

// concat is the string an expression of string literals joined by +
// makes, with "x" for each operand that is not a literal (an id).
func concat(e ast.Expr) string {
	switch v := e.(type) {
	case *ast.BasicLit:
		if s, err := strconv.Unquote(v.Value); err == nil {
			return s
		}
	case *ast.BinaryExpr:
		if v.Op == token.ADD {
			return concat(v.X) + concat(v.Y)
		}
	case *ast.ParenExpr:
		return concat(v.X)
	}
	return "x"
}
