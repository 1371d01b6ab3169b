package e2e

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"markd/internal/testdata"
)

// The soak's operations: the commands it runs, markd run fed and stopped
// (TestWALStateSoak).

// cli runs a markd command to its end: exit code and output.
func (s *soak) cli(stdin string, args ...string) (int, string) {
	cmd := exec.Command(s.bin, append(args, "--config", s.cfg)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		s.t.Fatalf("markd %s: %v", args[0], err)
	}
	return 0, string(out)
}

// refusedText tells a WAL loss refusal (ErrWALLost) in a command's output.
func refusedText(out string) bool {
	return strings.Contains(out, "-shm are both missing") || strings.Contains(out, "committed since the last checkpoint are gone")
}

// mustRun runs a command that must succeed on a store nothing happened to.
func (s *soak) mustRun(stdin string, args ...string) string {
	code, out := s.cli(stdin, args...)
	s.step("  markd %s: exit %d", strings.Join(args, " "), code)
	if code != 0 {
		if refusedText(out) {
			s.t.Errorf("FALSE ALARM: markd %s refused a store nothing was deleted from:\n%s", strings.Join(args, " "), out)
		} else {
			s.t.Errorf("markd %s: exit %d:\n%s", strings.Join(args, " "), code, out)
		}
	}
	return out
}

// cliOp is one command besides markd run; none runs when it is empty.
func (s *soak) cliOp(op string) {
	switch op {
	case "import":
		fresh, again := s.marks(1+s.intn(40), s.intn(3))
		var b strings.Builder
		for _, k := range append(fresh, again...) {
			fmt.Fprintf(&b, `{"text":%q,"at":%q}`+"\n", s.text(k), testdata.Now().Format(time.RFC3339))
		}
		file := filepath.Join(s.dir, fmt.Sprintf("import-%d.jsonl", fresh[0]))
		if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
			s.t.Fatal(err)
		}
		// --at-ahead: the marks' day is the tests' clock, which may be
		// after the wall clock (the suite runs on any date)
		out := s.mustRun("", "import", "--at-ahead", file)
		if !strings.Contains(out, "ACCEPT") && len(fresh) > 0 {
			s.t.Errorf("markd import: no ACCEPT in its summary:\n%s", out)
		}
		for _, k := range fresh { // exit 0: every line stored; new serials ACCEPT
			s.answered("markd import", k, "ACCEPT")
		}
		if n := acceptCount(out); n >= 0 && n != len(fresh) {
			s.t.Errorf("SILENT LOSS?: markd import answered %d ACCEPT for %d new marks and %d marks ACCEPT before:\n%s", n, len(fresh), len(again), out)
		}
	case "verify":
		fresh, again := s.marks(1+s.intn(20), s.intn(3))
		var b strings.Builder
		all := append(fresh, again...)
		for _, k := range all {
			fmt.Fprintln(&b, s.text(k))
		}
		out := s.mustRun(b.String(), "verify", "--db", s.db, "--at-ahead", "--at", testdata.Now().Format(time.RFC3339))
		i := 0
		for _, line := range strings.Split(out, "\n") {
			var o struct {
				Verdict string
				Mark    *struct{ Serial uint64 }
			}
			if !strings.HasPrefix(line, "{") || json.Unmarshal([]byte(line), &o) != nil {
				continue
			}
			if i < len(all) {
				s.answered("markd verify --db", all[i], o.Verdict)
			}
			i++
		}
	case "backup":
		s.mu.Lock()
		snap := make(map[uint64]bool, len(s.durable))
		for k := range s.durable {
			snap[k] = true
		}
		s.mu.Unlock()
		s.mu.Lock()
		s.nbackup++
		path := filepath.Join(s.dir, fmt.Sprintf("backup-%d.db", s.nbackup))
		s.mu.Unlock()
		s.mustRun("", "backup", path)
		s.mu.Lock()
		s.backups = append(s.backups, soakBackup{path, snap})
		s.mu.Unlock()
	case "doctor":
		s.mustRun("", "doctor")
	case "users":
		s.mustRun("", "user", "list")
	}
}

// acceptCount is the ACCEPT count of markd import's summary, -1 when it
// names none.
func acceptCount(out string) int {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		for i, w := range f {
			if strings.TrimSuffix(w, ":") == "ACCEPT" && i+1 < len(f) {
				if n, err := strconv.Atoi(strings.Trim(f[i+1], ",")); err == nil {
					return n
				}
			}
			if strings.HasPrefix(w, "ACCEPT=") {
				if n, err := strconv.Atoi(strings.Trim(strings.TrimPrefix(w, "ACCEPT="), ",")); err == nil {
					return n
				}
			}
		}
	}
	return -1
}

var besideOps = []string{"import", "verify", "backup", "doctor", "users"}

