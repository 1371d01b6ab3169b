package docs_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"markd/internal/testdata"
)

// anchor is the id GitHub gives a heading: lower case, punctuation but
// '-' and '_' dropped, spaces made '-'.
func anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestDocLinksResolve: every relative link of a user document names a
// file of the repository, and its #section a heading of that file
// (`operations.md#exit-codes`), so a renamed heading or a moved document
// does not leave the reader at a dead link. A link out of the repository
// (the shared spec beside it) is not checked here.
func TestDocLinksResolve(t *testing.T) {
	fence := regexp.MustCompile("(?s)```.*?```")
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	heading := regexp.MustCompile(`(?m)^#+ (.*)$`)
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, doc := range testdata.UserDocs {
		data, err := os.ReadFile(filepath.Join(root, doc))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(fence.ReplaceAllString(string(data), ""), -1) {
			target := m[1]
			if regexp.MustCompile(`^[a-z]+:`).MatchString(target) {
				continue // http:, https:, mailto:
			}
			path, section, _ := strings.Cut(target, "#")
			file := filepath.Join(root, doc)
			if path != "" {
				file = filepath.Join(filepath.Dir(file), filepath.FromSlash(path))
			}
			if rel, err := filepath.Rel(root, file); err != nil || strings.HasPrefix(rel, "..") {
				continue
			}
			checked++
			body, err := os.ReadFile(file)
			if err != nil {
				if fi, serr := os.Stat(file); serr == nil && fi.IsDir() && section == "" {
					continue // a folder: docs/notes/
				}
				t.Errorf("%s links to %s, which is not there", doc, target)
				continue
			}
			if section == "" {
				continue
			}
			found := false
			for _, h := range heading.FindAllStringSubmatch(string(body), -1) {
				found = found || anchor(h[1]) == section
			}
			if !found {
				t.Errorf("%s links to %s: %s has no heading #%s", doc, target, filepath.Base(file), section)
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d links found in the documents: the reading of them is wrong", checked)
	}
}
