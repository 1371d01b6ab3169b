//go:build wine

package wine

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestWineMarkhubFirstStart: on a fresh machine (the MSI leaves
// %ProgramData% alone) markhub.exe with no config makes
// %ProgramData%\markhub at its first start and keeps its store there, and
// keys new its distribution key; a file in the folder's place is refused
// naming the folder and what to do (exit 1). They failed with "open hub
// store C:\ProgramData\markhub\markhub.db: … unable to open database
// file" until the folder was made by hand.
func TestWineMarkhubFirstStart(t *testing.T) {
	prefix := os.Getenv("WINEPREFIX")
	if prefix == "" {
		t.Fatal("WINEPREFIX is not set: run scripts/wine-test.sh (a throw-away prefix)")
	}
	dir := filepath.Join(prefix, "drive_c", "ProgramData", "markhub")
	if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s is there before the test (%v): run it in a fresh prefix (scripts/wine-test.sh)", dir, err)
	}
	markhub := func(args ...string) (string, int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		defer cancel()
		cmd := command(t, ctx, "MARKHUB_EXE", args...)
		cmd.Env = append(cmd.Env, "MARKHUB_CONFIG=") // the defaults
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		switch {
		case err == nil:
			return string(out), 0
		case errors.As(err, &exit) && ctx.Err() == nil:
			return string(out), exit.ExitCode()
		}
		t.Fatalf("markhub.exe %s: %v\n%s", strings.Join(args, " "), err, out)
		return "", -1
	}

	if err := os.WriteFile(dir, []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := markhub("terminal", "list")
	if code != 1 || !strings.Contains(out, `make markhub's folder C:\ProgramData\markhub: a file has that name`) || !strings.Contains(out, "move that file away") {
		t.Errorf("markhub.exe terminal list with a file in the folder's place: exit %d, want 1 naming the folder:\n%s", code, out)
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}

	if out, code := markhub("terminal", "list"); code != 0 {
		t.Fatalf("markhub.exe terminal list on a fresh machine: exit %d:\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "markhub.db")); err != nil {
		t.Errorf("the store at the first start: %v", err)
	}
	if out, code := markhub("keys", "new"); code != 0 || strings.TrimSpace(out) == "" {
		t.Fatalf("markhub.exe keys new: exit %d:\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "distribution.key")); err != nil {
		t.Errorf("keys new without --out: %v", err)
	}

	// Its config in that folder is read without --config, as markd.exe
	// reads %ProgramData%\markd\markd.yaml.
	if err := os.WriteFile(filepath.Join(dir, "markhub.yaml"), []byte("db: 'C:\\ProgramData\\markhub\\regional.db'\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := markhub("terminal", "list"); code != 0 {
		t.Fatalf("markhub.exe terminal list with markhub.yaml in its folder: exit %d:\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "regional.db")); err != nil {
		t.Errorf("markhub.exe without --config did not read %s (no store where it names): %v", filepath.Join(dir, "markhub.yaml"), err)
	}
}