// runOp is markd run fed n scans on stdin, a command beside it now and
// then, stopped by SIGTERM or killed; killed reports a SIGKILL.
func (s *soak) runOp() (killed bool) {
	cmd := exec.Command(s.bin, "run", "--config", s.cfg, "--clock", testdata.Now().Format(time.RFC3339))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	var stderr strings.Builder
	var emu sync.Mutex
	cmd.Stderr = writerFunc(func(p []byte) (int, error) {
		emu.Lock()
		defer emu.Unlock()
		return stderr.Write(p)
	})
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	fresh, again := s.marks(1+s.intn(120), s.intn(4))
	sent := append(fresh, again...)
	s.shuffle(len(sent), func(i, j int) { sent[i], sent[j] = sent[j], sent[i] })
	kill := s.intn(2) == 0
	killAfter := s.intn(len(sent) + 1) // verdicts read before the kill
	killDelay := time.Duration(s.intn(3000)) * time.Microsecond
	// how the kill lands: at once; after a pause in which the daemon
	// checkpoints (0.3 s idle after 64 scans); or in its stop, after a
	// SIGTERM (its close: the checkpoint, the state file, SQLite's close)
	how := [...]string{"now", "now", "idle", "in stop"}[s.intn(4)]
	if how == "idle" {
		killDelay = 400*time.Millisecond + killDelay
	}
	beside := ""
	if s.intn(3) == 0 {
		beside = besideOps[s.intn(len(besideOps))]
	}
	s.step("  markd run: %d scans (%d again), beside %q, kill=%v (%s) after %d verdicts +%v", len(sent), len(again), beside, kill, how, killAfter, killDelay)

	lines := make(chan string, len(sent)+16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	go func() {
		for _, k := range sent {
			if _, err := io.WriteString(stdin, s.text(k)+"\n"); err != nil {
				return
			}
		}
	}()
	var wg sync.WaitGroup
	if beside != "" {
		wg.Add(1)
		go func() { defer wg.Done(); s.cliOp(beside) }()
	}
	got := 0
	answer := func(line string) {
		var o struct {
			Line    int
			Verdict string
		}
		if err := json.Unmarshal([]byte(line), &o); err != nil || o.Line < 1 || o.Line > len(sent) {
			s.t.Errorf("markd run stdout %q: %v", line, err)
			return
		}
		s.answered("markd run", sent[o.Line-1], o.Verdict)
		got++
	}
	deadline := time.After(60 * time.Second) // a hung daemon, not a speed check
	for got < len(sent) && !(kill && got >= killAfter) {
		select {
		case line, ok := <-lines:
			if !ok {
				emu.Lock()
				s.t.Errorf("markd run closed stdout after %d verdicts:\n%s", got, stderr.String())
				emu.Unlock()
				got = len(sent)
				continue
			}
			answer(line)
		case <-deadline:
			s.t.Fatalf("markd run: %d of %d verdicts", got, len(sent))
		}
	}
	if kill { // the command beside may still run
		if how == "in stop" {
			_ = cmd.Process.Signal(syscall.SIGTERM)
		}
		time.Sleep(killDelay) // where the kill lands, not a timed check
		_ = cmd.Process.Kill()
		wg.Wait()
	} else {
		wg.Wait()
		_ = stdin.Close()
		_ = cmd.Process.Signal(syscall.SIGTERM)
	}
	for line := range lines { // verdicts written before it ended were answered
		answer(line)
	}
	_ = cmd.Wait()
	if !kill && cmd.ProcessState.ExitCode() != 0 {
		emu.Lock()
		if refusedText(stderr.String()) {
			s.t.Errorf("FALSE ALARM: markd run refused a store nothing was deleted from:\n%s", stderr.String())
		} else {
			s.t.Errorf("markd run: exit %d after SIGTERM:\n%s", cmd.ProcessState.ExitCode(), stderr.String())
		}
		emu.Unlock()
	}
	if kill && cmd.ProcessState.ExitCode() != -1 {
		emu.Lock()
		if refusedText(stderr.String()) {
			s.t.Errorf("FALSE ALARM: markd run refused a store nothing was deleted from:\n%s", stderr.String())
		}
		emu.Unlock()
	}
	return kill
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// shmPending reads the WAL index header the way SQLite wrote it: whether
// it counts commit frames not yet checkpointed into the store file, and
// whether it could be read at all.
func shmPending(path string) (pending, known bool) {
	shm, err := os.ReadFile(path + "-shm")
	if err != nil || len(shm) < 136 || string(shm[:48]) != string(shm[48:96]) || shm[12] != 1 {
		return false, false
	}
	ne := binary.NativeEndian
	return ne.Uint32(shm[16:]) > ne.Uint32(shm[96:]), true
}
