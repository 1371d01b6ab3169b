//go:build !windows

package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInstalledExample: an unknown key's error names the example config
// the .deb installs (/usr/share/markd/examples, beside /usr/bin) when the
// binary runs from there, and the source tree's otherwise (the binary in
// bin/ or a test's temp folder).
func TestInstalledExample(t *testing.T) {
	installed := map[string]bool{"/usr/share/markd/examples/markd.yaml": true, "/usr/share/markd/examples/markhub.yaml": true}
	exists := func(p string) bool { return installed[p] }
	for _, tc := range []struct{ exe, name, want string }{
		{"/usr/bin/markd", "markd.yaml", "/usr/share/markd/examples/markd.yaml"},
		{"/usr/bin/markhub", "markhub.yaml", "/usr/share/markd/examples/markhub.yaml"},
		{"/home/dev/markd/bin/markd", "markd.yaml", "SOURCE"},
		{"/opt/markd-1.0.0-linux-amd64/markd", "markd.yaml", "SOURCE"},
		{"/usr/bin/markd", "other.yaml", "SOURCE"},
	} {
		if got := installedExample(tc.exe, tc.name, "SOURCE", exists); got != tc.want {
			t.Errorf("installedExample(%s, %s) = %q, want %q", tc.exe, tc.name, got, tc.want)
		}
	}

	// the files themselves: a prefix laid out as the .deb's
	prefix := t.TempDir()
	ex := filepath.Join(prefix, "share", "markd", "examples")
	if err := os.MkdirAll(ex, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ex, "markd.yaml"), []byte("office: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	isFile := func(p string) bool { fi, err := os.Stat(p); return err == nil && fi.Mode().IsRegular() }
	if got := installedExample(filepath.Join(prefix, "bin", "markd"), "markd.yaml", "SOURCE", isFile); got != filepath.Join(ex, "markd.yaml") {
		t.Errorf("with %s/markd.yaml: %q", ex, got)
	}
}

// TestUnknownKeyNamesSourceExample: run from the source tree (this test's
// binary), markd's unknown-key error names configs/markd.yaml, and the
// tarball's copy.
func TestUnknownKeyNamesSourceExample(t *testing.T) {
	file := filepath.Join(t.TempDir(), "m.yaml")
	if err := os.WriteFile(file, []byte("ofice: 426000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(file, nil)
	var uk *UnknownKeyError
	if !errors.As(err, &uk) {
		t.Fatalf("Load: %v, want an UnknownKeyError", err)
	}
	if want := "; configs/markd.yaml (markd.yaml beside markd in the tarball) lists every key"; !strings.HasSuffix(err.Error(), want) {
		t.Errorf("error %q does not end with %q", err, want)
	}
}
