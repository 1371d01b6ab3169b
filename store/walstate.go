package store

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"markd/mark"
)

// The WAL state file: what tells, once a store's -wal and -shm are both
// gone, whether they held commits the store file lacks. checkWAL
// (walloss.go) reads that from the -shm; with both files deleted after an
// unclean stop (an operator tidying up, a tool that copies the store file
// alone) SQLite opened the store without the scans committed since the
// last checkpoint, silently, and accepted their serials again.
//
// path + WALStateSuffix says "open" from before the first commit of a
// markd process that opened the store to write (OpenWith) until the last
// such process closes it with every commit checkpointed into the store
// file, when it says "closed". It is written and synced at open and
// close only: nothing per scan. Which process is the last is told by
// locks on two bytes of it far past its text (stateMutexByte,
// stateOpenByte; OFD locks on Linux, LockFileEx on Windows), which the
// system drops when a process dies:
//
//   - stateMutexByte, exclusive, while a process reads or changes the
//     state (at open, at close, and CheckFile's look);
//   - stateOpenByte, shared, for as long as a store (a DB) has it open:
//     a closer that gets it exclusive is the last.
//
// CheckFile refuses a store (ErrWALLost) whose state file says "open"
// while no markd process has it open and neither its -wal nor its -shm
// exists. A missing file (a store of an older markd, a new one) or one
// that says anything else is no evidence. Read-only openers (the schema
// check, FindImports) neither mark nor can checkpoint and delete the WAL.
const WALStateSuffix = ".walstate"

const (
	stateMutexByte = 1 << 40
	stateOpenByte  = stateMutexByte + 1
	// stateWait bounds the wait for another process's open or close
	// (its checkpoint at close: milliseconds, a second for a long WAL).
	stateWait = time.Minute
)

// stateText is the file's whole text for a state: the first word is the
// state, both texts one length, so a rewrite in place leaves no tail.
func stateText(state string) []byte {
	return fmt.Appendf(nil, "%-6s\n%s", state,
		"markd: \"open\": a markd process has the store beside this file open to write,\n"+
			"or stopped without closing it (a crash, kill -9, a power cut), and its -wal\n"+
			"file may hold scans the store file lacks; \"closed\": it was closed with\n"+
			"every scan in the store file. Keep this file, and never delete the -wal\n"+
			"and -shm files: a store marked open whose -wal and -shm are both gone is\n"+
			"refused (ErrWALLost; docs/operations.md, \"Where the data lives\").\n")
}

const (
	stateOpen   = "open"
	stateClosed = "closed"
)

// walState is a store's hold on its state file while it is open.
type walState struct {
	path string // of the store
	f    *os.File
}

// readState is the state the file f holds: stateOpen, stateClosed or ""
// (empty, short, anything else: no evidence).
func readState(f *os.File) string {
	b := make([]byte, 7)
	n, _ := f.ReadAt(b, 0)
	switch b = b[:n]; {
	case bytes.Equal(b, []byte("open  \n")):
		return stateOpen
	case bytes.Equal(b, []byte("closed\n")):
		return stateClosed
	}
	return ""
}

// writeState writes state over the file's text and syncs it.
func writeState(f *os.File, state string) error {
	if _, err := f.WriteAt(stateText(state), 0); err != nil {
		return err
	}
	return f.Sync()
}

// lockState is tryLock; a test makes the file system refuse the locks.
var lockState = tryLock

