package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/windows"

	"markd/mark"
)

// These tests run as a Windows program under wine (scripts/wine-test.sh
// cross-builds the package's tests with mingw-w64 and runs its
// TestWindows* tests) and on Windows.

// winTestDir is a folder for one test, removed file by file at its end:
// not t.TempDir, whose RemoveAll fails under wine ("Invalid function").
func winTestDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "markd-store-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		var paths []string
		_ = filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
			if err == nil {
				paths = append(paths, p)
			}
			return nil
		})
		slices.Reverse(paths) // files before their folders
		for _, p := range paths {
			os.Remove(p)
		}
	})
	return dir
}

// openLikeSQLite opens path as os_win.c's winHandleOpen opens a WAL index:
// read and write, shared for reading and writing (not deletion).
func openLikeSQLite(t *testing.T, path string) windows.Handle {
	t.Helper()
	name, err := windows.UTF16PtrFromString(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := windows.CreateFile(name, windows.GENERIC_READ|windows.GENERIC_WRITE,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE, nil, windows.OPEN_ALWAYS, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return h
}

// lockDMS takes SQLite's lock on the dead-man-switch byte of the WAL index
// h is open on: shared (every process with the index open) or exclusive
// (a first open about to reset the index), failing at once as SQLite's
// does.
func lockDMS(h windows.Handle, exclusive bool) error {
	flags := uint32(windows.LOCKFILE_FAIL_IMMEDIATELY)
	if exclusive {
		flags |= windows.LOCKFILE_EXCLUSIVE_LOCK
	}
	return windows.LockFileEx(h, flags, 0, 1, 0, &windows.Overlapped{Offset: shmDMSByte})
}

func unlockDMS(h windows.Handle) error {
	return windows.UnlockFileEx(h, 0, 1, 0, &windows.Overlapped{Offset: shmDMSByte})
}

// holderEnv makes the test binary, run again by startHolder, the other
// process of a test: "lock PATH" holds SQLite's shared DMS lock on the WAL
// index PATH, "store PATH" has the store PATH open, "save PATH" has it
// open with scans saved; "held" on stdout once it does, until its stdin
// closes.
const holderEnv = "MARKD_TEST_SHM_HOLDER"

// TestWindowsHolderProcess is the other process of startHolder; skipped
// as a test.
func TestWindowsHolderProcess(t *testing.T) {
	what, path, ok := strings.Cut(os.Getenv(holderEnv), " ")
	if !ok {
		t.Skip("the other process of TestWindowsShmBusy and TestWindowsWALLost")
	}
	switch what {
	case "lock":
		h := openLikeSQLite(t, path)
		defer windows.CloseHandle(h)
		if err := lockDMS(h, false); err != nil {
			t.Fatal(err)
		}
	case "save":
		db, err := OpenExistingWith(context.Background(), path, Options{Log: quiet})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		for i := range 3 {
			if err := db.Save(context.Background(), scRec(uint64(7300+i), "c2", t0.Add(time.Duration(i)*time.Second), mark.Accept), time.Minute); err != nil {
				t.Fatal(err)
			}
		}
	case "store":
		db, err := OpenWith(context.Background(), path, Options{Log: quiet})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Counts(context.Background()); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("%s=%q", holderEnv, what)
	}
	fmt.Println("held")
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// startHolder runs the test binary again as another process holding what
// (holderEnv) on path until release is called (or the test ends).
func startHolder(t *testing.T, what, path string) (release func()) {
	t.Helper()
	_, release = startHolderCmd(t, what, path)
	return release
}

// startHolderCmd is startHolder with the other process, for a test that
// kills it.
func startHolderCmd(t *testing.T, what, path string) (_ *exec.Cmd, release func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestWindowsHolderProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), holderEnv+"="+what+" "+path)
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
	done := false
	release = func() {
		if done {
			return
		}
		done = true
		stdin.Close()
		if cmd.ProcessState != nil {
			return // killed, and waited for, by the test
		}
		rest, _ := io.ReadAll(stdout)
		if err := cmd.Wait(); err != nil {
			t.Errorf("holder %s %s: %v\n%s", what, path, err, rest)
		}
	}
	t.Cleanup(release)
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "held" {
		t.Fatalf("holder %s %s: %q, %v", what, path, line, err)
	}
	return cmd, release
}

// TestWindowsShmBusy: the probe of shmBusy against a WAL index file
// locked the way SQLite's Windows VFS locks it. Busy while a handle holds
// the dead-man-switch byte (shared: any process with the index open, this
// one too through another handle; exclusive: a first open resetting it),
// in this process or another; not busy with no lock or no file. The probe
// leaves the holder's lock in place and, when granted, gives its own
// back (SQLite's next first open takes the byte exclusively). The old
// shmBusy said busy always, so the WAL check never ran on Windows.
func TestWindowsShmBusy(t *testing.T) {
	for _, c := range []struct {
		name string
		hold func(t *testing.T, shm string) (release func())
		busy bool
	}{
		{name: "no index", busy: false},
		{name: "index no one has open", hold: func(t *testing.T, shm string) func() {
			windows.CloseHandle(openLikeSQLite(t, shm))
			return func() {}
		}, busy: false},
		{name: "index open in this process", hold: func(t *testing.T, shm string) func() {
			return holdHere(t, shm, false)
		}, busy: true},
		{name: "index being reset in this process", hold: func(t *testing.T, shm string) func() {
			return holdHere(t, shm, true)
		}, busy: true},
		{name: "index open in another process", hold: func(t *testing.T, shm string) func() {
			return startHolder(t, "lock", shm)
		}, busy: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			shm := filepath.Join(winTestDir(t), "markd.db-shm")
			release := func() {}
			if c.hold != nil {
				release = c.hold(t, shm)
			}
			if got := shmBusy(shm); got != c.busy {
				t.Fatalf("shmBusy = %v, want %v", got, c.busy)
			}
			release()
			if _, err := os.Stat(shm); err != nil {
				return
			}
			// nothing of the probe's stays: a first open gets the byte
			h := openLikeSQLite(t, shm)
			defer windows.CloseHandle(h)
			if err := lockDMS(h, true); err != nil {
				t.Fatalf("after the probe, an exclusive lock on the DMS byte: %v", err)
			}
		})
	}
}

