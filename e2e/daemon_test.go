package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"markd/hub/hubtest"
	"markd/internal/browsertest"
	"markd/internal/testdata"
)

// repoRoot is the module root, one up from this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

var (
	buildOnce sync.Once
	buildBin  string
	buildErr  error
	buildDir  string
)

// markdBinary builds cmd/markd once per test run.
func markdBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "markd-e2e-bin-")
		if buildErr != nil {
			return
		}
		buildBin = filepath.Join(buildDir, "markd")
		cmd := exec.Command("go", "build", "-o", buildBin, "./cmd/markd")
		cmd.Dir = repoRoot(t)
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/markd: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

// TestMain shares one Chromium among the browser tests, each in a browser
// context of its own, and one PostgreSQL cluster among the tests on it,
// each in a database of its own (hubtest.SharedDatabase), and removes
// the markd built once (markdBin) after.
func TestMain(m *testing.M) {
	code := browsertest.Main(m)
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	if err := hubtest.StopShared(); err != nil {
		fmt.Fprintln(os.Stderr, "stop the shared PostgreSQL cluster:", err)
		code = max(code, 1)
	}
	os.Exit(code)
}

// vector returns the text of a named test vector.
func vector(t *testing.T, name string) string {
	t.Helper()
	return testdata.VectorNamed(t, name).Text
}

// daemon is a running `markd run`.
type daemon struct {
	URL   string
	stdin io.WriteCloser
	cmd   *exec.Cmd
	mu    sync.Mutex
	log   bytes.Buffer
}

// scan writes one line to the daemon's stdin, as a scanner would.
func (d *daemon) scan(t *testing.T, text string) {
	t.Helper()
	if _, err := io.WriteString(d.stdin, text+"\n"); err != nil {
		t.Fatalf("write scan to markd stdin: %v", err)
	}
}

// waitOutput waits until the daemon printed substr (a guard of 30 s
// against hanging, not a speed assertion).
func (d *daemon) waitOutput(t *testing.T, substr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(d.output(), substr) {
		if time.Now().After(deadline) {
			t.Fatalf("markd run never printed %s:\n%s", substr, d.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (d *daemon) output() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.log.String()
}

type lockedWriter struct{ d *daemon }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.d.mu.Lock()
	defer w.d.mu.Unlock()
	return w.d.log.Write(p)
}

// listenRe finds the "listening url=…" log line of markd run.
var listenRe = regexp.MustCompile(`(https?)://127\.0\.0\.1:([1-9]\d*)`)

// runCLI runs a markd subcommand to completion with stdin.
func runCLI(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(markdBinary(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("markd %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// startDaemon writes a config, creates the accounts with `markd user add`
// and starts `markd run` on 127.0.0.1:0, reading scans from a stdin pipe.
func startDaemon(t *testing.T, users map[string][2]string) *daemon {
	t.Helper()
	return startDaemonHTTP(t, users, `http:
  listen: "127.0.0.1:0"
`)
}

// writeConfig writes a markd config with the given http block and returns
// its path.
func writeConfig(t *testing.T, httpBlock string) string {
	t.Helper()
	td := testdata.Dir(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "markd.db")
	cfg := filepath.Join(dir, "markd.yaml")
	conf := fmt.Sprintf(`office: 426000
counter: "A"
tz: Europe/Moscow
keyring: %q
tariffs: %q
db: %q
log:
  level: info
  format: text
`, filepath.Join(td, "keyring.yaml"), filepath.Join(td, "tariffs.yaml"), db) + httpBlock
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	runCLI(t, "", "init", "--config", cfg) // as an engineer sets up a counter
	return cfg
}

// startDaemonHTTP is startDaemon with its own http config block.
func startDaemonHTTP(t *testing.T, users map[string][2]string, httpBlock string) *daemon {
	t.Helper()
	return startDaemonConfig(t, writeConfig(t, httpBlock), users)
}

// startDaemonConfig creates the accounts and starts `markd run --config cfg`.
func startDaemonConfig(t *testing.T, cfg string, users map[string][2]string) *daemon {
	t.Helper()
	for name, u := range users {
		runCLI(t, u[1]+"\n", "user", "add", name, "--role", u[0], "--config", cfg)
	}
	// the daemon judges on the tests' clock: the vectors' marks are valid
	// around testdata.Now, whatever the day the suite runs
	return runDaemon(t, cfg, testdata.Now(), true)
}

// runDaemon starts `markd run --config cfg` with its clock starting at at,
// scans fed on a stdin pipe when pipe is set, else with stdin the null
// device (as under systemd), and waits until it says where it listens.
func runDaemon(t *testing.T, cfg string, at time.Time, pipe bool) *daemon {
	t.Helper()
	d := &daemon{}
	d.cmd = exec.Command(markdBinary(t), "run", "--config", cfg, "--clock", at.Format(time.RFC3339))
	var err error
	if pipe {
		if d.stdin, err = d.cmd.StdinPipe(); err != nil {
			t.Fatal(err)
		}
	}
	d.cmd.Stdout = lockedWriter{d}
	d.cmd.Stderr = lockedWriter{d}
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start markd run: %v", err)
	}
	t.Cleanup(func() {
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- d.cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = d.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("markd run output:\n%s", d.output())
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for d.URL == "" {
		if m := listenRe.FindStringSubmatch(d.output()); m != nil {
			d.URL = m[1] + "://127.0.0.1:" + m[2]
			break
		}
		if d.cmd.ProcessState != nil {
			t.Fatalf("markd run exited:\n%s", d.output())
		}
		select {
		case <-ctx.Done():
			t.Fatalf("markd run did not say where it listens:\n%s", d.output())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return d
}
