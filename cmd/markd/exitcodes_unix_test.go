//go:build unix

package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"markd/internal/testdata"
)

// exitRow is one row of the exit code table of docs/operations.md as the
// real markd binary gives it: the command, its exit code, the case, and
// what its message must say.
type exitRow struct {
	cmd  string // as in the table's first column: "markd run", "other markd commands"
	code int
	name string
	// args builds the case in dir (a config or a store there) and returns
	// the command line.
	args func(t *testing.T, dir string) []string
	want string // in stderr
}

// exitCfg writes a daemon config into dir (dmConfig, the store made) with
// extra appended, or with old replaced by new when extra is "old=>new".
func exitCfg(t *testing.T, dir, extra string) string {
	t.Helper()
	cfg := dmConfig(t, dir, "")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	body := string(b) + extra
	if old, repl, ok := strings.Cut(extra, "=>"); ok {
		body = strings.Replace(string(b), old, repl, 1)
	}
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(cfg, 0o644); err != nil { // the service user reads it
		t.Fatal(err)
	}
	return cfg
}

func runWith(extra string) func(t *testing.T, dir string) []string {
	return func(t *testing.T, dir string) []string {
		return []string{"run", "--quiet", "--config", exitCfg(t, dir, extra)}
	}
}

// markdExitRows: every exit code of markd run (systemd restarts it after
// 1, never after 78) and examples of the other commands'.
func markdExitRows() []exitRow {
	return []exitRow{
		{cmd: "markd run", code: 78, name: "unknown key", args: runWith("ofice: 1\n"), want: `unknown key "ofice"`},
		{cmd: "markd run", code: 78, name: "key given twice", args: runWith("office: 426001\n"), want: `key "office" is given twice`},
		{cmd: "markd run", code: 78, name: "not YAML", args: runWith("http: [\n"), want: "not valid YAML"},
		{cmd: "markd run", code: 78, name: "bad value", args: runWith("rescan_window: 10m=>rescan_window: soon"), want: `rescan_window = "soon"`},
		{cmd: "markd run", code: 78, name: "unknown tz", args: runWith("Europe/Samara=>Europe/Nowhere"), want: `tz = "Europe/Nowhere"`},
		{cmd: "markd run", code: 78, name: "no office", args: runWith("office: 426000=>office: 0"), want: "markd.yaml:1: office = 0: required"}, // named no file:line before
		{cmd: "markd run", code: 78, name: "port pattern", args: runWith("sources:\n  - kind: serial\n    port: \"/dev/tty[[\"\n"), want: "not a valid glob pattern"},
		{cmd: "markd run", code: 78, name: "listen off loopback without TLS", args: runWith("127.0.0.1:0=>0.0.0.0:0"), want: `markd.yaml:9: http.listen = "0.0.0.0:0": not a loopback address`}, // named no file:line before
		// the config audit: a port out of range failed at listen (exit 1,
		// restarted for ever with the hint of a port taken); a duration
		// without unit ran on nanoseconds; an empty file ran on defaults
		{cmd: "markd run", code: 78, name: "listen port out of range", args: runWith("127.0.0.1:0=>127.0.0.1:99999"), want: `http.listen = "127.0.0.1:99999": the port must be 0..65535`},
		{cmd: "markd run", code: 78, name: "duration without unit", args: runWith("rescan_window: 10m=>rescan_window: 10"), want: `rescan_window = 10: needs a unit`},
		{cmd: "markd run", code: 78, name: "config file empty", args: func(t *testing.T, dir string) []string {
			cfg := exitCfg(t, dir, "")
			if err := os.WriteFile(cfg, []byte("# office: 426000\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			return []string{"run", "--config", cfg}
		}, want: "is empty (no key set)"},
		{cmd: "markd run", code: 78, name: "keyring missing", args: func(t *testing.T, dir string) []string {
			return []string{"run", "--quiet", "--config", exitCfg(t, dir, testdata.Dir(t)+"/keyring.yaml=>"+dir+"/gone.yaml")}
		}, want: "gone.yaml"},
		{cmd: "markd run", code: 78, name: "config file missing", args: func(t *testing.T, dir string) []string {
			return []string{"run", "--config", filepath.Join(dir, "none.yaml")}
		}, want: "none.yaml does not exist"},
		{cmd: "markd run", code: 78, name: "store missing", args: func(t *testing.T, dir string) []string {
			return []string{"run", "--config", exitCfg(t, dir, ""), "--db", filepath.Join(dir, "typo.db")}
		}, want: "typo.db does not exist"},
		{cmd: "markd run", code: 78, name: "store empty", args: func(t *testing.T, dir string) []string {
			cfg := exitCfg(t, dir, "")
			if err := os.Truncate(filepath.Join(dir, "markd.db"), 0); err != nil {
				t.Fatal(err)
			}
			return []string{"run", "--config", cfg}
		}, want: "empty (0 bytes)"},
		{cmd: "markd run", code: 78, name: "store not SQLite", args: func(t *testing.T, dir string) []string {
			cfg := exitCfg(t, dir, "")
			if err := os.WriteFile(filepath.Join(dir, "other.db"), []byte("a text file\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			return []string{"run", "--config", cfg, "--db", filepath.Join(dir, "other.db")}
		}, want: "not an SQLite database"},
		{cmd: "markd run", code: 78, name: "store migrated by a newer markd", args: func(t *testing.T, dir string) []string {
			cfg := exitCfg(t, dir, "")
			raw, err := sql.Open("sqlite3", filepath.Join(dir, "markd.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			if _, err := raw.Exec(`INSERT INTO schema_migrations(version, name, applied_at) VALUES (999, '999_future.sql', 'x')`); err != nil {
				t.Fatal(err)
			}
			return []string{"run", "--config", cfg}
		}, want: "newer than this markd"},
		{cmd: "markd run", code: 1, name: "port taken", args: func(t *testing.T, dir string) []string {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
			return []string{"run", "--quiet", "--config", exitCfg(t, dir, "127.0.0.1:0=>"+l.Addr().String())}
		}, want: "listen on 127.0.0.1:"},
		// the audit: a store another program kept locked failed with
		// "database is locked", naming neither the file nor the holder
		{cmd: "markd run", code: 1, name: "store locked by another program", args: func(t *testing.T, dir string) []string {
			cfg := exitCfg(t, dir, "")
			holdStoreLock(t, filepath.Join(dir, "markd.db"))
			return []string{"run", "--quiet", "--config", cfg}
		}, want: "(markd.test) holds a lock on " + "/"},
		{cmd: "markd run", code: 1, name: "disk full", args: func(t *testing.T, dir string) []string {
			// a real full disk: a tmpfs of 3 MB under the store, filled
			mnt := filepath.Join(dir, "disk")
			if err := os.Mkdir(mnt, 0o755); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mnt).CombinedOutput(); err != nil {
				t.Skipf("cannot mount a small tmpfs (needs root): %v %s", err, out)
			}
			t.Cleanup(func() { _ = exec.Command("umount", "-l", mnt).Run() })
			cfg := exitCfg(t, mnt, "")
			f, err := os.Create(filepath.Join(mnt, "fill"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			for buf := make([]byte, 64<<10); ; {
				if _, err := f.Write(buf); err != nil {
					break // full
				}
			}
			return []string{"run", "--quiet", "--config", cfg}
		}, want: "hint: disk full: free space on the disk of "},
		{cmd: "markd run", code: 2, name: "argument", args: func(t *testing.T, dir string) []string {
			return []string{"run", "--config", exitCfg(t, dir, ""), "now"}
		}, want: `markd run takes no arguments`},
		{cmd: "markd run", code: 2, name: "unknown flag", args: func(t *testing.T, dir string) []string {
			return []string{"run", "--config", exitCfg(t, dir, ""), "--quite"}
		}, want: "unknown flag: --quite"},
		{cmd: "markd reload", code: 0, name: "lists of a signed bundle in force", args: func(t *testing.T, dir string) []string {
			_, cfg := dmBundleDaemon(t, dir)
			return []string{"reload", "--config", cfg, "--timeout", "20s"}
		}},
		{cmd: "markd reload", code: 1, name: "no daemon", args: func(t *testing.T, dir string) []string {
			return []string{"reload", "--config", exitCfg(t, dir, ""), "--timeout", "2s"}
		}, want: "markd is not running"},
		{cmd: "markd reload", code: 2, name: "config does not load", args: func(t *testing.T, dir string) []string {
			return []string{"reload", "--config", exitCfg(t, dir, "ofice: 1\n")}
		}, want: `unknown key "ofice"`},
		{cmd: "other markd commands", code: 0, name: "version", args: func(*testing.T, string) []string { return []string{"version"} }},
		{cmd: "other markd commands", code: 1, name: "doctor --deep on a missing store", args: func(t *testing.T, dir string) []string {
			return []string{"doctor", "--deep", "--config", exitCfg(t, dir, ""), "--db", filepath.Join(dir, "typo.db")}
		}, want: "typo.db does not exist"},
		{cmd: "other markd commands", code: 2, name: "backup with a bad config", args: func(t *testing.T, dir string) []string {
			return []string{"backup", filepath.Join(dir, "copy.db"), "--config", exitCfg(t, dir, "ofice: 1\n")}
		}, want: `unknown key "ofice"`},
		{cmd: "other markd commands", code: 2, name: "doctor with a bad value", args: func(t *testing.T, dir string) []string {
			return []string{"doctor", "--config", exitCfg(t, dir, "office: 426000=>office: 0426000")}
		}, want: `office = "0426000": must be a whole number written in decimal`},
		{cmd: "other markd commands", code: 2, name: "unknown command", args: func(*testing.T, string) []string { return []string{"rn"} },
			want: `unknown command "rn"`},
	}
}

// TestExitCodes: the real markd binary exits with the code of each row of
// the table; a config or a store no restart can mend is 78, which the
// systemd unit does not restart (RestartPreventExitStatus=78), where
// markd run exited 2 or 1 and systemd started it again every 2 s for ever.
func TestExitCodes(t *testing.T) {
	bin := dmBinary(t)
	for _, r := range markdExitRows() {
		t.Run(r.cmd+" "+strconv.Itoa(r.code)+" "+r.name, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(bin, r.args(t, dir)...)
			code, stderr := testdata.RunExit(t, cmd)
			if code != r.code || !strings.Contains(stderr, r.want) {
				t.Errorf("%s: exit %d, want %d and %q:\n%s", strings.Join(cmd.Args[1:], " "), code, r.code, r.want, stderr)
			}
		})
	}
}

// TestRunExitsZeroOnSIGTERM: markd run stopped by SIGTERM (systemctl
// stop) exits 0 (the table's markd run 0 row).
func TestRunExitsZeroOnSIGTERM(t *testing.T) {
	p := dmStart(t, dmBinary(t), "--quiet", "--config", exitCfg(t, t.TempDir(), ""))
	p.waitLog(t, regexp.MustCompile(`msg=listening`), 0)
	p.stop(t)
}

// TestRunStoreNotWritableExits78: a store the service user may not write
// (made by root, 0644) cannot be mended by a restart: markd run exits 78
// with the chown to run, where it exited 1 and systemd restarted it every
// 2 s. Needs root to run markd as nobody.
func TestRunStoreNotWritableExits78(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run markd as another user")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil { // nobody may look, not write
			t.Fatal(err)
		}
	}
	cfg := exitCfg(t, dir, "")
	db := filepath.Join(dir, "markd.db")
	if err := os.Chmod(db, 0o644); err != nil {
		t.Fatal(err)
	}
	self, err := os.ReadFile(dmBinary(t)) // the build folder is root's only
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "markd")
	if err := os.WriteFile(bin, self, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--quiet", "--config", cfg)
	cmd.Stdin = strings.NewReader("")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 78 || !strings.Contains(string(out), fmt.Sprintf("chown nobody %s", db)) {
		t.Fatalf("markd run as nobody on root's store: %v, want exit 78 and the chown:\n%s", err, out)
	}
}

// TestExitCodesDocumented: the exit code table of docs/operations.md has
// a row for each command and code the rows above (and the SIGTERM test)
// check with the real binary, and no other; markd run --help names them.
func TestExitCodesDocumented(t *testing.T) {
	tested := map[string]bool{
		"markd run 0": true, // TestRunExitsZeroOnSIGTERM
		// e2e/wine TestWineServiceNotRestarted (scripts/wine-test.sh)
		"markd service run (the Windows service) 0":              true,
		"markd service run (the Windows service) service code 1": true,
	}
	for _, r := range markdExitRows() {
		tested[r.cmd+" "+strconv.Itoa(r.code)] = true
	}
	testdata.CheckExitTable(t, "markd", tested, "TestExitCodes")
	var out, errb strings.Builder
	if code := run(context.Background(), []string{"run", "--help"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("markd run --help: exit %d: %s", code, errb.String())
	}
	help := strings.Join(strings.Fields(out.String()), " ")
	for _, want := range []string{"Exit status: 0 when stopped", "; 78 when no restart can mend", "; 1 on other failures", "; 2 on a wrong command line"} {
		if !strings.Contains(help, want) {
			t.Errorf("markd run --help lacks %q:\n%s", want, out.String())
		}
	}
}

// holdStoreLock takes the write lock of the store at path in this process
// (as the sqlite3 shell does in a transaction) until the test ends.
func holdStoreLock(t *testing.T, path string) {
	t.Helper()
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := raw.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		conn.Close()
		raw.Close()
	})
}
