package main

import (
	"os"
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

// TestLogLevelEnvNotALevel: LOG_LEVEL (not a config key: it overrides
// log.level) set to no level made markd log at info whatever log.level
// said, and nothing said so; it is now ignored with a WARN line naming it
// and the levels, and log.level applies. log.level itself, in the file or
// MARKD_LOG_LEVEL, is refused as before, naming where it was set.
func TestLogLevelEnvNotALevel(t *testing.T) {
	dir := testdata.Dir(t)
	cfg := filepath.Join(t.TempDir(), "markd.yaml")
	if err := os.WriteFile(cfg, []byte("office: 426000\nlog:\n  level: warn\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	verify := func() (int, string, string) {
		return vtRun(t, "EPM1:\n", "--config", cfg, "verify", "--keyring", filepath.Join(dir, "keyring.yaml"),
			"--tariffs", filepath.Join(dir, "tariffs.yaml"), "--date", "2026-11-25")
	}
	t.Setenv("LOG_LEVEL", "verbose")
	_, out, errs := verify()
	want := `level=WARN msg="environment LOG_LEVEL = \"verbose\" is not a log level: must be debug, info, warn or error; ignored: log.level = \"warn\" (` + cfg + `:3) applies"`
	if out == "" || !strings.Contains(errs, want) {
		t.Fatalf("stdout %q, stderr:\n%s\nwant %s", out, errs, want)
	}
	t.Setenv("LOG_LEVEL", "")
	t.Setenv("MARKD_LOG_LEVEL", "verbose")
	code, _, errs := verify()
	if want := `environment MARKD_LOG_LEVEL: log.level = "verbose": must be debug, info, warn or error`; code != 2 || !strings.Contains(errs, want) {
		t.Fatalf("MARKD_LOG_LEVEL=verbose: exit %d, stderr %q; want exit 2 and %s", code, errs, want)
	}
}

// TestSessionTTLPastLifetime: web.session_ttl longer than
// web.session_lifetime was taken without a word, though the lifetime
// ends every login first and the idle limit never applies; it is now
// warned of at load, naming both keys and where each was set, and not
// refused (an upgraded counter must start). The defaults (both 12h) are
// not warned of.
func TestSessionTTLPastLifetime(t *testing.T) {
	dir := testdata.Dir(t)
	cfg := filepath.Join(t.TempDir(), "markd.yaml")
	if err := os.WriteFile(cfg, []byte("office: 426000\nweb:\n  session_ttl: 24h\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	verify := func() (int, string, string) {
		return vtRun(t, "EPM1:\n", "--config", cfg, "verify", "--keyring", filepath.Join(dir, "keyring.yaml"),
			"--tariffs", filepath.Join(dir, "tariffs.yaml"), "--date", "2026-11-25")
	}
	_, out, errs := verify()
	want := `level=WARN msg="web.session_ttl = 24h0m0s (` + cfg + `:3) is longer than web.session_lifetime = 12h0m0s (the default):`
	if out == "" || !strings.Contains(errs, want) || !strings.Contains(errs, "the idle limit never applies") {
		t.Fatalf("stdout %q, stderr:\n%s\nwant %s", out, errs, want)
	}
	t.Setenv("MARKD_WEB_SESSION_LIFETIME", "8h")
	if err := os.WriteFile(cfg, []byte("office: 426000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, errs = verify()
	if want := `web.session_ttl = 12h0m0s (the default) is longer than web.session_lifetime = 8h0m0s (environment MARKD_WEB_SESSION_LIFETIME)`; !strings.Contains(errs, want) {
		t.Fatalf("stderr:\n%s\nwant %s", errs, want)
	}
	t.Setenv("MARKD_WEB_SESSION_LIFETIME", "")
	os.Unsetenv("MARKD_WEB_SESSION_LIFETIME")
	if _, _, errs = verify(); strings.Contains(errs, "session") {
		t.Fatalf("defaults warned of:\n%s", errs)
	}
}
