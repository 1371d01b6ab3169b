//go:build wine

package wine

import (
	"context"
	"os"
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
	run := withConfig(t, "MARKD_EXE", cfg)
	return cfg, func(args ...string) (string, int) {
		t.Helper()
		out, err := run(args...)
		return exitCode(t, "markd.exe "+strings.Join(args, " "), out, err)
	}
}

// TestWineNotepadConfig: a config saved by Notepad (UTF-8 with a byte
// order mark, CRLF line ends) loads, and a bad value in it is named by
// its file and line as in a plain file; one saved as ANSI is refused
// naming the line that is not UTF-8.
func TestWineNotepadConfig(t *testing.T) {
	notepad := func(lines ...string) string { return "\ufeff" + strings.Join(lines, "\r\n") + "\r\n" }
	tmp := t.TempDir()
	_, markd := markdConfig(t, notepad("# written in Notepad", "office: 426000", "counter: 'Окно 1'",
		"db: '"+winPath(filepath.Join(tmp, "markd.db"))+"'"))
	if out, code := markd("init"); code != 0 || !strings.Contains(out, "created") {
		t.Fatalf("markd.exe init with a Notepad config: exit %d:\n%s", code, out)
	}
	for _, c := range []struct {
		body string
		want string
	}{
		{notepad("office: 426000", "counter: '1'", "rescan_window: soon"), `markd.yaml:3: rescan_window = "soon"`},
		{notepad("# a comment first", "ofice: 426000"), `markd.yaml:2: unknown key "ofice" (did you mean office?); markd.yaml.example beside markd.exe lists every key`},
		{notepad("office: 4260001"), "markd.yaml:1: office = 4260001"},
		// an older Notepad's ANSI: Windows-1251, no byte order mark
		{"office: 426000\r\ncounter: \xce\xea\xed\xee 1\r\n", "markd.yaml:2: not UTF-8 text"},
	} {
		_, markd := markdConfig(t, c.body)
		out, code := markd("init")
		if code != 2 || !strings.Contains(out, c.want) {
			t.Errorf("markd.exe init with %q: exit %d, want 2 and %q:\n%s", c.body, code, c.want, out)
		}
	}
}

