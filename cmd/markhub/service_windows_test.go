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

	"markd/internal/winsvc/winsvctest"
)

// TestWindowsServiceNotElevated: in a command prompt that is not run as
// administrator, markhub service install, uninstall, start and stop stop
// before touching anything (no starter config) with the hint to run it as
// administrator, as markd's do; status needs no administrator. Runs under
// wine (scripts/wine-test.sh), which is always elevated: the token's
// answer is replaced.
func TestWindowsServiceNotElevated(t *testing.T) {
	winsvctest.NotElevated(t, "markhub", func(t *testing.T) {
		was := isElevated
		isElevated = func() bool { return false }
		t.Cleanup(func() { isElevated = was })
	}, func(args []string, stdout, stderr *bytes.Buffer) int {
		return run(context.Background(), args, stdout, stderr)
	})
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