// lockWait takes an exclusive lock on byte off of f, trying again until
// stateWait has passed.
func lockWait(f *os.File, off int64) error {
	deadline := time.Now().Add(stateWait)
	for {
		err := lockState(f, off, true)
		if !errors.Is(err, errLockHeld) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// errNoStateLocks: the file system of the store refuses the state file's
// locks (an OFD lock on some network or FUSE file systems): the store is
// opened without the WAL state, as CheckFile then does not look at it.
var errNoStateLocks = errors.New("the file system does not lock the WAL state file")

// markOpen marks the store at path open ("open", synced) and holds its
// stateOpenByte until release: OpenWith calls it before its first commit.
func markOpen(path string) (*walState, error) {
	if !stateLocks {
		return nil, nil
	}
	base := sqliteBase(path)
	sp := base + WALStateSuffix
	fail := func(err error) (*walState, error) {
		return nil, mark.WithHint(fmt.Errorf("store %s: WAL state file %s: %w: %w", path, sp, mark.ErrUnavailable, err),
			"check that the markd user may create and write files in "+filepath.Dir(path)+" and write "+sp)
	}
	_, statErr := os.Lstat(sp)
	f, err := os.OpenFile(sp, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fail(err)
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
		}
	}()
	if errors.Is(statErr, os.ErrNotExist) {
		if err := giveOwner(path, sp); err != nil { // root opening the service user's store
			return fail(err)
		}
	}
	if err := lockWait(f, stateMutexByte); err != nil {
		if !errors.Is(err, errLockHeld) {
			return nil, fmt.Errorf("%s: %w: %w", sp, errNoStateLocks, err)
		}
		return fail(err)
	}
	defer unlockByte(f, stateMutexByte) //nolint:errcheck // the close drops it
	if err := lockState(f, stateOpenByte, false); err != nil {
		return fail(err)
	}
	if readState(f) != stateOpen {
		if err := writeState(f, stateOpen); err != nil {
			return fail(err)
		}
		if errors.Is(statErr, os.ErrNotExist) {
			if err := syncDir(filepath.Dir(sp)); err != nil {
				return fail(err)
			}
		}
	}
	ok = true
	return &walState{path: base, f: f}, nil
}

// release ends the store's hold on its state file around closeDB (the
// close of its SQLite handle). When no other markd process has the store
// open and checkpoint folded every commit into the store file, or
// SQLite's close did and removed the -wal, it marks the store "closed".
// A store still open elsewhere, or whose WAL another program keeps (an
// open sqlite3 shell's read), stays "open". The last closer calls
// recordClosed (when set) before its checkpoint: the store's own record
// (opencopy.go).
func (s *walState) release(log *slog.Logger, recordClosed func(), checkpoint func() bool, closeDB func() error) error {
	if s == nil {
		return closeDB()
	}
	defer s.f.Close()
	if err := lockWait(s.f, stateMutexByte); err != nil {
		log.Warn("WAL state file: not marked closed", "path", s.path+WALStateSuffix, "err", err)
		return closeDB()
	}
	unlockByte(s.f, stateOpenByte) //nolint:errcheck // the last look below tells
	last := lockState(s.f, stateOpenByte, true) == nil
	if last && recordClosed != nil {
		recordClosed()
	}
	clean := last && checkpoint()
	if clean {
		if err := writeState(s.f, stateClosed); err != nil {
			log.Warn("WAL state file: not marked closed", "path", s.path+WALStateSuffix, "err", err)
		}
	}
	err := closeDB()
	if last && !clean && err == nil && !exists(s.path+"-wal") && !exists(s.path+"-shm") {
		// the last close of SQLite folded the WAL in and removed it
		if err := writeState(s.f, stateClosed); err != nil {
			log.Warn("WAL state file: not marked closed", "path", s.path+WALStateSuffix, "err", err)
		}
	}
	return err
}

// exists reports whether path exists, or may (it cannot be looked at).
func exists(path string) bool {
	_, err := os.Lstat(path)
	return !errors.Is(err, os.ErrNotExist)
}

// checkWALState refuses a store its state file marks open while no markd
// process has it open and its -wal and -shm are both gone (ErrWALLost).
func checkWALState(path string) error {
	if !stateLocks {
		return nil
	}
	base := sqliteBase(path)
	sp := base + WALStateSuffix
	f, err := os.OpenFile(sp, os.O_RDWR, 0)
	if err != nil {
		return nil // none (an older markd's store, a new one), or not ours to look at
	}
	defer f.Close()
	if readState(f) != stateOpen {
		return nil
	}
	if err := lockWait(f, stateMutexByte); err != nil {
		return nil
	}
	defer unlockByte(f, stateMutexByte) //nolint:errcheck // the close drops it
	if lockState(f, stateOpenByte, true) != nil {
		return nil // open in a markd process now
	}
	unlockByte(f, stateOpenByte) //nolint:errcheck // the close drops it
	if readState(f) != stateOpen || exists(base+"-wal") || exists(base+"-shm") {
		return nil
	}
	if aside := overwrittenAside(base); aside != "" {
		return overwrittenStartErr(path, aside)
	}
	return mark.WithHint(fmt.Errorf("store %s: %s-wal and %s-shm are both missing, but %s says markd had the store open to write and did not close it (a crash, kill -9 or power cut): "+
		"the scans committed since its last checkpoint, if any, are gone with them: %w",
		path, base, base, sp, ErrWALLost),
		"the scans accepted since the last checkpoint are not in the store, and their serials would be accepted again. "+
			"If the -wal and -shm files were moved or copied away, put both back beside the store (the same ones, before anything opens the store). "+
			"If another program (the sqlite3 shell, DB Browser for SQLite) opened and closed the store since markd stopped, it folded the -wal into the store and removed both itself, and nothing is lost: then only, write the word closed into "+sp+" (echo closed > "+sp+"; removing it leaves the store's own record, which says open, and the store is refused as a copy). "+
			"Otherwise put the last backup (made by `markd backup`) in place with `markd restore FILE`, which sets this store and its files aside: "+
			"with sync.url set it restores the serials accepted since from the collector before it accepts a mark")
}
