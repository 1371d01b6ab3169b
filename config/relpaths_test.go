package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRelativePathWarnings: a file or folder key the config file sets to a
// relative path is warned of, naming the file's line, the path it is read
// as (the working folder's) and the one beside the config, when markd
// does not run in the config's folder; in that folder, for absolute
// paths, and for a value from the environment, nothing is said.
func TestRelativePathWarnings(t *testing.T) {
	cfgDir, elsewhere := t.TempDir(), t.TempDir()
	file := filepath.Join(cfgDir, "markd.yaml")
	abs := filepath.Join(cfgDir, "tariffs.yaml")
	body := "office: 426000\ncounter: A\nkeyring: keyring.yaml\ntariffs: " + abs + "\ndb: data/markd.db\n" +
		"sync:\n  token_file: token\n  bundle_dir: bundles\nweb:\n  snapshots_dir: ''\n"
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	relWarnings := func() []string {
		t.Helper()
		_, warnings, err := LoadWarn(file, nil)
		if err != nil {
			t.Fatal(err)
		}
		var rel []string
		for _, w := range warnings {
			if strings.Contains(w, "relative path") {
				rel = append(rel, w)
			}
		}
		return rel
	}

	t.Chdir(elsewhere)
	got := relWarnings()
	want := []string{
		"db = data/markd.db (" + file + ":5) is a relative path, read from the working folder: " +
			filepath.Join(elsewhere, "data/markd.db") + ", not " + filepath.Join(cfgDir, "data/markd.db") + " beside the config; write the absolute path",
		"keyring = keyring.yaml (" + file + ":3) is a relative path, read from the working folder: " +
			filepath.Join(elsewhere, "keyring.yaml") + ", not " + filepath.Join(cfgDir, "keyring.yaml") + " beside the config; write the absolute path",
		"sync.bundle_dir = bundles (" + file + ":8)",
		"sync.token_file = token (" + file + ":7)",
	}
	if len(got) != len(want) {
		t.Fatalf("warnings from another folder:\n%s\nwant %d", strings.Join(got, "\n"), len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("warning %d:\n%s\nwant it to start with\n%s", i, got[i], want[i])
		}
	}

	t.Setenv("MARKD_DB", "other.db") // the environment's value is the working folder's by nature
	if got := relWarnings(); slices.ContainsFunc(got, func(w string) bool { return strings.HasPrefix(w, "db ") }) {
		t.Errorf("db from the environment warned of: %q", got)
	}

	t.Chdir(cfgDir)
	if got := relWarnings(); len(got) > 0 {
		t.Errorf("in the config's own folder: %q", got)
	}
}

// TestRelativePath: what counts as a path relative to the working folder.
func TestRelativePath(t *testing.T) {
	for val, want := range map[string]bool{
		"markd.db": true, "data/markd.db": true, "./markd.db": true, "../markd.db": true,
		"": false, "/var/lib/markd/markd.db": false,
		`C:\ProgramData\markd\markd.db`: false, "c:/markd/markd.db": false, `\\server\share\markd.db`: false,
		"postgres://hub@db/markhub": false, "host=db dbname=markhub": false,
	} {
		if got := relativePath(val); got != want {
			t.Errorf("relativePath(%q) = %v, want %v", val, got, want)
		}
	}
}