// holdHere locks the DMS byte of shm through a handle of this process; its
// release fails the test when the probe took the lock away.
func holdHere(t *testing.T, shm string, exclusive bool) func() {
	h := openLikeSQLite(t, shm)
	if err := lockDMS(h, exclusive); err != nil {
		windows.CloseHandle(h)
		t.Fatal(err)
	}
	return func() {
		defer windows.CloseHandle(h)
		if err := unlockDMS(h); err != nil {
			t.Errorf("the holder's lock is gone after the probe: %v", err)
		}
	}
}

// TestWindowsWALLost: a store with commits only in its WAL, stopped
// uncleanly (its files as SQLite left them, copied from an open store),
// whose -wal was then lost or damaged is refused before SQLite opens it
// (ErrWALLost, naming the -wal and what happened to it; the -shm evidence
// untouched); an intact one opens with every scan. A store open in this
// process or another is not looked at. On the old code (shmBusy always
// true on Windows) the store without its -wal opened silently without
// the scans, whose serials were then accepted again.
func TestWindowsWALLost(t *testing.T) {
	ctx := context.Background()
	dir := winTestDir(t)
	live := filepath.Join(dir, "live.db")
	db, err := OpenWith(ctx, live, Options{Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	const n = 3
	for i := range n {
		if err := db.Save(ctx, scRec(uint64(7100+i), "c1", t0.Add(time.Duration(i)*time.Second), mark.Accept), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if !shmBusy(live + "-shm") {
		t.Fatal("shmBusy: the store this process has open is not busy")
	}
	if err := CheckFile(live); err != nil {
		t.Fatalf("CheckFile of the open store: %v", err)
	}
	// an unclean stop: the store's three files as they are now
	crashed := func(t *testing.T) string {
		t.Helper()
		path := filepath.Join(winTestDir(t), "markd.db")
		for _, ext := range []string{"", "-wal", "-shm"} {
			b, err := os.ReadFile(live + ext)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path+ext, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return path
	}
	frame := func(t *testing.T, path string, i int64) int64 {
		b, err := readHead(path+"-wal", walHeaderSize)
		if err != nil || len(b) < walHeaderSize {
			t.Fatalf("WAL header: %v", err)
		}
		page := int64(b[8])<<24 | int64(b[9])<<16 | int64(b[10])<<8 | int64(b[11])
		return walHeaderSize + (i-1)*(walFrameHeaderSize+page)
	}
	for _, c := range []struct {
		name string
		do   func(t *testing.T, path string)
		lost string // in the error; "" = nothing lost
	}{
		{name: "wal deleted", do: func(t *testing.T, path string) {
			if err := os.Remove(path + "-wal"); err != nil {
				t.Fatal(err)
			}
		}, lost: "-wal: the file is missing"},
		{name: "wal cut short", do: func(t *testing.T, path string) {
			if err := os.Truncate(path+"-wal", frame(t, path, 1)); err != nil {
				t.Fatal(err)
			}
		}, lost: "(cut short)"},
		{name: "wal header zeroed", do: func(t *testing.T, path string) {
			f, err := os.OpenFile(path+"-wal", os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteAt(make([]byte, walHeaderSize), 0); err != nil {
				t.Fatal(err)
			}
		}, lost: "not a WAL header"},
		{name: "intact", do: func(*testing.T, string) {}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := crashed(t)
			c.do(t, path)
			shm, err := os.ReadFile(path + "-shm")
			if err != nil {
				t.Fatal(err)
			}
			err = CheckFile(path)
			if c.lost == "" {
				if err != nil {
					t.Fatalf("CheckFile: %v", err)
				}
				again, err := OpenExistingWith(ctx, path, Options{Log: quiet})
				if err != nil {
					t.Fatal(err)
				}
				defer again.Close()
				if counts, err := again.Counts(ctx); err != nil || counts[mark.Accept] != n {
					t.Fatalf("accepted in the reopened store: %v, %v; want %d", counts, err, n)
				}
				return
			}
			if !errors.Is(err, ErrWALLost) || !errors.Is(err, ErrNotAStore) ||
				!strings.Contains(err.Error(), path+"-wal") || !strings.Contains(err.Error(), c.lost) || mark.Hint(err) == "" {
				t.Fatalf("CheckFile = %v (hint %q), want ErrWALLost naming %s-wal and %q", err, mark.Hint(err), path, c.lost)
			}
			if _, err := OpenExistingWith(ctx, path, Options{Log: quiet}); !errors.Is(err, ErrWALLost) {
				t.Fatalf("OpenExisting = %v, want ErrWALLost", err)
			}
			if after, err := os.ReadFile(path + "-shm"); err != nil || string(after) != string(shm) {
				t.Fatalf("the -shm file was changed (%v): the evidence of the loss is gone", err)
			}
		})
	}
	t.Run("open in another process", func(t *testing.T) {
		path := crashed(t)
		release := startHolder(t, "store", path)
		if !shmBusy(path + "-shm") {
			t.Error("shmBusy: the store another process has open is not busy")
		}
		release()
	})
}

// TestWindowsWALState: the WAL state file on Windows (LockFileEx on its
// bytes past the text, walstate_windows.go). A store closed in this
// process while another process has it open with scans stays marked
// open; that process killed (TerminateProcess: no close) and the -wal and
// -shm both deleted, the store is refused (ErrWALLost naming the files)
// where the old code opened it without the scans. The other process
// closing cleanly instead, the store is marked closed and opens.
func TestWindowsWALState(t *testing.T) {
	ctx := context.Background()
	for _, kill := range []bool{true, false} {
		t.Run(fmt.Sprintf("killed=%v", kill), func(t *testing.T) {
			path := filepath.Join(winTestDir(t), "markd.db")
			db, err := Create(ctx, path, quiet)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			cmd, release := startHolderCmd(t, "save", path)
			db, err = OpenExistingWith(ctx, path, Options{Log: quiet})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			if err := CheckFile(path); err != nil {
				t.Fatalf("CheckFile while another process has it open: %v", err)
			}
			if !kill {
				release()
				if err := CheckFile(path); err != nil {
					t.Fatalf("CheckFile after the last clean close: %v", err)
				}
				again, err := OpenExistingWith(ctx, path, Options{Log: quiet})
				if err != nil {
					t.Fatal(err)
				}
				defer again.Close()
				if counts, err := again.Counts(ctx); err != nil || counts[mark.Accept] != 3 {
					t.Fatalf("accepted: %v, %v; want 3", counts, err)
				}
				return
			}
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			for _, p := range []string{path + "-wal", path + "-shm"} {
				if err := os.Remove(p); err != nil {
					t.Fatal(err)
				}
			}
			err = CheckFile(path)
			if !errors.Is(err, ErrWALLost) || !strings.Contains(err.Error(), path+WALStateSuffix) || !strings.Contains(err.Error(), path+"-shm") {
				t.Fatalf("CheckFile = %v, want ErrWALLost naming %s%s", err, path, WALStateSuffix)
			}
			if _, err := OpenExistingWith(ctx, path, Options{Log: quiet}); !errors.Is(err, ErrWALLost) {
				t.Fatalf("OpenExisting = %v, want ErrWALLost", err)
			}
		})
	}
}
