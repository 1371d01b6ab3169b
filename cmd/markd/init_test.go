package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"markd/internal/testdata"
)

// initStore runs `markd init --db path` in-process, as the docs tell an
// engineer setting up a counter; a store that exists is left alone.
func initStore(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err == nil {
		return
	}
	if code, _, errs := vtRun(t, "", "init", "--db", path); code != 0 {
		t.Fatalf("markd init --db %s: exit %d: %s", path, code, errs)
	}
}

// runDoctor writes body to the config file cfg and runs markd doctor
// --config cfg with args (vtRun).
func runDoctor(t *testing.T, cfg, body string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return vtRun(t, "", append([]string{"doctor", "--config", cfg}, args...)...)
}

// TestOnlyInitCreatesAStore: `markd init` makes a store once; every other
// command refuses a missing store (a typo in --db) without creating it,
// and an empty file, which a truncated store is, without touching it.
func TestOnlyInitCreatesAStore(t *testing.T) {
	td := testdata.Dir(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "markd.db")
	if code, out, errs := vtRun(t, "", "init", "--db", good); code != 0 || !strings.Contains(out, "created") {
		t.Fatalf("init: %d %s %s", code, out, errs)
	}
	if code, _, errs := vtRun(t, "", "init", "--db", good); code != 1 || !strings.Contains(errs, "already exists") {
		t.Fatalf("init twice: %d %s", code, errs)
	}
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	typo := filepath.Join(dir, "mrakd.db")
	lists := []string{"--office", "426000", "--keyring", filepath.Join(td, "keyring.yaml"), "--tariffs", filepath.Join(td, "tariffs.yaml")}
	cfg := dmConfig(t, t.TempDir(), "") // lists and office for import
	scans := filepath.Join(dir, "scans.txt")
	if err := os.WriteFile(scans, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MARKD_SYNC_URL", "http://127.0.0.1:1")
	t.Setenv("MARKD_SYNC_TOKEN", "mkt_x")
	for _, db := range []struct{ path, want string }{{typo, "does not exist"}, {empty, "empty (0 bytes)"}} {
		for _, args := range [][]string{
			{"user", "list", "--db", db.path},
			{"backup", "--db", db.path, filepath.Join(dir, "b.db")},
			append([]string{"verify", "--db", db.path, "--text", "x"}, lists...),
			{"import", "--config", cfg, "--db", db.path, scans},
			{"sync", "--once", "--db", db.path},
		} {
			code, _, errs := vtRun(t, "", args...)
			if code != 1 || !strings.Contains(errs, db.path) || !strings.Contains(errs, db.want) {
				t.Errorf("%v: exit %d, want 1 naming %s (%s): %s", args, code, db.path, db.want, errs)
			}
		}
	}
	if _, err := os.Stat(typo); !os.IsNotExist(err) {
		t.Fatalf("a command created %s: %v", typo, err)
	}
	if fi, err := os.Stat(empty); err != nil || fi.Size() != 0 {
		t.Fatalf("the empty store was changed: %v %v", fi, err)
	}
}

// TestRunRefusesTruncatedStore: the finding with a real process: a store
// truncated to 0 bytes made `markd run` start on a new database and accept
// serials again. Now it exits 78 (not restarted by systemd: a restart
// cannot mend it) with the file's name and what to do.
func TestRunRefusesTruncatedStore(t *testing.T) {
	bin := dmBinary(t)
	dir := t.TempDir()
	cfg := dmConfig(t, dir, "")
	db := filepath.Join(dir, "markd.db")
	if err := os.Truncate(db, 0); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "run", "--config", cfg).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 78 || !strings.Contains(string(out), db) ||
		!strings.Contains(string(out), "empty (0 bytes)") || !strings.Contains(string(out), "backup") {
		t.Fatalf("markd run on a truncated store: %v\n%s", err, out)
	}
	if fi, err := os.Stat(db); err != nil || fi.Size() != 0 {
		t.Fatalf("the truncated store was written to: %v %v", fi, err)
	}
}
