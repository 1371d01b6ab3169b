package hubtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"
)

// TestEverySuiteListed: every exported RunXSuite(t, open Opener) of this
// package is in Suites once, under the name X, so both backends run it.
func TestEverySuiteListed(t *testing.T) {
	pkgs, err := parser.ParseDir(token.NewFileSet(), ".", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	for _, f := range pkgs["hubtest"].Files {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Run") && strings.HasSuffix(fn.Name.Name, "Suite") &&
				fn.Name.Name != "RunSuites" {
				declared = append(declared, fn.Name.Name)
			}
		}
	}
	var listed []string
	for _, s := range Suites {
		full := runtime.FuncForPC(reflect.ValueOf(s.Run).Pointer()).Name()
		name := full[strings.LastIndex(full, ".")+1:]
		if name != "Run"+s.Name+"Suite" {
			t.Errorf("Suites: %q runs %s", s.Name, name)
		}
		listed = append(listed, name)
	}
	sort.Strings(declared)
	sort.Strings(listed)
	if !reflect.DeepEqual(declared, listed) {
		t.Errorf("suites declared %v\nlisted in Suites %v", declared, listed)
	}
}
