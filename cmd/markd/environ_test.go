package main

import (
	"path/filepath"
	"strings"
	"testing"

	"markd/internal/testdata"
)

// TestEnvNotASetting: a MARKD_* variable that markd does not read (a
// typo of a key's variable) had no effect and nothing said so; it is now
// named at load in a WARN line, with the key's variable it is near when
// there is one, and the command runs on. A variable markd reads for
// something else than a key (MARKD_RUN_DIR) is not named.
func TestEnvNotASetting(t *testing.T) {
	dir := testdata.Dir(t)
	t.Setenv("MARKD_SYNC_TOKNE", "secret")
	t.Setenv("MARKD_QQQQQQQQ", "1")
	t.Setenv("MARKD_RUN_DIR", t.TempDir())
	t.Setenv("MARKD_RESCAN_WINDOW", "5m")
	_, out, errs := vtRun(t, "EPM1:\n", "verify", "--keyring", filepath.Join(dir, "keyring.yaml"),
		"--tariffs", filepath.Join(dir, "tariffs.yaml"), "--office", "426000", "--date", "2026-11-25")
	if out == "" {
		t.Fatalf("verify did not run: stderr %q", errs)
	}
	for _, want := range []string{
		`level=WARN msg="environment MARKD_SYNC_TOKNE is not a markd setting; did you mean MARKD_SYNC_TOKEN?"`,
		`level=WARN msg="environment MARKD_QQQQQQQQ is not a markd setting; the variable of a key is MARKD_ and the key in capitals`,
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %s:\n%s", want, errs)
		}
	}
	for _, not := range []string{"MARKD_RUN_DIR", "MARKD_RESCAN_WINDOW", "secret"} {
		if strings.Contains(errs, not) {
			t.Errorf("stderr names %s:\n%s", not, errs)
		}
	}
}
