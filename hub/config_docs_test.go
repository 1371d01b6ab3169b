package hub_test

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"markd/hub"
	"markd/internal/testdata"
)

// hubKeys lists the dotted keys of the markhub config with their
// values in v, from the mapstructure tags.
func hubKeys(prefix string, v reflect.Value, out map[string]any) {
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		tag := f.Tag.Get("mapstructure")
		if tag == "" || tag == "-" {
			continue
		}
		if f.Type.Kind() == reflect.Struct {
			hubKeys(prefix+tag+".", v.Field(i), out)
			continue
		}
		out[prefix+tag] = v.Field(i).Interface()
	}
}

// TestOperationsHubTable keeps the markhub key table of
// docs/operations.md true: every key of hub.Config is there with the
// default hub.DefaultConfig has, and no key markhub does not know.
func TestOperationsHubTable(t *testing.T) {
	data, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "| markhub key | default | meaning |")
	if !ok {
		t.Fatal("docs/operations.md has no markhub key table")
	}
	tick := regexp.MustCompile("`([^`]*)`")
	documented := map[string]string{}
	for _, line := range strings.Split(rest, "\n")[2:] {
		if !strings.HasPrefix(line, "|") {
			break
		}
		cells := strings.Split(line, " | ")
		if len(cells) < 3 {
			t.Fatalf("table row %q: fewer than three cells", line)
		}
		var keys, defs []string
		for _, m := range tick.FindAllStringSubmatch(cells[0], -1) {
			keys = append(keys, m[1])
		}
		for _, m := range tick.FindAllStringSubmatch(cells[1], -1) {
			defs = append(defs, m[1])
		}
		for i, k := range keys {
			switch len(defs) {
			case 1:
				documented[k] = defs[0]
			case len(keys):
				documented[k] = defs[i]
			default:
				t.Errorf("row of %v: %d defaults for %d keys", keys, len(defs), len(keys))
			}
		}
	}
	have := map[string]any{}
	hubKeys("", reflect.ValueOf(hub.DefaultConfig()), have)
	for key, v := range have {
		def, ok := documented[key]
		if !ok {
			t.Errorf("markhub key %s is not in the markhub key table of docs/operations.md", key)
			continue
		}
		delete(documented, key)
		if want := testdata.DocDefault(v); def != want {
			t.Errorf("docs/operations.md: markhub %s defaults to `%s`; DefaultConfig() has `%s`", key, def, want)
		}
	}
	for key := range documented {
		t.Errorf("docs/operations.md names markhub key %s, which markhub does not know", key)
	}
}
