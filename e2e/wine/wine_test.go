//go:build wine

package wine

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"markd/internal/testdata"
	"markd/mark"
)

// exe returns the path of a Windows binary named by an environment
// variable (MARKD_EXE, MARKHUB_EXE) and the wine to run it with.
func exe(t *testing.T, env string) (wine, path string) {
	t.Helper()
	path = os.Getenv(env)
	if path == "" {
		t.Fatalf("%s is not set: run scripts/wine-test.sh", env)
	}
	wine = os.Getenv("WINE")
	if wine == "" {
		wine = "wine"
	}
	return wine, path
}

// winPath is the name of a Linux path on wine's drive Z: (the root).
func winPath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		panic(err)
	}
	return `Z:` + strings.ReplaceAll(abs, "/", `\`)
}

// limit bounds every wine run, so a wedged wine fails the test instead of
// hanging it (not a speed check).
const limit = 90 * time.Second

func command(t *testing.T, ctx context.Context, env string, args ...string) *exec.Cmd {
	wine, path := exe(t, env)
	cmd := exec.CommandContext(ctx, wine, append([]string{path}, args...)...)
	cmd.Env = append(os.Environ(), "WINEDEBUG=-all")
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// withConfig returns a runner of the program of env (MARKD_EXE,
// MARKHUB_EXE) with --config cfg and args: its combined output, and its
// error (an error that is not an *exec.ExitError when it did not end
// within limit).
func withConfig(t *testing.T, env, cfg string) func(args ...string) (string, error) {
	return func(args ...string) (string, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		defer cancel()
		out, err := command(t, ctx, env, append([]string{"--config", winPath(cfg)}, args...)...).CombinedOutput()
		if ctx.Err() != nil {
			err = fmt.Errorf("no end within %v: %w", limit, ctx.Err())
		}
		return string(out), err
	}
}

// exitCode is the exit code of a run of withConfig; a run that did not
// run or end fails t.
func exitCode(t *testing.T, what string, out string, err error) (string, int) {
	t.Helper()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out, 0
	case errors.As(err, &exit):
		return out, exit.ExitCode()
	}
	t.Fatalf("%s: %v\n%s", what, err, out)
	return "", -1
}

func TestWineVersion(t *testing.T) {
	for _, env := range []string{"MARKD_EXE", "MARKHUB_EXE"} {
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		out, err := command(t, ctx, env, "version").CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("%s version: %v: %s", env, err, out)
		}
		if !strings.Contains(string(out), "windows/amd64") {
			t.Errorf("%s version: %q, want windows/amd64 in it", env, out)
		}
	}
}

type verifyLine struct {
	Line    int           `json:"line"`
	Verdict mark.Verdict  `json:"verdict"`
	Reasons []mark.Reason `json:"reasons"`
	Mark    *mark.Fields  `json:"mark"`
}

// TestWineVectors runs every public vector through markd.exe verify: one
// run per acceptance context, the texts on stdin (CRLF kept where a vector
// has it). The zone is Europe/Moscow, the default: wine has no zone files,
// so this needs the embedded tzdata.
func TestWineVectors(t *testing.T) {
	dir := testdata.Dir(t)
	groups := map[string][]testdata.Vector{}
	var keys []string
	for _, v := range testdata.Vectors(t) {
		k := fmt.Sprintf("%d %s %d", v.Context.Office, v.Context.Date, v.Context.MeasuredWeightG)
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], v)
	}
	n := 0
	for _, k := range keys {
		vs := groups[k]
		c := vs[0].Context
		args := []string{"verify", "--keyring", winPath(filepath.Join(dir, "keyring.yaml")),
			"--tariffs", winPath(filepath.Join(dir, "tariffs.yaml")),
			"--office", strconv.Itoa(int(c.Office)), "--date", c.Date}
		if c.MeasuredWeightG != 0 {
			args = append(args, "--weight", strconv.Itoa(c.MeasuredWeightG))
		}
		var in strings.Builder
		for _, v := range vs {
			in.WriteString(strings.TrimSuffix(v.Text, "\n") + "\n")
		}
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		cmd := command(t, ctx, "MARKD_EXE", args...)
		cmd.Stdin = strings.NewReader(in.String())
		var errb strings.Builder
		cmd.Stderr = &errb
		out, err := cmd.Output()
		cancel()
		if err != nil {
			t.Fatalf("context %s: %v: %s", k, err, errb.String())
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != len(vs) {
			t.Fatalf("context %s: %d output lines for %d vectors:\n%s", k, len(lines), len(vs), out)
		}
		for i, l := range lines {
			var o verifyLine
			if err := json.Unmarshal([]byte(l), &o); err != nil {
				t.Fatalf("line %q: %v", l, err)
			}
			v := vs[i]
			if o.Line != i+1 || o.Verdict != v.Verdict || !reflect.DeepEqual(o.Reasons, append([]mark.Reason{}, v.Reasons...)) {
				t.Errorf("%s: line %d %s %v, want line %d %s %v", v.Name, o.Line, o.Verdict, o.Reasons, i+1, v.Verdict, v.Reasons)
			}
			if v.Fields != nil && (o.Mark == nil || *o.Mark != *v.Fields) {
				t.Errorf("%s: mark %+v, want %+v", v.Name, o.Mark, v.Fields)
			}
			n++
		}
	}
	if n < 40 {
		t.Fatalf("only %d vectors checked", n)
	}
}

// TestWineRun starts markd.exe run with the stdin source and a SQLite
// store, checks /healthz, scans a good mark, revokes a second mark by
// editing the revocation file (the file watch reloads it), scans that one,
// and reads both records back from the store file after the process ends.
func TestWineRun(t *testing.T) {
	dir := testdata.Dir(t)
	tmp := t.TempDir()
	var good, later testdata.Vector
	for _, v := range testdata.Vectors(t) {
		if v.Verdict == mark.Accept && v.Context.Office == 426000 && v.Context.MeasuredWeightG == 0 && v.Fields != nil {
			if good.Text == "" {
				good = v
			} else if v.Fields.Serial != good.Fields.Serial {
				later = v
				break
			}
		}
	}
	if later.Text == "" {
		t.Fatal("the vectors have no two accepted marks")
	}
	revoked := filepath.Join(tmp, "revoked.txt")
	if err := os.WriteFile(revoked, []byte("# none yet\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(tmp, "markd.db")
	cfg := filepath.Join(tmp, "markd.yaml")
	yaml := fmt.Sprintf("office: 426000\ncounter: wine-1\ntz: Europe/Moscow\nkeyring: '%s'\ntariffs: '%s'\nrevoked: '%s'\ndb: '%s'\nhttp:\n  listen: 127.0.0.1:0\nlog:\n  format: json\n  level: info\n",
		winPath(filepath.Join(dir, "keyring.yaml")), winPath(filepath.Join(dir, "tariffs.yaml")), winPath(revoked), winPath(db))
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*limit)
	defer cancel()
	if out, err := command(t, ctx, "MARKD_EXE", "--config", winPath(cfg), "init").CombinedOutput(); err != nil {
		t.Fatalf("markd.exe init: %v: %s", err, out)
	}
	d := startRunLogs(t, command(t, ctx, "MARKD_EXE", "--config", winPath(cfg), "run", "--clock", "2026-11-25T07:00:00Z"), true)
	logs := d.logs
	res, err := http.Get(d.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("/healthz: %d %s", res.StatusCode, body)
	}

	scan := func(text string, want mark.Verdict, reason mark.Reason) {
		t.Helper()
		if v := d.verdict(t, ctx, text); v["verdict"] != string(want) || (reason != "" && !strings.Contains(fmt.Sprint(v["reasons"]), string(reason))) {
			t.Fatalf("verdict line %v, want %s %s", v, want, reason)
		}
	}
	scan(good.Text, mark.Accept, "")
	// The watch starts beside the HTTP server, maybe after "listening": the
	// file is written again until the reload shows that it was seen. Each
	// write replaces the file by rename: one written in place could be
	// read by a reload between its truncation and its write (an empty
	// list reloaded, the mark accepted; seen once in make test).
	revoke := func() {
		tmpFile := revoked + ".new"
		if err := os.WriteFile(tmpFile, []byte(strconv.FormatUint(later.Fields.Serial, 10)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmpFile, revoked); err != nil {
			t.Fatal(err)
		}
	}
	revoke()
	waitLog(t, logs, "lists reloaded", func(map[string]any) {}, revoke)
	scan(later.Text, mark.Reject, mark.ReasonRevoked)

	d.stop()
	if n := countScans(t, db); n != 2 {
		t.Fatalf("scans in the store after the run: %d, want 2", n)
	}
}

// readJSON sends each JSON object line of r to ch (other lines are skipped:
// wine may print its own).
func readJSON(r io.Reader, ch chan<- map[string]any) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			ch <- m
		}
	}
	close(ch)
}

// waitLog waits for the log record with message msg; then calls f with it.
// Meanwhile it calls poke, when not nil, every 2 seconds.
func waitLog(t *testing.T, logs <-chan map[string]any, msg string, f func(map[string]any), poke func()) {
	t.Helper()
	deadline := time.After(limit)
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			if poke != nil {
				poke()
			}
		case m, ok := <-logs:
			if !ok {
				t.Fatalf("markd.exe ended before logging %q", msg)
			}
			if m["msg"] == msg {
				f(m)
				return
			}
			if m["level"] == "ERROR" {
				t.Logf("markd.exe: %v", m)
			}
		case <-deadline:
			t.Fatalf("no %q in the log of markd.exe", msg)
		}
	}
}

// TestWineDoctor: markd.exe doctor lists the COM ports (wine makes some)
// and gives Windows advice, never apt-get or the dialout group; it finds
// the store markd.exe init made.
func TestWineDoctor(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "markd.yaml")
	if err := os.WriteFile(cfg, []byte("office: 426000\ndb: '"+winPath(filepath.Join(dir, "markd.db"))+"'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	if out, err := command(t, ctx, "MARKD_EXE", "--config", winPath(cfg), "init").CombinedOutput(); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	out, err := command(t, ctx, "MARKD_EXE", "--config", winPath(cfg), "doctor").CombinedOutput()
	if err != nil {
		t.Fatalf("doctor: %v\n%s", err, out)
	}
	s := string(out)
	for _, want := range []string{"Serial ports:", "browser wedge", "Cameras (DirectShow):", "ffmpeg:", "markd.db: ok"} {
		if !strings.Contains(s, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, s)
		}
	}
	for _, bad := range []string{"apt-get", "dialout", "/dev/"} {
		if strings.Contains(s, bad) {
			t.Errorf("doctor gives Linux advice %q on Windows:\n%s", bad, s)
		}
	}
	t.Logf("doctor under wine:\n%s", s)
}

// TestWineDoctorPorts: markd.exe doctor with serial sources on COM ports
// that are not there (COM3, \\.\COM10) says so and names the ports this
// PC has (wine makes COM1); COM1 itself opens.
func TestWineDoctorPorts(t *testing.T) {
	_, markd := markdConfig(t, "office: 426000\nsources:\n  - kind: serial\n    name: front\n    port: COM3\n"+
		"  - kind: serial\n    name: back\n    port: '\\\\.\\COM10'\n  - kind: serial\n    name: one\n    port: COM1\n")
	out, code := markd("doctor")
	if code != 1 {
		t.Errorf("doctor with two absent ports: exit %d, want 1:\n%s", code, out)
	}
	for _, want := range []string{
		"front (serial): PROBLEM: COM3: no such port on this PC (ports here: COM1)",
		`back (serial): PROBLEM: \\.\COM10: no such port on this PC (ports here: COM1)`,
		"one (serial): ok",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out)
		}
	}
}
