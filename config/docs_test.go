package config

import (
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/viper"

	"markd/internal/testdata"
)

// leafKeys lists every leaf key of the schema, dotted; the fields of a
// list of sections as "sources[].port".
func leafKeys(prefix string, s *schema) []string {
	var out []string
	switch {
	case s.elems != nil:
		out = append(out, leafKeys(prefix+"[]", s.elems)...)
	case s.keys != nil:
		for k, sub := range s.keys {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			out = append(out, leafKeys(p, sub)...)
		}
	default:
		out = append(out, prefix)
	}
	sort.Strings(out)
	return out
}

// TestOperationsTable keeps the key table of docs/operations.md true: it
// names every key of the config (the source fields in the paragraph
// after it), no key markd does not know, and each default as Default()
// has it.
func TestOperationsTable(t *testing.T) {
	data, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	// key → its default as written ("" = none in backticks)
	documented, rest, err := testdata.DocKeyTable(string(data), "| key | default | meaning |")
	if err != nil {
		t.Fatalf("docs/operations.md: %v", err)
	}
	v := viper.New()
	SetDefaults(v, Default())
	_, sourcePara, _ := strings.Cut(rest, "Source entries")
	sourcePara, _, _ = strings.Cut(sourcePara, "\n\n")
	for _, key := range leafKeys("", schemaOf(reflect.TypeOf(Config{}))) {
		if field, ok := strings.CutPrefix(key, "sources[]."); ok {
			if !strings.Contains(sourcePara, "`"+field+"`") {
				t.Errorf("source field %s is not named in the Source entries paragraph of docs/operations.md", field)
			}
			delete(documented, "sources[]")
			continue
		}
		def, ok := documented[key]
		if !ok {
			t.Errorf("key %s is not in the table of docs/operations.md", key)
			continue
		}
		delete(documented, key)
		if def == "" {
			continue // "(none; required)"
		}
		if want := testdata.DocDefault(v.Get(key)); def != want {
			t.Errorf("docs/operations.md: %s defaults to `%s`; Default() has `%s`", key, def, want)
		}
	}
	for key := range documented {
		t.Errorf("docs/operations.md names key %s, which markd does not know", key)
	}
}

// commentedKey is a key line of the example that is commented out
// ("  # client_cert: …", "  #   port: …"): the rest of the line is YAML
// at the indentation the '#' stands for.
var commentedKey = regexp.MustCompile(`^(\s*)# ?(\s*(?:- )?[a-z_]+:(?:\s.*)?)$`)

// TestExampleListsEveryKey: configs/markd.yaml is the file an unknown
// key's error points to ("configs/markd.yaml …", installed as
// /usr/share/markd/examples/markd.yaml), so it
// has every key of the config, set or commented out.
func TestExampleListsEveryKey(t *testing.T) {
	data, err := os.ReadFile("../configs/markd.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		if m := commentedKey.FindStringSubmatch(l); m != nil {
			lines[i] = m[1] + m[2]
		}
	}
	pos, err := readPositions("configs/markd.yaml (comments taken as keys)", "configs/markd.yaml", []byte(strings.Join(lines, "\n")), schemaOf(reflect.TypeOf(Config{})))
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	index := regexp.MustCompile(`\[\d+\]`)
	for p := range pos {
		have[index.ReplaceAllString(p, "[]")] = true
	}
	for _, key := range leafKeys("", schemaOf(reflect.TypeOf(Config{}))) {
		if !have[key] {
			t.Errorf("configs/markd.yaml does not list key %s (not even commented out)", key)
		}
	}
}