// TestWineWindowsPaths: a config that leaves out db and keyring finds them
// in %ProgramData%\markd (where markd service install and the MSI put
// them), not in /var/lib/markd and /etc/markd, which Windows reads as
// C:\var\lib\markd; and a Linux path or device name copied into a Windows
// config (configs/markd.yaml, a Linux counter's config) is refused at load, naming
// its line, instead of being looked for on the current drive.
func TestWineWindowsPaths(t *testing.T) {
	_, markd := markdConfig(t, "office: 426000\n")
	out, code := markd("backup", winPath(filepath.Join(t.TempDir(), "copy.db")))
	if code == 0 || !strings.Contains(out, `\ProgramData\markd\markd.db`) {
		t.Errorf("markd.exe backup without db in the config: exit %d, want the store %%ProgramData%%\\markd\\markd.db named:\n%s", code, out)
	}
	out, code = markd("run")
	if code == 0 || !strings.Contains(out, `\ProgramData\markd\keyring.yaml`) {
		t.Errorf("markd.exe run without keyring in the config: exit %d, want %%ProgramData%%\\markd\\keyring.yaml named:\n%s", code, out)
	}
	for _, c := range []struct{ body, want string }{
		{"office: 426000\ndb: /var/lib/markd/markd.db\n", `markd.yaml:2: db = "/var/lib/markd/markd.db": a Linux path`},
		{"office: 426000\nkeyring: /etc/markd/keyring.yaml\n", `markd.yaml:2: keyring = "/etc/markd/keyring.yaml": a Linux path`},
		{"office: 426000\nsync:\n  bundle_dir: /var/lib/markd/bundles\n", `markd.yaml:3: sync.bundle_dir = "/var/lib/markd/bundles": a Linux path`},
		{"office: 426000\nsources:\n  - kind: serial\n    port: /dev/ttyUSB0\n", `markd.yaml:4: sources[0].port = "/dev/ttyUSB0": a Linux device`},
		{"office: 426000\nscale:\n  port: /dev/ttyS1\n", `markd.yaml:3: scale.port = "/dev/ttyS1": a Linux device`},
		{"office: 426000\nweb:\n  snapshots_dir: /var/lib/markd/snapshots\n", `markd.yaml:3: web.snapshots_dir = "/var/lib/markd/snapshots": a Linux path`},
		{"office: 426000\nsources:\n  - kind: camera\n    input: /dev/video0\n", `markd.yaml:4: sources[0].input = "/dev/video0": a Linux device`},
	} {
		_, markd := markdConfig(t, c.body)
		out, code := markd("backup", winPath(filepath.Join(t.TempDir(), "copy.db")))
		if code != 2 || !strings.Contains(out, c.want) || !strings.Contains(out, `C:\`) && !strings.Contains(out, "COM") && !strings.Contains(out, "dshow") {
			t.Errorf("markd.exe with %q: exit %d, want 2 and %q with a Windows example:\n%s", c.body, code, c.want, out)
		}
	}
}

// TestWineExampleConfig: the example config the zip and the MSI ship
// (markd.yaml.example, from configs/markd.windows.yaml) is taken by
// markd.exe as it is: doctor loads it and checks its source. (They
// shipped Linux's configs/markd.yaml, whose /etc/markd and /var/lib/markd
// paths Windows reads on the current drive.)
func TestWineExampleConfig(t *testing.T) {
	example, err := filepath.Abs(filepath.Join("..", "..", "configs", "markd.windows.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	db := winPath(filepath.Join(t.TempDir(), "markd.db")) // a store of its own, not the prefix's ProgramData
	if out, err := command(t, ctx, "MARKD_EXE", "--config", winPath(example), "init", "--db", db).CombinedOutput(); err != nil {
		t.Fatalf("markd.exe init with the Windows example config: %v:\n%s", err, out)
	}
	out, err := command(t, ctx, "MARKD_EXE", "--config", winPath(example), "doctor", "--db", db).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "keyboard (stdin): ok") {
		t.Errorf("markd.exe doctor with the Windows example config: %v:\n%s", err, out)
	}
}

// TestWineMarkhubWindowsPaths: a Linux path copied into a Windows markhub
// config (configs/markhub.yaml), which Windows would read as \var\lib\markhub
// on the current drive, is refused at load naming its line and a
// Windows example, as markd's are (the defaults in %ProgramData%\markhub:
// TestWineMarkhubFirstStart); an unknown key's error names the
// markhub.yaml.example the zip and the MSI put beside markhub.exe.
func TestWineMarkhubWindowsPaths(t *testing.T) {
	markhub := func(body string, args ...string) (string, int) {
		t.Helper()
		cfg := filepath.Join(t.TempDir(), "markhub.yaml")
		if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := withConfig(t, "MARKHUB_EXE", cfg)(args...)
		return exitCode(t, "markhub.exe "+strings.Join(args, " "), out, err)
	}
	for _, c := range []struct{ body, want string }{
		{"db: /var/lib/markhub/markhub.db\n", `markhub.yaml:1: db = "/var/lib/markhub/markhub.db": a Linux path`},
		{"db: 'C:\\markhub\\hub.db'\ndistribution_key: /etc/markhub/distribution.key\n", `markhub.yaml:2: distribution_key = "/etc/markhub/distribution.key": a Linux path`},
		{"db: 'C:\\markhub\\hub.db'\ntls_cert: /etc/markhub/tls.crt\ntls_key: /etc/markhub/tls.key\n", `markhub.yaml:2: tls_cert = "/etc/markhub/tls.crt": a Linux path`},
	} {
		out, code := markhub(c.body, "terminal", "list")
		if code != 2 || !strings.Contains(out, c.want) || !strings.Contains(out, `C:\`) {
			t.Errorf("markhub.exe with %q: exit %d, want 2 and %q with a Windows example:\n%s", c.body, code, c.want, out)
		}
	}
	// an unknown key: the file that lists every key is the one beside
	// markhub.exe (configs/markhub.yaml is not on a Windows machine)
	if out, code := markhub("db: 'C:\\markhub\\hub.db'\nlisten_addr: 127.0.0.1:8090\n", "terminal", "list"); code != 2 ||
		!strings.Contains(out, `markhub.yaml:2: unknown key "listen_addr"`) || !strings.Contains(out, "markhub.yaml.example beside markhub.exe lists every key") {
		t.Errorf("markhub.exe with an unknown key: exit %d, want 2 naming markhub.yaml.example beside markhub.exe:\n%s", code, out)
	}
	// a PostgreSQL URL is no path
	if out, code := markhub("db_driver: postgres\ndb: postgres://markhub@127.0.0.1:1/markhub\ndb_timeout: 2s\n", "terminal", "list"); code == 2 {
		t.Errorf("markhub.exe with a PostgreSQL URL: refused as a config:\n%s", out)
	}
}
