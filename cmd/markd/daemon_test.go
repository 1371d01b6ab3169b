package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"markd/config"
	"markd/daemon"
	"markd/internal/testdata"
	"markd/mark"
	"markd/store"
)

// dmBuild is the markd binary of the tests that need the real process
// (SIGKILL, a full disk): built once per test run into binDir.
var (
	binDir  string
	dmBuild = sync.OnceValues(func() (string, error) {
		bin := filepath.Join(binDir, "markd")
		out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("go build: %w\n%s", err, out)
		}
		return bin, nil
	})
)

// dmBinary returns the markd binary, building it on first use.
func dmBinary(t *testing.T) string {
	t.Helper()
	bin, err := dmBuild()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// dmConfig writes a daemon config into dir and returns its path.
func dmConfig(t *testing.T, dir, keyring string) string {
	t.Helper()
	td := testdata.Dir(t)
	if keyring == "" {
		keyring = filepath.Join(td, "keyring.yaml")
	}
	cfg := filepath.Join(dir, "markd.yaml")
	body := fmt.Sprintf("office: 426000\ncounter: A\ntz: Europe/Samara\nkeyring: %q\ntariffs: %q\ndb: %q\n"+
		"rescan_window: 10m\nhttp:\n  listen: 127.0.0.1:0\nlog:\n  format: text\n",
		keyring, filepath.Join(td, "tariffs.yaml"), filepath.Join(dir, "markd.db"))
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	initStore(t, filepath.Join(dir, "markd.db"))
	return cfg
}

// dmWatermarkedStore is dmConfig with the store's check watermark set
// at 0, as a daemon's first start leaves it: the config, the store's path.
func dmWatermarkedStore(t *testing.T, dir string) (cfg, path string) {
	t.Helper()
	cfg = dmConfig(t, dir, "")
	path = filepath.Join(dir, "markd.db")
	db, err := store.Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.SetCheckWatermark(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	return cfg, path
}

// dmProc is a running markd run.
type dmProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan runOut // stdout JSON lines
	mu    sync.Mutex
	log   strings.Builder
}

type runOut struct {
	Line          int              `json:"line"`
	ID            string           `json:"id"`
	Verdict       mark.Verdict     `json:"verdict"`
	Reasons       []mark.Reason    `json:"reasons"`
	Mark          *mark.Fields     `json:"mark"`
	FirstAccepted *mark.Acceptance `json:"first_accepted"`
	Counter       string           `json:"counter"`
	At            time.Time        `json:"at"`
	Message       string           `json:"message"`
}

type dmLogWriter struct{ p *dmProc }

func (w dmLogWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	return w.p.log.Write(b)
}

func (p *dmProc) stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

func dmStart(t *testing.T, bin string, args ...string) *dmProc {
	t.Helper()
	if !slices.Contains(args, "--clock") {
		// the daemon judges with the tests' clock, not the day the suite runs
		args = append(args, "--clock", testdata.Now().Format(time.RFC3339))
	}
	p := &dmProc{cmd: exec.Command(bin, append([]string{"run"}, args...)...), lines: make(chan runOut, 1<<16)}
	var err error
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = dmLogWriter{p}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var o runOut
			if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
				t.Errorf("stdout line %q: %v", sc.Text(), err)
				continue
			}
			p.lines <- o
		}
	}()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("markd run stderr:\n%s", p.stderr())
		}
	})
	return p
}

// next returns the next verdict line, failing after a generous deadline
// (a hung daemon, not a speed check).
func (p *dmProc) next(t *testing.T) runOut {
	t.Helper()
	select {
	case o, ok := <-p.lines:
		if !ok {
			t.Fatalf("markd run closed stdout; stderr:\n%s", p.stderr())
		}
		return o
	case <-time.After(60 * time.Second):
		t.Fatalf("no verdict from markd run; stderr:\n%s", p.stderr())
	}
	return runOut{}
}

// stop sends SIGTERM and waits for a clean exit.
func (p *dmProc) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("markd run after SIGTERM: %v\n%s", err, p.stderr())
	}
}

