//go:build wine

package wine

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// markdConfig writes body as the file markd.yaml in a new temp folder and
// returns a runner of markd.exe --config FILE ARGS…: combined output and
// exit code (-1: did not run or end).
func markdConfig(t *testing.T, body string) (cfg string, markd func(args ...string) (string, int)) {
	t.Helper()
	cfg = filepath.Join(t.TempDir(), "markd.yaml")
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg, func(args ...string) (string, int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		defer cancel()
		out, err := command(t, ctx, "MARKD_EXE", append([]string{"--config", winPath(cfg)}, args...)...).CombinedOutput()
		var exit *exec.ExitError
		switch {
		case err == nil:
			return string(out), 0
		case errors.As(err, &exit) && ctx.Err() == nil:
			return string(out), exit.ExitCode()
		}
		t.Fatalf("markd.exe %s: %v\n%s", strings.Join(args, " "), err, out)
		return "", -1
	}
}

// TestWineNotepadConfig: a config saved by Notepad (UTF-8 with a byte
// order mark, CRLF line ends) loads, and a bad value in it is named by
// its file and line as in a plain file.
func TestWineNotepadConfig(t *testing.T) {
	notepad := func(lines ...string) string { return "\ufeff" + strings.Join(lines, "\r\n") + "\r\n" }
	tmp := t.TempDir()
	_, markd := markdConfig(t, notepad("# written in Notepad", "office: 426000", "counter: 'Окно 1'",
		"db: '"+winPath(filepath.Join(tmp, "markd.db"))+"'"))
	if out, code := markd("init"); code != 0 || !strings.Contains(out, "created") {
		t.Fatalf("markd.exe init with a Notepad config: exit %d:\n%s", code, out)
	}
	for _, c := range []struct {
		lines []string
		want  string
	}{
		{[]string{"office: 426000", "counter: '1'", "rescan_window: soon"}, `markd.yaml:3: rescan_window = "soon"`},
		{[]string{"# a comment first", "ofice: 426000"}, `markd.yaml:2: unknown key "ofice" (did you mean office?)`},
		{[]string{"office: 4260001"}, "markd.yaml:1: office = 4260001"},
	} {
		_, markd := markdConfig(t, notepad(c.lines...))
		out, code := markd("init")
		if code != 2 || !strings.Contains(out, c.want) {
			t.Errorf("markd.exe init with %q: exit %d, want 2 and %q:\n%s", c.lines, code, c.want, out)
		}
	}
}
