//go:build !windows

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"markd/internal/testdata"
)

// TestFilesOwnerOnly (umask 022): the QR image of a signed mark (worth its
// tariff) is 0600, also over an older file of mode 0644; a config that
// holds sync.token inline and every user may read is warned about with
// the chmod that fixes it.
func TestFilesOwnerOnly(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	keys := filepath.Join(dir, "issuer.yaml")
	if code, _, errs := vtRun(t, "", "keys", "new", "--alg", "ed25519", "--id", "1", "--out", keys, "--valid-from", "2025-01-01",
		"--valid-until", "2027-12-31"); code != 0 {
		t.Fatalf("keys new: %s", errs)
	}
	png := filepath.Join(dir, "mark.png")
	if err := os.WriteFile(png, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := vtRun(t, "", "issue", "--key", keys, "--tariffs", filepath.Join(testdata.Dir(t), "tariffs.yaml"),
		"--issued", "2026-11-20", "--png", png); code != 0 {
		t.Fatalf("issue: %s", errs)
	}
	if fi, err := os.Stat(png); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("--png: %v %v", fi.Mode(), err)
	}

	cfg := filepath.Join(dir, "markd.yaml")
	body := "office: 426000\nkeyring: " + filepath.Join(testdata.Dir(t), "keyring.yaml") + "\ntariffs: " +
		filepath.Join(testdata.Dir(t), "tariffs.yaml") + "\nsync:\n  url: http://127.0.0.1:1\n  token: mkt_inline\n"
	for _, tt := range []struct {
		mode os.FileMode
		warn bool
	}{{0o644, true}, {0o640, false}, {0o600, false}} {
		if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(cfg, tt.mode); err != nil {
			t.Fatal(err)
		}
		_, _, errs := vtRun(t, "EPM1:X\n", "verify", "--config", cfg, "--date", "2026-11-25")
		if got := strings.Contains(errs, "chmod 640 "+cfg); got != tt.warn {
			t.Fatalf("mode %04o: warning %v, want %v: %s", tt.mode, got, tt.warn, errs)
		}
	}
}

// TestProxyPasswordExposed (umask 022): a config that holds the password of
// sync.proxy and every user may read is warned about with the chmod that
// fixes it, without the password.
func TestProxyPasswordExposed(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	cfg := filepath.Join(t.TempDir(), "markd.yaml")
	for _, tt := range []struct {
		proxy string
		mode  os.FileMode
		warn  bool
	}{
		{"http://ivan:s3cret@127.0.0.1:3128", 0o644, true},
		{"http://ivan:s3cret@127.0.0.1:3128", 0o640, false},
		{"http://127.0.0.1:3128", 0o644, false},
		{"none", 0o644, false},
	} {
		body := "office: 426000\nkeyring: " + filepath.Join(testdata.Dir(t), "keyring.yaml") + "\ntariffs: " +
			filepath.Join(testdata.Dir(t), "tariffs.yaml") + "\nsync:\n  proxy: " + tt.proxy + "\n"
		if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(cfg, tt.mode); err != nil {
			t.Fatal(err)
		}
		_, _, errs := vtRun(t, "EPM1:X\n", "verify", "--config", cfg, "--date", "2026-11-25")
		if got := strings.Contains(errs, "password of sync.proxy") && strings.Contains(errs, "chmod 640 "+cfg); got != tt.warn {
			t.Fatalf("%s mode %04o: warning %v, want %v: %s", tt.proxy, tt.mode, got, tt.warn, errs)
		}
		if strings.Contains(errs, "s3cret") {
			t.Fatalf("the password in %s", errs)
		}
	}
}
