package docs_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestGoVersionDocumented: the Go the README and operations.md ask a
// builder for is the one go.mod requires (a go older than go.mod's line
// refuses to build, or downloads a toolchain, which a PC without the
// internet cannot).
func TestGoVersionDocumented(t *testing.T) {
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	want := "Go ≥ " + string(m[1])
	for _, f := range []string{"../README.md", "operations.md"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), want) {
			t.Errorf("%s does not say %q (go.mod: go %s)", f, want, m[1])
		}
	}
}
