//go:build wine

package wine

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestWineMSI installs the MSI (MARKD_MSI, built by scripts/wine-test.sh
// with wixl from packaging/msi/markd.wxs) silently with msiexec: the
// programs land in Program Files\markd and the service is registered but
// not started; the installed markd.exe takes the markd.yaml.example beside
// it, and markhub.exe the markhub.yaml.example beside it (the file its
// errors name on Windows); a silent uninstall removes them.
func TestWineMSI(t *testing.T) {
	msi := os.Getenv("MARKD_MSI")
	if msi == "" {
		t.Skip("MARKD_MSI not set: wixl (Debian package wixl) is not installed")
	}
	wine, _ := exe(t, "MARKD_EXE")
	run := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		defer cancel()
		cmd := exec.CommandContext(ctx, wine, args...)
		cmd.Env = append(os.Environ(), "WINEDEBUG=-all")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run("msiexec", "/i", winPath(msi), "/qn"); err != nil {
		t.Fatalf("msiexec /i: %v: %s", err, out)
	}
	installed := filepath.Join(os.Getenv("WINEPREFIX"), "drive_c", "Program Files", "markd", "markd.exe")
	if _, err := os.Stat(installed); err != nil {
		t.Fatalf("markd.exe not in Program Files: %v", err)
	}
	out, err := run(`C:\Program Files\markd\markd.exe`, "service", "status")
	if err != nil || !strings.Contains(out, "service markd: stopped") {
		t.Fatalf("service after the MSI: %v %q, want registered and stopped", err, out)
	}
	// the example config it ships is the Windows one: the installed
	// markd.exe takes it as it is
	db := winPath(filepath.Join(t.TempDir(), "markd.db"))
	if out, err := run(`C:\Program Files\markd\markd.exe`, "--config", `C:\Program Files\markd\markd.yaml.example`, "init", "--db", db); err != nil {
		t.Fatalf("init with the MSI's markd.yaml.example: %v:\n%s", err, out)
	}
	out, err = run(`C:\Program Files\markd\markd.exe`, "--config", `C:\Program Files\markd\markd.yaml.example`, "doctor", "--db", db)
	if err != nil || !strings.Contains(out, "keyboard (stdin): ok") {
		t.Errorf("doctor with the MSI's markd.yaml.example: %v:\n%s", err, out)
	}
	// markhub's example config, for the collector on Windows: taken as
	// it is (its store given apart, so %ProgramData%\markhub stays as it was)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	hub := exec.CommandContext(ctx, wine, `C:\Program Files\markd\markhub.exe`, "--config", `C:\Program Files\markd\markhub.yaml.example`, "terminal", "list")
	hub.Env = append(os.Environ(), "WINEDEBUG=-all", "MARKHUB_DB="+winPath(filepath.Join(t.TempDir(), "markhub.db")))
	if out, err := hub.CombinedOutput(); err != nil {
		t.Errorf("markhub.exe with the MSI's markhub.yaml.example: %v:\n%s", err, out)
	}
	if out, err := run("msiexec", "/x", winPath(msi), "/qn"); err != nil {
		t.Fatalf("msiexec /x: %v: %s", err, out)
	}
	for _, f := range []string{"markd.exe", "markhub.exe", "markhub.yaml.example"} {
		if _, err := os.Stat(filepath.Join(filepath.Dir(installed), f)); !os.IsNotExist(err) {
			t.Errorf("%s left after uninstall: %v", f, err)
		}
	}
	if out, err := run(os.Getenv("MARKD_EXE"), "service", "status"); err == nil || !strings.Contains(out, "not installed") {
		t.Errorf("service after uninstall: %v %q", err, out)
	}
}
