package browsertest

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestPageLits: the literals of the page type are found written out and
// as elements of a slice literal, with a path joined from an id; other
// types' literals with the same fields are not.
func TestPageLits(t *testing.T) {
	dir := t.TempDir()
	src := `package x

type page struct{ name, path, via string }
type other struct{ name, path string }

var id = "b1"
var a = page{name: "one", path: "/login", via: "POST /login"}
var b = []page{{name: "two", path: "/batches/" + id + "/receipt"}, {name: "three", path: "/review?x=1"}}
var c = []other{{name: "not", path: "/nope"}}
`
	if err := os.WriteFile(filepath.Join(dir, "x_test.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := PageLits(dir, "page")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range got {
		names = append(names, p.Name+" "+p.Path+" "+p.Via)
	}
	want := []string{"one /login POST /login", "two /batches/x/receipt ", "three /review?x=1 "}
	if !slices.Equal(names, want) {
		t.Errorf("got %q, want %q", names, want)
	}
}
