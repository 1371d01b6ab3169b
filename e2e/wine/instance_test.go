//go:build wine

package wine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"markd/internal/testdata"
	"markd/mark"
)

// TestWineSecondRunRefused: markd.exe run holds its store (LockFileEx); a
// second markd.exe run on it exits 1 saying markd already runs on this
// store, while markd.exe backup and import beside the first still work
// and the first keeps recording.
func TestWineSecondRunRefused(t *testing.T) {
	dir := testdata.Dir(t)
	tmp := t.TempDir()
	var marks []testdata.Vector
	for _, v := range testdata.Vectors(t) {
		if v.Verdict == mark.Accept && v.Context.Office == 426000 && v.Context.MeasuredWeightG == 0 && v.Fields != nil {
			marks = append(marks, v)
		}
	}
	if len(marks) < 3 {
		t.Fatalf("the vectors have %d accepted marks of office 426000, want 3", len(marks))
	}
	db := filepath.Join(tmp, "markd.db")
	cfg := filepath.Join(tmp, "markd.yaml")
	yaml := fmt.Sprintf("office: 426000\ncounter: wine-1\nkeyring: '%s'\ntariffs: '%s'\ndb: '%s'\nhttp:\n  listen: 127.0.0.1:0\nlog:\n  format: json\n",
		winPath(filepath.Join(dir, "keyring.yaml")), winPath(filepath.Join(dir, "tariffs.yaml")), winPath(db))
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*limit)
	defer cancel()
	markd := func(args ...string) *exec.Cmd {
		return command(t, ctx, "MARKD_EXE", append([]string{"--config", winPath(cfg)}, args...)...)
	}
	if out, err := markd("init").CombinedOutput(); err != nil {
		t.Fatalf("markd.exe init: %v: %s", err, out)
	}
	first := startRun(t, markd("run", "--clock", "2026-11-25T07:00:00Z"))
	first.scan(t, ctx, marks[0].Text, mark.Accept)

	second, cancelSecond := context.WithTimeout(ctx, limit) // it would run on
	defer cancelSecond()
	out, err := command(t, second, "MARKD_EXE", "--config", winPath(cfg), "run", "--clock", "2026-11-25T07:00:00Z").CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("a second markd.exe run on the store: %v, want exit 1:\n%s", err, out)
	}
	if s := string(out); !strings.Contains(s, "already running on this store") || !strings.Contains(s, "markd.db") {
		t.Errorf("the second markd.exe run's message names neither the running daemon nor the store:\n%s", s)
	}

	copyDB := filepath.Join(tmp, "copy.db")
	if out, err := markd("backup", winPath(copyDB)).CombinedOutput(); err != nil {
		t.Fatalf("markd.exe backup beside markd.exe run: %v:\n%s", err, out)
	}
	if n := countScans(t, copyDB); n != 1 {
		t.Errorf("scans in the backup: %d, want 1", n)
	}
	lines := filepath.Join(tmp, "scans.jsonl")
	var in strings.Builder
	for _, v := range marks[1:3] {
		fmt.Fprintf(&in, "{\"text\":%q,\"at\":\"2026-11-25T07:01:00Z\"}\n", strings.TrimSpace(v.Text))
	}
	if err := os.WriteFile(lines, []byte(in.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := markd("import", winPath(lines)).CombinedOutput(); err != nil {
		t.Fatalf("markd.exe import beside markd.exe run: %v:\n%s", err, out)
	}

	// imported meanwhile: a rescan (DUPLICATE_SCAN) or a reuse (REJECT)
	first.scan(t, ctx, marks[1].Text, mark.DuplicateScan, mark.Reject)
	first.stop()
	if n := countScans(t, db); n != 4 {
		t.Errorf("scans in the store: %d, want 4 (2 by run, 2 by import)", n)
	}
}

// running is a markd.exe run with the stdin source.
type running struct {
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	verdicts chan map[string]any
	url      string              // its HTTP server, from the "listening" line
	logs     chan map[string]any // its log lines (startRunLogs only; read them)
}

// startRun starts cmd (a markd.exe run with the stdin source and a JSON
// log) and waits for its "listening" line; the rest of its log is read
// and dropped.
func startRun(t *testing.T, cmd *exec.Cmd) *running { t.Helper(); return startRunLogs(t, cmd, false) }

// startRunLogs is startRun that, with keep, hands the log lines after
// "listening" to the test in r.logs, which must then be read (a full pipe
// would stop the daemon).
func startRunLogs(t *testing.T, cmd *exec.Cmd, keep bool) *running {
	t.Helper()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &running{cmd: cmd, stdin: stdin, verdicts: make(chan map[string]any, 8)}
	t.Cleanup(r.stop)
	logs := make(chan map[string]any, 64)
	go readJSON(stderr, logs)
	go readJSON(stdout, r.verdicts)
	waitLog(t, logs, "listening", func(m map[string]any) { r.url, _ = m["url"].(string) }, nil)
	if keep {
		r.logs = logs
		return r
	}
	go func() { // keep reading the log: a full pipe would stop the daemon
		for range logs {
		}
	}()
	return r
}

// scan sends text on stdin and checks the verdict line's verdict is one of want.
func (r *running) scan(t *testing.T, ctx context.Context, text string, want ...mark.Verdict) {
	t.Helper()
	v := r.verdict(t, ctx, text)
	for _, w := range want {
		if v["verdict"] == string(w) {
			return
		}
	}
	t.Fatalf("verdict line %v, want %v", v, want)
}

// verdict sends text on stdin and returns its verdict line.
func (r *running) verdict(t *testing.T, ctx context.Context, text string) map[string]any {
	t.Helper()
	if _, err := io.WriteString(r.stdin, strings.TrimSpace(text)+"\r\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case v, ok := <-r.verdicts:
		if !ok {
			t.Fatal("markd.exe run ended")
		}
		return v
	case <-ctx.Done():
		t.Fatal("no verdict line from markd.exe run")
	}
	return nil
}

func (r *running) stop() {
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
}

// countScans reads the number of rows in scans of a store file.
func countScans(t *testing.T, path string) int {
	t.Helper()
	// '#', '?' and '%' escaped: SQLite's URI syntax (store.uriPath)
	uri := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	sdb, err := sql.Open("sqlite3", "file:"+uri+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	var n int
	if err := sdb.QueryRow(`SELECT count(*) FROM scans`).Scan(&n); err != nil {
		t.Fatalf("scans in %s: %v", path, err)
	}
	return n
}

// TestWinePathsWithSpacesAndCyrillic: the config, the lists, the store,
// its control file, a backup and an import file in folders with spaces,
// Cyrillic letters and a '#' (a user folder "Почта", "Мои документы",
// "Касса #2"): init,
// run, reload over the control channel, backup and import beside the
// daemon, doctor --deep.
func TestWinePathsWithSpacesAndCyrillic(t *testing.T) {
	src := testdata.Dir(t)
	dir := filepath.Join(t.TempDir(), "Почта", "Мои документы", "Касса #2")
	if err := os.MkdirAll(filepath.Join(dir, "резервные копии"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"keyring.yaml", "tariffs.yaml"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var marks []testdata.Vector
	for _, v := range testdata.Vectors(t) {
		if v.Verdict == mark.Accept && v.Context.Office == 426000 && v.Context.MeasuredWeightG == 0 && v.Fields != nil {
			marks = append(marks, v)
		}
	}
	if len(marks) < 2 {
		t.Fatalf("the vectors have %d accepted marks of office 426000, want 2", len(marks))
	}
	w := winPath(dir)
	cfg := filepath.Join(dir, "настройки markd.yaml")
	yaml := fmt.Sprintf("office: 426000\ncounter: 'Окно 1'\nkeyring: '%s\\keyring.yaml'\ntariffs: '%s\\tariffs.yaml'\ndb: '%s\\марки.db'\nhttp:\n  listen: 127.0.0.1:0\nlog:\n  format: json\n", w, w, w)
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*limit)
	defer cancel()
	markd := func(args ...string) *exec.Cmd {
		return command(t, ctx, "MARKD_EXE", append([]string{"--config", winPath(cfg)}, args...)...)
	}
	must := func(want string, args ...string) {
		t.Helper()
		out, err := markd(args...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), want) {
			t.Fatalf("markd.exe %s: %v, want %q in:\n%s", strings.Join(args, " "), err, want, out)
		}
	}
	must("created", "init")
	d := startRun(t, markd("run", "--clock", "2026-11-25T07:00:00Z"))
	d.scan(t, ctx, marks[0].Text, mark.Accept)
	if _, err := os.Stat(filepath.Join(dir, "markd.control")); err != nil {
		t.Errorf("control file beside the store: %v", err)
	}
	must("lists reloaded", "reload")
	backup := filepath.Join(dir, "резервные копии", "копия 1.db")
	must("written to", "backup", winPath(backup))
	lines := filepath.Join(dir, "сканы за день.txt")
	line := fmt.Sprintf("{\"text\":%q,\"at\":\"2026-11-25T07:01:00Z\"}\r\n", strings.TrimSpace(marks[1].Text))
	if err := os.WriteFile(lines, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	must("", "import", winPath(lines))
	d.stop()
	must("ok", "doctor", "--deep")
	if n := countScans(t, filepath.Join(dir, "марки.db")); n != 2 {
		t.Errorf("scans in the store: %d, want 2", n)
	}
	if n := countScans(t, backup); n != 1 {
		t.Errorf("scans in the backup: %d, want 1", n)
	}
}
