//go:build !windows

package secretfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"markd/mark"
)

func TestCheckModes(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		mode os.FileMode
		ok   bool
	}{{0o600, true}, {0o400, true}, {0o640, true}, {0o644, false}, {0o606, false}, {0o666, false}, {0o604, false}} {
		p := filepath.Join(dir, "token")
		if err := os.WriteFile(p, []byte("mkt_x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, tt.mode); err != nil {
			t.Fatal(err)
		}
		b, err := Read(p, "sync token_file")
		if tt.ok != (err == nil) {
			t.Fatalf("mode %04o: err = %v", tt.mode, err)
		}
		if err != nil && (!errors.Is(err, mark.ErrInvalid) || !strings.Contains(mark.Hint(err), "chmod 600 "+p)) {
			t.Fatalf("mode %04o: %v (hint %q)", tt.mode, err, mark.Hint(err))
		}
		if err == nil && string(b) != "mkt_x\n" {
			t.Fatalf("read %q", b)
		}
		os.Remove(p)
	}
	if err := Check(filepath.Join(dir, "missing"), "key"); !errors.Is(err, mark.ErrInvalid) {
		t.Fatalf("missing: %v", err)
	}
}