// waitLog waits until the daemon's log has more than n matches of re.
func (p *dmProc) waitLog(t *testing.T, re *regexp.Regexp, n int) []string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m := re.FindAllString(p.stderr(), -1); len(m) > n {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("log never showed %v (%d times); log:\n%s", re, n+1, p.stderr())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type seqScan struct {
	At      string        `json:"at"`
	Counter string        `json:"counter"`
	Text    string        `json:"text"`
	Verdict mark.Verdict  `json:"verdict"`
	Reasons []mark.Reason `json:"reasons"`
}

func reuseSequence(t *testing.T) []seqScan {
	t.Helper()
	data, err := os.ReadFile(testdata.Path(t, "marks", "reuse-sequence.json"))
	if err != nil {
		t.Fatal(err)
	}
	var seq struct {
		Office uint32    `json:"office"`
		Scans  []seqScan `json:"scans"`
	}
	if err := json.Unmarshal(data, &seq); err != nil {
		t.Fatal(err)
	}
	if seq.Office != 426000 || len(seq.Scans) == 0 {
		t.Fatalf("unexpected reuse sequence: office %d, %d scans", seq.Office, len(seq.Scans))
	}
	return seq.Scans
}

func checkSeq(t *testing.T, i int, s seqScan, verdict mark.Verdict, reasons []mark.Reason, first *mark.Acceptance) {
	t.Helper()
	if reasons == nil {
		reasons = []mark.Reason{}
	}
	if verdict != s.Verdict || !slices.Equal(reasons, s.Reasons) {
		t.Errorf("scan %d (%s at %s): %s %v, want %s %v", i, s.Counter, s.At, verdict, reasons, s.Verdict, s.Reasons)
	}
	reused := slices.Contains(s.Reasons, mark.ReasonReused) || s.Verdict == mark.DuplicateScan
	if reused != (first != nil) {
		t.Errorf("scan %d: first_accepted %+v, want one: %v", i, first, reused)
	}
}

// TestVerifyDBReuseSequence replays the reuse sequence through markd verify --db.
func TestVerifyDBReuseSequence(t *testing.T) {
	td := testdata.Dir(t)
	db := filepath.Join(t.TempDir(), "markd.db")
	initStore(t, db)
	for i, s := range reuseSequence(t) {
		code, out, errs := vtRun(t, "", "verify", "--db", db, "--counter", s.Counter, "--at", s.At, "--office", "426000",
			"--tz", "Europe/Samara", "--keyring", filepath.Join(td, "keyring.yaml"), "--tariffs", filepath.Join(td, "tariffs.yaml"),
			"--text", s.Text)
		if code != 0 {
			t.Fatalf("scan %d: exit %d: %s", i, code, errs)
		}
		var o runOut
		if err := json.Unmarshal([]byte(out), &o); err != nil {
			t.Fatalf("scan %d: %q: %v", i, out, err)
		}
		checkSeq(t, i, s, o.Verdict, o.Reasons, o.FirstAccepted)
	}
	code, _, errs := vtRun(t, "", "verify", "--db", db, "--at", "yesterday", "--office", "426000",
		"--keyring", filepath.Join(td, "keyring.yaml"), "--tariffs", filepath.Join(td, "tariffs.yaml"), "--text", "x")
	if code != exitUsage || !strings.Contains(errs, "--at") {
		t.Errorf("bad --at: exit %d: %s", code, errs)
	}
}

// TestRunReuseSequence replays the reuse sequence through the daemon of
// markd run, in-process and fed on its stdin: one start per scan, each at
// its counter with its time as the daemon's clock.
func TestRunReuseSequence(t *testing.T) {
	cfg := dmConfig(t, t.TempDir(), "")
	for i, s := range reuseSequence(t) {
		at, err := time.Parse(time.RFC3339, s.At)
		if err != nil {
			t.Fatal(err)
		}
		c, err := config.Load(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		c.Counter = s.Counter
		in, feed := io.Pipe()
		out := newLineCatcher()
		m, err := daemon.Open(t.Context(), daemon.Options{Config: c, Stdin: in, Stderr: io.Discard,
			Now: func() time.Time { return at }, OnRecord: newVerdictPrinter(out).print})
		if err != nil {
			t.Fatal(err)
		}
		ctx, stop := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- m.Run(ctx) }()
		fmt.Fprintln(feed, s.Text)
		o := out.next(t)
		stop()
		feed.Close()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		checkSeq(t, i, s, o.Verdict, o.Reasons, o.FirstAccepted)
		if o.Counter != s.Counter || !o.At.Equal(at) || o.ID == "" {
			t.Errorf("scan %d: counter %s at %v id %q, want %s at %v", i, o.Counter, o.At, o.ID, s.Counter, at)
		}
	}
}

// lineCatcher is the stdout of an in-process daemon: it parses each JSON line.
type lineCatcher struct{ lines chan runOut }

func newLineCatcher() *lineCatcher { return &lineCatcher{lines: make(chan runOut, 1024)} }

func (c *lineCatcher) Write(b []byte) (int, error) {
	var o runOut
	if err := json.Unmarshal(b, &o); err != nil {
		return 0, fmt.Errorf("stdout line %q: %w", b, err)
	}
	c.lines <- o
	return len(b), nil
}

func (c *lineCatcher) next(t *testing.T) runOut {
	t.Helper()
	select {
	case o := <-c.lines:
		return o
	case <-time.After(60 * time.Second):
		t.Fatal("no verdict from the daemon")
	}
	return runOut{}
}

// dmMarks signs n distinct valid marks with serials from base.
func dmMarks(t *testing.T, n int, base uint64) []string {
	t.Helper()
	signer, today := testdata.Signer(t), testdata.Today(nil)
	out := make([]string, n)
	for i := range out {
		m := testdata.ValidMark(base+uint64(i), today)
		m.Contract = 5
		out[i] = signer(m)
	}
	return out
}
