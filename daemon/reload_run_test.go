package daemon

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"markd/internal/testdata"
	"markd/mark"
)

// logTail keeps the daemon's log for the test to look into.
type logTail struct {
	t  *testing.T
	mu sync.Mutex
	b  strings.Builder
}

func (l *logTail) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.t.Logf("%s", strings.TrimRight(string(p), "\n"))
	return l.b.Write(p)
}

func (l *logTail) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logTail) count(re *regexp.Regexp) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(re.FindAllString(l.b.String(), -1))
}

// waitMore waits until the log has more than n matches of re.
func (l *logTail) waitMore(t *testing.T, re *regexp.Regexp, n int) {
	t.Helper()
	testdata.Wait(t, time.Minute, re.String(), func() bool { return l.count(re) > n })
}

var (
	refused  = regexp.MustCompile(`reload refused`)
	reloaded = regexp.MustCompile(`lists reloaded`)
)

// TestRunReload: SIGHUP with a broken keyring is refused (the old lists
// judge on); with a good new keyring it is used for the next scan; the
// same happens on a file change without a signal.
func TestRunReload(t *testing.T) {
	dir := t.TempDir()
	orig, err := os.ReadFile(testdata.Path(t, "keyring.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	keyring := filepath.Join(dir, "keyring.yaml")
	replace := func(data []byte) { // the safe way: write a temp file, rename
		tmp := keyring + ".new"
		if err := os.WriteFile(tmp, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, keyring); err != nil {
			t.Fatal(err)
		}
	}
	replace(orig)
	c := testConfig(t)
	c.Keyring = keyring
	hup := make(chan os.Signal, 1)
	in := newFeed()
	log := &logTail{t: t}
	r := start(t, Options{Config: c, Reload: hup, Stdin: in, Stderr: log})
	v0 := r.Verifier.Versions().Keyring
	scan := func(s uint64) mark.Record { in.line(signed(t, s)); return r.next(t) }
	if rec := scan(2_000_000); rec.Verdict != mark.Accept {
		t.Fatalf("first mark: %s %v", rec.Verdict, rec.Reasons)
	}
	// broken file: refused, whether seen by the watcher or by SIGHUP
	replace([]byte("keys: [this is not a keyring"))
	hup <- syscall.SIGHUP
	log.waitMore(t, refused, 0)
	if rec := scan(2_000_001); rec.Verdict != mark.Accept {
		t.Errorf("after a broken keyring: %s %v, want the old lists (ACCEPT)", rec.Verdict, rec.Reasons)
	}
	if v := r.Verifier.Versions().Keyring; v != v0 {
		t.Errorf("keyring version changed to %s after a refused reload", v)
	}
	// a good keyring without key 1: the next mark of key 1 is UNKNOWN_KEY
	without, _, ok := strings.Cut(string(orig), "  - id: 1\n")
	rest := string(orig)[len(without)+len("  - id: 1\n"):]
	_, rest, ok2 := strings.Cut(rest, "  - id: 2\n")
	if !ok || !ok2 {
		t.Fatalf("keyring layout changed: %q", orig)
	}
	n := log.count(reloaded)
	replace([]byte(without + "  - id: 2\n" + rest))
	log.waitMore(t, reloaded, n) // the watcher sees the change
	if rec := scan(2_000_002); rec.Verdict != mark.Reject || len(rec.Reasons) != 1 || rec.Reasons[0] != mark.ReasonUnknownKey {
		t.Errorf("after removing key 1: %s %v, want REJECT [UNKNOWN_KEY]", rec.Verdict, rec.Reasons)
	}
	if v := r.Verifier.Versions().Keyring; v == v0 {
		t.Error("keyring version unchanged after a reload")
	}
	replace(orig)
	n = log.count(reloaded)
	hup <- syscall.SIGHUP
	log.waitMore(t, reloaded, n)
	if rec := scan(2_000_003); rec.Verdict != mark.Accept {
		t.Errorf("after restoring the keyring: %s %v", rec.Verdict, rec.Reasons)
	}
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
}

// feed is the stdin of an in-process daemon.
type feed struct {
	lines chan string
	rest  []byte
}

func newFeed() *feed { return &feed{lines: make(chan string, 16)} }

func (f *feed) line(s string) { f.lines <- s + "\n" }

// Read blocks until a line is fed; it never ends (like a terminal).
func (f *feed) Read(p []byte) (int, error) {
	if len(f.rest) == 0 {
		f.rest = []byte(<-f.lines)
	}
	n := copy(p, f.rest)
	f.rest = f.rest[n:]
	return n, nil
}
