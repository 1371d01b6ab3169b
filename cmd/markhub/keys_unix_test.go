//go:build !windows

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestKeysNewForceMode0600: `markhub keys new --force` over a key file of
// mode 0644 leaves a 0600 file (umask 022), not the old file's mode.
func TestKeysNewForceMode0600(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	key := filepath.Join(t.TempDir(), "dist.key")
	if err := os.WriteFile(key, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCmd(t, "keys", "new", "--out", key, "--force"); code != 0 {
		t.Fatalf("keys new --force: %s", errOut)
	}
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi.Mode(), err)
	}
}
