package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEnvNotASetting: a MARKHUB_* variable that markhub does not read (a
// typo such as MARKHUB_SESSIONTTL) had no effect and nothing said so; it
// is now named at load in a WARN line, with the key's variable it is
// near, and the command runs on. MARKHUB_CONFIG, which markhub reads for
// its file, is not named.
func TestEnvNotASetting(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "h.yaml")
	if err := os.WriteFile(file, []byte("db: "+filepath.Join(dir, "h.db")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MARKHUB_SESSIONTTL", "1h")
	t.Setenv("MARKHUB_CONFIG", file)
	code, out, errs := runCmd(t, "terminal", "add", "c1", "--office", "426000")
	if code != 0 || out == "" {
		t.Fatalf("terminal add: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	want := `level=WARN msg="environment MARKHUB_SESSIONTTL is not a markhub setting; did you mean MARKHUB_SESSION_TTL?"`
	if !strings.Contains(errs, want) {
		t.Errorf("stderr lacks %s:\n%s", want, errs)
	}
	if strings.Contains(errs, "MARKHUB_CONFIG") {
		t.Errorf("stderr names MARKHUB_CONFIG:\n%s", errs)
	}
}

// TestLogLevelEnvNotALevel: LOG_LEVEL set to no level made markhub log at
// info whatever log.level said, and nothing said so; it is now ignored
// with a WARN line, and log.level applies.
func TestLogLevelEnvNotALevel(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "h.yaml")
	if err := os.WriteFile(file, []byte("db: "+filepath.Join(dir, "h.db")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LOG_LEVEL", "loud")
	code, out, errs := runCmd(t, "--config", file, "terminal", "add", "c1", "--office", "426000")
	want := `level=WARN msg="environment LOG_LEVEL = \"loud\" is not a log level: must be debug, info, warn or error; ignored: log.level = \"info\" (the default) applies"`
	if code != 0 || out == "" || !strings.Contains(errs, want) {
		t.Fatalf("terminal add: exit %d, stdout %q, stderr:\n%s\nwant %s", code, out, errs, want)
	}
}
