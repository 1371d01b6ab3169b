package benchutil

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// WorkDir is dir, or when dir is "" a new temporary folder named with
// prefix; done removes what WorkDir made.
func WorkDir(dir, prefix string) (path string, done func(), err error) {
	if dir != "" {
		return dir, func() {}, nil
	}
	d, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", nil, err
	}
	return d, func() { _ = os.RemoveAll(d) }, nil
}

// CounterConfig writes dir/markd.yaml, counter A of office 426000 with
// the keyring and tariffs of the shared test data td, its store
// dir/markd.db, its API on a free port of 127.0.0.1 and info logs, and
// returns its path.
func CounterConfig(td, dir string) (string, error) {
	conf := fmt.Sprintf("office: 426000\ncounter: A\nkeyring: %q\ntariffs: %q\ndb: %q\nhttp:\n  listen: 127.0.0.1:0\nlog:\n  level: info\n",
		filepath.Join(td, "keyring.yaml"), filepath.Join(td, "tariffs.yaml"), filepath.Join(dir, "markd.db"))
	path := filepath.Join(dir, "markd.yaml")
	return path, os.WriteFile(path, []byte(conf), 0o600)
}

// Daemon is a `markd run` started for a benchmark: scans go in on its
// stdin, verdicts come out on its stdout, URL is where its API listens.
type Daemon struct {
	URL   string // http://127.0.0.1:PORT
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

// StartDaemon starts bin run --config cfg and waits until its log says
// where it listens; the rest of the log is read and dropped.
func StartDaemon(bin, cfg string) (*Daemon, error) {
	cmd := exec.Command(bin, "run", "--config", cfg)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	logs, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	d := &Daemon{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	br := bufio.NewReader(logs)
	re := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			d.Stop()
			return nil, fmt.Errorf("markd run log ended before it listened: %w", err)
		}
		if m := re.FindStringSubmatch(line); m != nil {
			go func() { _, _ = io.Copy(io.Discard, br) }()
			d.URL = m[1]
			return d, nil
		}
	}
}

// Scan writes mark as a line to the daemon's stdin and reads its verdict
// line: the time between is P1. A verdict other than ACCEPT is an error.
func (d *Daemon) Scan(mark string) (time.Duration, error) {
	start := time.Now()
	if _, err := fmt.Fprintln(d.stdin, mark); err != nil {
		return 0, err
	}
	line, err := d.out.ReadString('\n')
	if err != nil {
		return 0, fmt.Errorf("markd run output: %w", err)
	}
	took := time.Since(start)
	if !strings.Contains(line, `"verdict":"ACCEPT"`) {
		return 0, fmt.Errorf("stdin verdict: %s", line)
	}
	return took, nil
}

// Pid is the daemon's process id.
func (d *Daemon) Pid() int { return d.cmd.Process.Pid }

// Stop kills the daemon and waits for it.
func (d *Daemon) Stop() {
	_ = d.cmd.Process.Kill()
	_ = d.cmd.Wait()
}
