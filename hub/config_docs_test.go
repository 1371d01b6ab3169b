package hub_test

import (
	"os"
	"reflect"
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
	documented, _, err := testdata.DocKeyTable(string(data), "| markhub key | default | meaning |")
	if err != nil {
		t.Fatalf("docs/operations.md: %v", err)
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
		if def == "" {
			t.Errorf("docs/operations.md: markhub %s has no default in backticks; every markhub key has one", key)
			continue
		}
		if want := testdata.DocDefault(v); def != want {
			t.Errorf("docs/operations.md: markhub %s defaults to `%s`; DefaultConfig() has `%s`", key, def, want)
		}
	}
	for key := range documented {
		t.Errorf("docs/operations.md names markhub key %s, which markhub does not know", key)
	}
}
