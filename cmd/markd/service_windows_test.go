package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/windows/registry"
)

// TestWindowsServiceNotElevated: in a command prompt that is not run as
// administrator, markd service install, uninstall, start and stop stop
// before touching anything (no starter config, no ACL change) with the
// hint to run it as administrator; status needs no administrator. Runs
// under wine (scripts/wine-test.sh), which is always elevated: the token's
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
	dir, err := os.MkdirTemp("", "markd-service-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(dir) })
	cfg := filepath.Join(dir, "markd.yaml") // absent: install would write a starter one
	for _, verb := range []string{"install", "uninstall", "start", "stop"} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"--config", cfg, "service", verb}, strings.NewReader(""), &stdout, &stderr)
		if code != 1 || !strings.Contains(stderr.String(), "markd service "+verb+" needs an administrator") ||
			!strings.Contains(stderr.String(), "hint: open the command prompt with Run as administrator") {
			t.Errorf("service %s, not elevated: exit %d:\n%s%s", verb, code, stdout.String(), stderr.String())
		}
		if _, err := os.Stat(cfg); err == nil {
			t.Fatalf("service %s, not elevated, wrote %s", verb, cfg)
		}
	}
	var stdout, stderr bytes.Buffer
	run(context.Background(), []string{"--config", cfg, "service", "status"}, strings.NewReader(""), &stdout, &stderr)
	if s := stdout.String() + stderr.String(); strings.Contains(s, "administrator") ||
		!strings.Contains(s, "service markd") {
		t.Errorf("service status, not elevated: %s", s)
	}
}
