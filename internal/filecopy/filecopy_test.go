package filecopy

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestCopy(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := os.WriteFile(dst, []byte("longer old content"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Copy(src, dst); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(dst); err != nil || string(b) != "new" {
		t.Errorf("copy holds %q, %v; want %q", b, err, "new")
	}
	if err := Copy(filepath.Join(dir, "missing"), dst); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing source: %v, want os.ErrNotExist", err)
	}
	if err := Copy(src, filepath.Join(dir, "no", "dir")); err == nil {
		t.Error("copy into a missing folder: no error")
	}
}
