//go:build unix

package main

import (
	"context"
	"database/sql"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"markd/internal/testdata"
)

// hubExitRow is one row of the exit code table of docs/operations.md as
// the real markhub binary gives it (cmd as in the table's first column).
type hubExitRow struct {
	cmd  string
	code int
	name string
	args func(t *testing.T, dir string) []string
	want string // in stderr
}

func hubExitRows() []hubExitRow {
	serve := func(extra ...string) func(t *testing.T, dir string) []string {
		return func(t *testing.T, dir string) []string {
			return append([]string{"serve", "--db", filepath.Join(dir, "hub.db"), "--listen", "127.0.0.1:0"}, extra...)
		}
	}
	return []hubExitRow{
		{cmd: "markhub serve", code: 78, name: "unknown key", args: func(t *testing.T, dir string) []string {
			cfg := filepath.Join(dir, "markhub.yaml")
			if err := os.WriteFile(cfg, []byte("lisen: 127.0.0.1:0\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			return append([]string{"--config", cfg}, serve()(t, dir)...)
		}, want: `unknown key "lisen"`},
		{cmd: "markhub serve", code: 78, name: "bad value", args: serve("--db-driver", "mysql"), want: `flag --db-driver: db_driver = "mysql": must be sqlite or postgres`},
		{cmd: "markhub serve", code: 78, name: "config file missing", args: func(t *testing.T, dir string) []string {
			return append([]string{"--config", filepath.Join(dir, "none.yaml")}, serve()(t, dir)...)
		}, want: "none.yaml does not exist"},
		{cmd: "markhub serve", code: 78, name: "database of a newer markhub", args: func(t *testing.T, dir string) []string {
			db, err := sql.Open("sqlite3", filepath.Join(dir, "hub.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);
				INSERT INTO schema_migrations VALUES (999, '999_newer.sql', 'x')`); err != nil {
				t.Fatal(err)
			}
			return serve()(t, dir)
		}, want: "migration 999 applied, this markhub knows up to"},
		{cmd: "markhub serve", code: 1, name: "PostgreSQL not answering", args: func(t *testing.T, dir string) []string {
			return []string{"serve", "--db-driver", "postgres", "--db", "postgres://markhub@" + closedPort(t) + "/markhub", "--listen", "127.0.0.1:0"}
		}, want: "connect"},
		{cmd: "markhub serve", code: 1, name: "port taken", args: func(t *testing.T, dir string) []string {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
			return []string{"serve", "--db", filepath.Join(dir, "hub.db"), "--listen", l.Addr().String()}
		}, want: "listen 127.0.0.1:"},
		{cmd: "markhub serve", code: 2, name: "argument", args: serve("now"), want: `markhub serve takes no arguments, got "now"`},
		{cmd: "other markhub commands", code: 0, name: "version", args: func(*testing.T, string) []string { return []string{"version"} }},
		{cmd: "other markhub commands", code: 1, name: "remove an unknown account", args: func(t *testing.T, dir string) []string {
			return []string{"user", "remove", "nobody-here", "--db", filepath.Join(dir, "hub.db")}
		}, want: `user "nobody-here"`},
		{cmd: "other markhub commands", code: 2, name: "unknown command", args: func(*testing.T, string) []string { return []string{"serv"} },
			want: `unknown command "serv"`},
	}
}

// closedPort is an address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestHubExitCodes: the real markhub binary exits with the code of each
// row; a config markhub serve refuses is 78, which a unit with
// RestartPreventExitStatus=78 does not restart (it exited 2, as a panic
// does), while PostgreSQL not answering or the port taken stay 1.
func TestHubExitCodes(t *testing.T) {
	bin, _ := buildBinaries(t)
	for _, r := range hubExitRows() {
		t.Run(r.cmd+" "+strconv.Itoa(r.code)+" "+r.name, func(t *testing.T) {
			cmd := exec.Command(bin, r.args(t, t.TempDir())...)
			code, stderr := testdata.RunExit(t, cmd)
			if code != r.code || !strings.Contains(stderr, r.want) {
				t.Errorf("markhub %s: exit %d, want %d and %q:\n%s", strings.Join(cmd.Args[1:], " "), code, r.code, r.want, stderr)
			}
		})
	}
}

// TestHubExitCodesDocumented: the exit code table of docs/operations.md
// has a row for each markhub command and code checked above, and no
// other; markhub serve --help names them.
func TestHubExitCodesDocumented(t *testing.T) {
	tested := map[string]bool{
		"markhub serve 0": true, // TestServeStopsOnSIGTERM
		// e2e/wine TestWineMarkhubService (scripts/wine-test.sh)
		"markhub service run (the Windows service) 0":              true,
		"markhub service run (the Windows service) service code 1": true,
	}
	for _, r := range hubExitRows() {
		tested[r.cmd+" "+strconv.Itoa(r.code)] = true
	}
	testdata.CheckExitTable(t, "markhub", tested, "TestHubExitCodes")
	var out, errb strings.Builder
	if code := run(context.Background(), []string{"serve", "--help"}, &out, &errb); code != 0 {
		t.Fatalf("markhub serve --help: exit %d: %s", code, errb.String())
	}
	help := strings.Join(strings.Fields(out.String()), " ")
	for _, want := range []string{"Exit status: 0 when stopped", "; 78 when", "; 1 on", "; 2 on a wrong command line"} {
		if !strings.Contains(help, want) {
			t.Errorf("markhub serve --help lacks %q:\n%s", want, out.String())
		}
	}
}
