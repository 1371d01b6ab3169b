//go:build linux

package store

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/mark"
)

// walStateChildEnv makes the test binary, run again by startWALChild, the
// other process of the WAL state tests: "write PATH" opens the store and
// saves scans one after another, printing "saved N" after each, until it
// is killed; "hold PATH" opens it, saves walChildHeld scans, prints "held"
// and closes the store once its stdin closes.
const walStateChildEnv = "MARKD_TEST_WALSTATE_CHILD"

const walChildHeld = 3

// TestWALStateChildProcess is the other process of startWALChild;
// skipped as a test.
func TestWALStateChildProcess(t *testing.T) {
	what, path, ok := strings.Cut(os.Getenv(walStateChildEnv), " ")
	if !ok {
		t.Skip("the other process of the TestWALState* tests")
	}
	ctx := context.Background()
	db, err := OpenExistingWith(ctx, path, Options{Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	switch what {
	case "write":
		for i := 0; ; i++ {
			if err := db.Save(ctx, scRec(uint64(8100+i), "c1", t0.Add(time.Duration(i)*time.Second), mark.Accept), time.Minute); err != nil {
				t.Fatal(err)
			}
			fmt.Printf("saved %d\n", i+1)
		}
	case "hold":
		for i := range walChildHeld {
			if err := db.Save(ctx, scRec(uint64(8500+i), "c2", t0.Add(time.Duration(i)*time.Second), mark.Accept), time.Minute); err != nil {
				t.Fatal(err)
			}
		}
		fmt.Println("held")
		_, _ = io.Copy(io.Discard, os.Stdin)
	default:
		t.Fatalf("%s=%q", walStateChildEnv, what)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// walChild is a running other process.
type walChild struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

func startWALChild(t *testing.T, what, path string) *walChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestWALStateChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), walStateChildEnv+"="+what+" "+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &walChild{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return c
}

// until reads the child's lines until one is want.
func (c *walChild) until(t *testing.T, want string) {
	t.Helper()
	for {
		line, err := c.out.ReadString('\n')
		if err != nil {
			t.Fatalf("child ended before %q: %v", want, err)
		}
		if strings.TrimSpace(line) == want {
			return
		}
	}
}

// kill ends the child with SIGKILL: no close, no checkpoint.
func (c *walChild) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = c.cmd.Wait()
}

// stop closes the child's stdin and waits for its clean close.
func (c *walChild) stop(t *testing.T) {
	t.Helper()
	c.stdin.Close()
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
}

// newWALStore makes a store and closes it: a counter's store between runs.
func newWALStore(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "markd.db")
	db, err := Create(context.Background(), path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// killedMidWrites runs a child that saves scans until it has saved at
// least n and kills it while it goes on: the store as a crash leaves it.
func killedMidWrites(t *testing.T, path string, n int) {
	t.Helper()
	c := startWALChild(t, "write", path)
	c.until(t, fmt.Sprintf("saved %d", n))
	c.kill(t)
}

// stateOf reads the store's WAL state file.
func stateOf(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path + WALStateSuffix)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return readState(f)
}

// accepted counts the ACCEPT scans of the store at path.
func accepted(t *testing.T, path string) int {
	t.Helper()
	db, err := OpenExistingWith(context.Background(), path, Options{Log: quiet})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer db.Close()
	counts, err := db.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return counts[mark.Accept]
}

// inStoreFile counts the scans the store file alone holds (its WAL not
// read, nothing made beside it).
func inStoreFile(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+uriPath(path)+"?mode=ro&immutable=1")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM scans`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func removeBoth(t *testing.T, path string) {
	t.Helper()
	for _, p := range []string{path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
}

// wantWALStateLost checks that err is the refusal of a store whose -wal
// and -shm are both gone (ErrWALLost naming the files and the state
// file, with a hint).
func wantWALStateLost(t *testing.T, what string, err error, path string) {
	t.Helper()
	if !errors.Is(err, ErrWALLost) || !errors.Is(err, ErrNotAStore) {
		t.Fatalf("%s = %v, want ErrWALLost", what, err)
	}
	for _, s := range []string{path + "-wal", path + "-shm", path + WALStateSuffix, "both missing"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%s: %v: does not name %q", what, err, s)
		}
	}
	if h := mark.Hint(err); !strings.Contains(h, "markd restore") || !strings.Contains(h, "put both back") {
		t.Errorf("%s: hint %q", what, h)
	}
}

// TestWALStateBothGoneAfterKill: a process saving scans is killed with
// SIGKILL mid-writes (the scans since the last checkpoint only in the
// -wal), then its -wal and -shm are both deleted. CheckFile, every open
// (OpenExisting, FindImports, markd run's) and so markd doctor refuse the
// store (ErrWALLost), and the refusal changes nothing (asked again, it
// refuses again). The old code opened the store file alone, without those
// scans, silently: their serials were accepted again. With the files
// left as the crash left them, or only the -shm deleted, nothing is lost
// (the store opens with every scan, and its close marks it closed); a
// store reopened and closed after the crash, whose last close folded the
// WAL in and removed both files, is not refused.
func TestWALStateBothGoneAfterKill(t *testing.T) {
	ctx := context.Background()
	const n = 20
	for _, c := range []struct {
		name string
		do   func(t *testing.T, path string)
		lost bool
	}{
		{name: "wal and shm deleted", do: removeBoth, lost: true},
		{name: "intact", do: func(*testing.T, string) {}},
		{name: "shm deleted", do: func(t *testing.T, path string) { must(t, os.Remove(path+"-shm")) }},
		{name: "reopened and closed, then both gone", do: func(t *testing.T, path string) {
			if got := accepted(t, path); got < n {
				t.Fatalf("reopened: %d scans, want %d or more", got, n)
			}
			for _, p := range []string{path + "-wal", path + "-shm"} {
				if exists(p) {
					t.Fatalf("%s left after the last close", p)
				}
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := newWALStore(t)
			killedMidWrites(t, path, n)
			if got := stateOf(t, path); got != stateOpen {
				t.Fatalf("after the kill the state file says %q, want %q", got, stateOpen)
			}
			c.do(t, path)
			if !c.lost {
				if err := CheckFile(path); err != nil {
					t.Fatalf("CheckFile: %v", err)
				}
				if _, err := FindImports(ctx, path, 0, func(int) (string, error) { return "", nil }); err != nil {
					t.Fatalf("FindImports: %v", err)
				}
				if got := accepted(t, path); got < n {
					t.Fatalf("reopened: %d scans accepted, want %d or more", got, n)
				}
				if got := stateOf(t, path); got != stateClosed {
					t.Fatalf("after the clean close the state file says %q", got)
				}
				return
			}
			if got := inStoreFile(t, path); got >= n {
				t.Fatalf("the store file alone holds %d scans: the test lost nothing", got)
			}
			for range 2 { // the refusal leaves the evidence as it was
				wantWALStateLost(t, "CheckFile", CheckFile(path), path)
				_, err := OpenExistingWith(ctx, path, Options{Log: quiet, PresizeWAL: true, Exclusive: true})
				wantWALStateLost(t, "OpenExisting", err, path)
				_, err = FindImports(ctx, path, 0, func(int) (string, error) { return "", nil })
				wantWALStateLost(t, "FindImports", err, path)
			}
		})
	}
}

// TestWALStateOtherOpeners: no false alarm from, and no loss hidden by,
// several stores open at once. A store closed cleanly while another
// process keeps it open stays marked open (that process's scans are
// still only in the WAL): killed, its -wal and -shm deleted, it is
// refused. Two stores open in one process: the first close leaves it
// open, the last marks it closed. A store marked open by a process whose
// SQLite has not made the -wal and -shm yet is not refused. A failed
// open (a newer schema) leaves no mark that would refuse the next one.
func TestWALStateOtherOpeners(t *testing.T) {
	ctx := context.Background()
	t.Run("closed while another process has it open, that one killed", func(t *testing.T) {
		path := newWALStore(t)
		c := startWALChild(t, "hold", path)
		c.until(t, "held")
		db, err := OpenExistingWith(ctx, path, Options{Log: quiet})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Save(ctx, scRec(8600, "c1", t0, mark.Accept), time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if got := stateOf(t, path); got != stateOpen {
			t.Fatalf("closed beside another process: %q, want %q", got, stateOpen)
		}
		if err := CheckFile(path); err != nil {
			t.Fatalf("CheckFile while the other process has it open: %v", err)
		}
		c.kill(t)
		removeBoth(t, path)
		wantWALStateLost(t, "CheckFile", CheckFile(path), path)
	})
	t.Run("closed while another process has it open, that one closed", func(t *testing.T) {
		path := newWALStore(t)
		c := startWALChild(t, "hold", path)
		c.until(t, "held")
		if got := accepted(t, path); got != walChildHeld {
			t.Fatalf("%d scans, want %d", got, walChildHeld)
		}
		c.stop(t)
		if got := stateOf(t, path); got != stateClosed {
			t.Fatalf("after the last close: %q, want %q", got, stateClosed)
		}
		if err := CheckFile(path); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("two stores in one process", func(t *testing.T) {
		path := newWALStore(t)
		a, err := OpenExistingWith(ctx, path, Options{Log: quiet})
		if err != nil {
			t.Fatal(err)
		}
		b, err := OpenExistingWith(ctx, path, Options{Log: quiet})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Save(ctx, scRec(8700, "c1", t0, mark.Accept), time.Minute); err != nil {
			t.Fatal(err)
		}
		must(t, a.Close())
		if got := stateOf(t, path); got != stateOpen {
			t.Fatalf("one of two closed: %q, want %q", got, stateOpen)
		}
		must(t, b.Close())
		if got := stateOf(t, path); got != stateClosed {
			t.Fatalf("both closed: %q, want %q", got, stateClosed)
		}
		if err := CheckFile(path); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("marked open before SQLite made its files", func(t *testing.T) {
		path := newWALStore(t)
		s, err := markOpen(path)
		if err != nil {
			t.Fatal(err)
		}
		if exists(path+"-wal") || exists(path+"-shm") {
			t.Fatal("a -wal or -shm after a clean close")
		}
		if err := CheckFile(path); err != nil {
			t.Fatalf("CheckFile while a store is being opened: %v", err)
		}
		must(t, s.release(quiet, nil, func() bool { return true }, func() error { return nil }))
		if got := stateOf(t, path); got != stateClosed {
			t.Fatalf("released: %q", got)
		}
	})
	t.Run("failed open", func(t *testing.T) {
		path := newWALStore(t)
		db, err := OpenExistingWith(ctx, path, Options{Log: quiet})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL().Exec(`INSERT INTO schema_migrations(version, name, applied_at) VALUES (999, '999_future.sql', '')`); err != nil {
			t.Fatal(err)
		}
		must(t, db.Close())
		for range 2 {
			if _, err := OpenExistingWith(ctx, path, Options{Log: quiet}); !errors.Is(err, ErrSchemaNewer) {
				t.Fatalf("open: %v, want ErrSchemaNewer", err)
			}
		}
		if got := stateOf(t, path); got != stateClosed {
			t.Fatalf("after failed opens: %q", got)
		}
	})
}

// TestWALStateNewAndRestored: a new store (markd init) is marked closed
// and leaves nothing of its making beside it; markd restore moves the
// state file aside with the store it marks, so the backup put in place of
// a store refused for its lost -wal and -shm opens, while the set moved
// aside is refused as the store was.
func TestWALStateNewAndRestored(t *testing.T) {
	ctx := context.Background()
	path := newWALStore(t)
	if got := stateOf(t, path); got != stateClosed {
		t.Fatalf("new store: %q", got)
	}
	if exists(path + ".new" + WALStateSuffix) {
		t.Fatal("the state file of the store being made is left")
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	db, err := OpenExistingWith(ctx, path, Options{Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	must(t, db.Backup(ctx, backup))
	must(t, db.Close())
	killedMidWrites(t, path, 5)
	removeBoth(t, path)
	wantWALStateLost(t, "CheckFile", CheckFile(path), path)
	now := time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)
	r, err := Restore(ctx, path, backup, now)
	if err != nil {
		t.Fatal(err)
	}
	aside := path + ".before-restore-20260314T092653Z"
	if len(r.Aside) != 2 || r.Aside[1] != aside+WALStateSuffix {
		t.Fatalf("moved aside %v, want the store and its state file", r.Aside)
	}
	if got := accepted(t, path); got != 0 {
		t.Fatalf("restored: %d scans", got)
	}
	wantWALStateLost(t, "CheckFile of the set moved aside", CheckFile(aside), aside)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestWALStateLocksRefused: on a file system that refuses the state
// file's locks (some network or FUSE ones answer ENOLCK or EINVAL) the
// store opens, and closes, without the WAL state, saying so at warn
// level; CheckFile does not look. The first code refused to open it at
// all.
func TestWALStateLocksRefused(t *testing.T) {
	ctx := context.Background()
	path := newWALStore(t)
	lockState = func(*os.File, int64, bool) error { return errors.New("no locks here") }
	t.Cleanup(func() { lockState = tryLock })
	var logged strings.Builder
	log := slog.New(slog.NewTextHandler(&logged, nil))
	db, err := OpenExistingWith(ctx, path, Options{Log: log})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if err := db.Save(ctx, scRec(8800, "c1", t0, mark.Accept), time.Minute); err != nil {
		t.Fatal(err)
	}
	must(t, db.Close())
	if !strings.Contains(logged.String(), "level=WARN") || !strings.Contains(logged.String(), "WAL state file") {
		t.Errorf("log: %s", logged.String())
	}
	if err := CheckFile(path); err != nil {
		t.Fatal(err)
	}
}

// TestWALStateSymlinkedStore: a store opened through a symbolic link has
// its -wal and -shm beside the link's target (SQLite follows the link),
// and so its WAL state file: killed mid-writes, it opens through the link
// with every scan (looking beside the link found no -wal and refused an
// intact store), and with both files deleted it is refused.
func TestWALStateSymlinkedStore(t *testing.T) {
	real := newWALStore(t)
	link := filepath.Join(t.TempDir(), "markd.db")
	must(t, os.Symlink(real, link))
	killedMidWrites(t, link, 10)
	if !exists(real+"-wal") || exists(link+"-wal") {
		t.Fatalf("SQLite did not put the -wal beside the link's target")
	}
	if err := CheckFile(link); err != nil {
		t.Fatalf("CheckFile of the intact store: %v", err)
	}
	killedMidWrites(t, link, 10)
	removeBoth(t, real)
	err := CheckFile(link)
	if !errors.Is(err, ErrWALLost) || !strings.Contains(err.Error(), real+WALStateSuffix) {
		t.Fatalf("CheckFile = %v, want ErrWALLost naming %s", err, real+WALStateSuffix)
	}
}

// TestWALLostSymlinkedStore: a store opened through a symbolic link (db:
// a link to another disk) killed mid-writes, then its -wal alone deleted
// (the -shm, which SQLite puts beside the link's target, still counts the
// commits): CheckFile refuses it (ErrWALLost), as it does a store opened
// by its own path. The old code looked for the -shm beside the link,
// found none, and the store opened without the scans since the last
// checkpoint, silently: markd run and markd verify --db accepted their
// serials again.
func TestWALLostSymlinkedStore(t *testing.T) {
	real := newWALStore(t)
	link := filepath.Join(t.TempDir(), "markd.db")
	must(t, os.Symlink(real, link))
	killedMidWrites(t, link, 10)
	must(t, os.Remove(real+"-wal"))
	err := CheckFile(link)
	if !errors.Is(err, ErrWALLost) || !strings.Contains(err.Error(), real+"-wal: the file is missing") {
		t.Fatalf("CheckFile = %v, want ErrWALLost naming %s-wal", err, real)
	}
	if _, err := OpenExistingWith(context.Background(), link, Options{Log: quiet}); !errors.Is(err, ErrWALLost) {
		t.Fatalf("OpenExisting = %v, want ErrWALLost", err)
	}
}

// TestPresizeWALSymlinkedStore: markd run (PresizeWAL) on a store opened
// through a symbolic link leaves no -wal beside the link: SQLite keeps
// its WAL beside the link's target, and that is the only place the WAL
// is made ahead. The old code wrote 12 MB of zeros beside the link that
// SQLite never used, and that stray -wal made markd init refuse a new
// store at the link's path ("markd.db-wal of an earlier store is left
// beside it") once the link was moved aside as docs/operations.md says.
func TestPresizeWALSymlinkedStore(t *testing.T) {
	real := newWALStore(t)
	link := filepath.Join(t.TempDir(), "markd.db")
	must(t, os.Symlink(real, link))
	db, err := OpenExistingWith(context.Background(), link, Options{Log: quiet, PresizeWAL: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if exists(link + "-wal") {
		t.Errorf("a -wal was made beside the link %s", link)
	}
	if !exists(real + "-wal") {
		t.Errorf("no -wal beside the target %s", real)
	}
}
