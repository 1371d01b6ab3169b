package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/windows/registry"
)

// TestWindowsServiceNotElevated: in a command prompt that is not run as
// administrator, markhub service install, uninstall, start and stop stop
// before touching anything (no starter config) with the hint to run it as
// administrator, as markd's do; status needs no administrator. Runs under
// wine (scripts/wine-test.sh), which is always elevated: the token's
// answer is replaced.
func TestWindowsServiceNotElevated(t *testing.T) {
	if k, err := registry.OpenKey(registry.CURRENT_USER, `Software\Wine`, registry.QUERY_VALUE); err != nil {
		t.Skip("runs under wine only: where the check failed it would install the real service")
	} else {
		k.Close()
	}
	was := isElevated
	isElevated = func() bool { return false }
	t.Cleanup(func() { isElevated = was })
	// not t.TempDir: its RemoveAll fails under wine ("Invalid function")
	dir, err := os.MkdirTemp("", "markhub-service-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(dir) })
	cfg := filepath.Join(dir, "markhub.yaml") // absent: install would write a starter one
	for _, verb := range []string{"install", "uninstall", "start", "stop"} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"--config", cfg, "service", verb}, &stdout, &stderr)
		if code != 1 || !strings.Contains(stderr.String(), "markhub service "+verb+" needs an administrator") ||
			!strings.Contains(stderr.String(), "hint: open the command prompt with Run as administrator") {
			t.Errorf("service %s, not elevated: exit %d:\n%s%s", verb, code, stdout.String(), stderr.String())
		}
		if _, err := os.Stat(cfg); err == nil {
			t.Fatalf("service %s, not elevated, wrote %s", verb, cfg)
		}
	}
	var stdout, stderr bytes.Buffer
	run(context.Background(), []string{"--config", cfg, "service", "status"}, &stdout, &stderr)
	if s := stdout.String() + stderr.String(); strings.Contains(s, "administrator") ||
		!strings.Contains(s, "service markhub") {
		t.Errorf("service status, not elevated: %s", s)
	}
}

// TestWindowsServiceRunInConsole: markhub service run in a console (no
// service manager started it) says to use markhub serve (exit 2), and
// with a config that does not load it names that error instead. Each in
// a process of its own (this test binary again): a process asks the
// service manager's dispatcher once.
func TestWindowsServiceRunInConsole(t *testing.T) {
	if cfg := os.Getenv("MARKHUB_TEST_SERVICE_RUN"); cfg != "" {
		os.Exit(run(context.Background(), []string{"--config", cfg, "service", "run"}, os.Stdout, os.Stderr))
	}
	dir, err := os.MkdirTemp("", "markhub-service-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(good, []byte("db: '"+filepath.Join(dir, "hub.db")+"'\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("lisen: 127.0.0.1:1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ cfg, want string }{
		{good, "markhub service run is started by the Service Control Manager; in a console use markhub serve"},
		{bad, `unknown key "lisen"`},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestWindowsServiceRunInConsole$")
		cmd.Env = append(os.Environ(), "MARKHUB_TEST_SERVICE_RUN="+c.cfg)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("service run --config %s in a console: %v, want exit 2 and %q:\n%s%s", filepath.Base(c.cfg), err, c.want, stdout.String(), stderr.String())
		}
	}
}
