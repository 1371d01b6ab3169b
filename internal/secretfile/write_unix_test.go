//go:build !windows

package secretfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestWriteMode: Write makes the file 0600 whatever the umask, also over a
// file of wider mode (which os.WriteFile would keep).
func TestWriteMode(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		prev os.FileMode // 0: no file before
	}{{"new file", 0}, {"replaces 0644", 0o644}, {"replaces 0666", 0o666}} {
		p := filepath.Join(dir, tt.name)
		if tt.prev != 0 {
			if err := os.WriteFile(p, []byte("old"), tt.prev); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, tt.prev); err != nil {
				t.Fatal(err)
			}
		}
		if err := Write(p, []byte("secret"), 0o600); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(p)
		b, _ := os.ReadFile(p)
		if err != nil || fi.Mode().Perm() != 0o600 || string(b) != "secret" {
			t.Fatalf("%s: %v %q %v", tt.name, fi.Mode(), b, err)
		}
	}
	if err := Write(filepath.Join(dir, "no-such-dir", "f"), nil, 0o600); err == nil {
		t.Fatal("write into a missing folder succeeded")
	}
}

func TestHoldsExposed(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name    string
		content string
		mode    os.FileMode
		secret  string
		want    bool
	}{
		{"token in a 0644 config", "sync:\n  token: mkt_abc\n", 0o644, "mkt_abc", true},
		{"token in a 0640 config", "sync:\n  token: mkt_abc\n", 0o640, "mkt_abc", false},
		{"token from the environment", "sync:\n  url: x\n", 0o644, "mkt_abc", false},
		{"no token", "sync:\n  url: x\n", 0o666, "", false},
	} {
		p := filepath.Join(dir, "markd.yaml")
		if err := os.WriteFile(p, []byte(tt.content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, tt.mode); err != nil {
			t.Fatal(err)
		}
		if _, got := HoldsExposed(p, tt.secret); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	if _, got := HoldsExposed(filepath.Join(dir, "missing"), "x"); got {
		t.Error("missing file reported")
	}
}
