package docs_test

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/viper"

	"markd/config"
	"markd/internal/testdata"
	msync "markd/sync"
)

// jsonFields is the JSON names of the fields of a struct type.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}

// TestDocumentedKeysExist: a config key the documents name in prose
// (`web.session_lifetime` in the operator guide, `batch.auto`,
// `sync.freshness_*`) is a key of markd's config, or, for `sync.…`, a
// field of the `sync` object of /healthz (`sync.last_hint`). The key
// tables are checked by config's and hub's tests; this is the rest of the
// text, where a renamed key stayed unseen.
func TestDocumentedKeysExist(t *testing.T) {
	v := viper.New()
	config.SetDefaults(v, config.Default())
	keys := v.AllKeys()
	healthSync := jsonFields(reflect.TypeOf(msync.UploadStatus{}))
	ref := regexp.MustCompile("`((?:http|sync|web|api|batch|scale|log)\\.[a-z_]+\\*?)`")
	checked := 0
	for _, f := range testdata.UserDocs {
		data, err := os.ReadFile(filepath.Join("..", f))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ref.FindAllStringSubmatch(string(data), -1) {
			key := m[1]
			checked++
			if prefix, ok := strings.CutSuffix(key, "*"); ok {
				if !slices.ContainsFunc(keys, func(k string) bool { return strings.HasPrefix(k, prefix) }) {
					t.Errorf("%s names `%s`, but no key of markd's config starts with %s", f, key, prefix)
				}
				continue
			}
			field, isSync := strings.CutPrefix(key, "sync.")
			if !slices.Contains(keys, key) && !(isSync && slices.Contains(healthSync, field)) {
				t.Errorf("%s names `%s`, which is no key of markd's config (nor a field of /healthz's sync)", f, key)
			}
		}
	}
	if checked < 50 {
		t.Fatalf("only %d keys found in the documents: the reading of them is wrong", checked)
	}
}

// TestHealthSyncFieldsDocumented: the GET /healthz entry of
// operations.md (HTTP endpoints) names every field of its `sync` object,
// so an engineer reading a counter's /healthz finds each one explained.
func TestHealthSyncFieldsDocumented(t *testing.T) {
	data, err := os.ReadFile("operations.md")
	if err != nil {
		t.Fatal(err)
	}
	_, entry, ok := strings.Cut(string(data), "* `GET /healthz` —")
	entry, _, ok2 := strings.Cut(entry, "\n* ")
	if !ok || !ok2 {
		t.Fatal("operations.md has no entry \"* `GET /healthz` —\"")
	}
	for _, field := range jsonFields(reflect.TypeOf(msync.UploadStatus{})) {
		if !strings.Contains(entry, "`"+field+"`") {
			t.Errorf("operations.md, GET /healthz: the sync object's field `%s` is not named", field)
		}
	}
}
