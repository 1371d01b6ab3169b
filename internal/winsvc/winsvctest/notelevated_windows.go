// Package winsvctest holds the Windows service tests markd and markhub
// share: each program runs them against its own command line.
package winsvctest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/windows/registry"
)

// NotElevated checks that in a command prompt that is not run as
// administrator, "NAME service install|uninstall|start|stop" stop before
// touching anything (no starter config NAME.yaml) with the hint to run it
// as administrator, and that status needs no administrator. Under wine
// only (scripts/wine-test.sh), which is always elevated: notElevated
// replaces the program's answer of the token for the test. run runs one
// command line of the program and returns its exit code.
func NotElevated(t *testing.T, name string, notElevated func(t *testing.T), run func(args []string, stdout, stderr *bytes.Buffer) int) {
	t.Helper()
	if k, err := registry.OpenKey(registry.CURRENT_USER, `Software\Wine`, registry.QUERY_VALUE); err != nil {
		t.Skip("runs under wine only: where the check failed it would install the real service")
	} else {
		k.Close()
	}
	notElevated(t)
	// not t.TempDir: its RemoveAll fails under wine ("Invalid function")
	dir, err := os.MkdirTemp("", name+"-service-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(dir) })
	cfg := filepath.Join(dir, name+".yaml") // absent: install would write a starter one
	for _, verb := range []string{"install", "uninstall", "start", "stop"} {
		var stdout, stderr bytes.Buffer
		code := run([]string{"--config", cfg, "service", verb}, &stdout, &stderr)
		if code != 1 || !strings.Contains(stderr.String(), name+" service "+verb+" needs an administrator") ||
			!strings.Contains(stderr.String(), "hint: open the command prompt with Run as administrator") {
			t.Errorf("service %s, not elevated: exit %d:\n%s%s", verb, code, stdout.String(), stderr.String())
		}
		if _, err := os.Stat(cfg); err == nil {
			t.Fatalf("service %s, not elevated, wrote %s", verb, cfg)
		}
	}
	var stdout, stderr bytes.Buffer
	run([]string{"--config", cfg, "service", "status"}, &stdout, &stderr)
	if s := stdout.String() + stderr.String(); strings.Contains(s, "administrator") ||
		!strings.Contains(s, "service "+name) {
		t.Errorf("service status, not elevated: %s", s)
	}
}
