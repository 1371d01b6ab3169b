package config

import (
	"bytes"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"markd/hub"
)

// TestOtherEnvComplete: every MARKD_* or MARKHUB_* variable that the Go
// code (a program, a test, a helper) or a script reads is a config key's
// or is in OtherEnv, so a run with it set does not warn that it is not a
// setting; and every name in OtherEnv is still read somewhere. In Go code
// a read is os.Getenv or os.LookupEnv of the name, a constant holding it
// (control.RunDirEnv) or a child's environment setting it ("NAME=");
// in a script (*.sh, a file starting with #!, a Makefile), any mention.
func TestOtherEnvComplete(t *testing.T) {
	keys := keyEnvNames("MARKD", schemaOf(reflect.TypeOf(Default())))
	maps.Copy(keys, keyEnvNames("MARKHUB", schemaOf(reflect.TypeOf(hub.DefaultConfig()))))
	other := map[string]bool{}
	for _, o := range OtherEnv {
		other[o.Name] = true
	}
	goRead := regexp.MustCompile(`(?:Getenv|LookupEnv)\(\s*"(MARK(?:D|HUB)_[A-Z0-9_]+)"|=\s*"(MARK(?:D|HUB)_[A-Z0-9_]+)"|"(MARK(?:D|HUB)_[A-Z0-9_]+)=`)
	shRead := regexp.MustCompile(`MARK(?:D|HUB)_[A-Z0-9_]+`)
	read := map[string]string{} // name → a file that reads it
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n == ".git" || n == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		var names []string
		switch filepath.Ext(path) {
		case ".go":
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range goRead.FindAllStringSubmatch(string(b), -1) {
				names = append(names, m[1]+m[2]+m[3])
			}
		case ".sh", "":
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if filepath.Ext(path) == "" && !bytes.HasPrefix(b, []byte("#!")) && d.Name() != "Makefile" {
				break // not a script (.ci/run is one)
			}
			names = shRead.FindAllString(string(b), -1)
		}
		for _, n := range names {
			if _, ok := read[n]; !ok {
				read[n] = path
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for n, file := range read {
		if !keys[n] && !other[n] {
			t.Errorf("%s reads %s, which is neither a config key's variable nor in config.OtherEnv: add it to OtherEnv (config/environ.go) with who reads it", file, n)
		}
	}
	for n := range other {
		if _, ok := read[n]; !ok {
			t.Errorf("config.OtherEnv names %s, which nothing reads any more: remove it", n)
		}
		if keys[n] {
			t.Errorf("config.OtherEnv names %s, which is a config key's variable", n)
		}
	}
	if len(read) < len(other) || !strings.HasPrefix(read["MARKD_RUN_DIR"], "..") {
		t.Fatalf("the walk found too little: %v", read)
	}
}

// TestEnvWarnings: which variables with the prefix are warned of and
// which near name is offered: a key's variable and one of OtherEnv are
// not; a typo gets the name it is near, a name far from all gets how a
// key's variable is made; a name in small letters is read on Windows
// only (elsewhere it is warned of, with the name in capitals offered).
func TestEnvWarnings(t *testing.T) {
	s := schemaOf(reflect.TypeOf(Default()))
	var environ []string // NAME=value; not written so, as TestOtherEnvComplete would take them for reads
	for _, n := range []string{"PATH", "MARKD_DB", "MARKD_RUN_DIR", "MARKD_SOURCES", "MARKD_SYNC_TOKNE",
		"MARKD_HTTP_LISTN", "MARKD_RUNDIR", "MARKD_NOTHING_LIKE_IT", "markd_db", "MARKDB"} {
		environ = append(environ, n+"=1")
	}
	got := envWarnings("MARKD", s, environ)
	want := []string{
		"environment MARKD_HTTP_LISTN is not a markd setting; did you mean MARKD_HTTP_LISTEN?",
		`environment MARKD_NOTHING_LIKE_IT is not a markd setting; the variable of a key is MARKD_ and the key in capitals, "." as "_" (MARKD_LOG_LEVEL for log.level)`,
		"environment MARKD_RUNDIR is not a markd setting; did you mean MARKD_RUN_DIR?",
		"environment MARKD_SYNC_TOKNE is not a markd setting; did you mean MARKD_SYNC_TOKEN?",
	}
	if runtime.GOOS != "windows" {
		want = append(want, "environment markd_db is not a markd setting; did you mean MARKD_DB?")
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
