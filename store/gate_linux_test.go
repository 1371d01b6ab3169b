//go:build cgo

package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"markd/internal/filecopy"
	"markd/mark"
)

// countText counts the scans with raw text text through a connection of
// its own (another reader of the file, as the pages and the API are).
func countText(t *testing.T, other *sql.DB, text string) int {
	t.Helper()
	var n int
	if err := other.QueryRow(`SELECT count(*) FROM scans WHERE raw_text = ?`, text).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// copyFile copies src to dst; a missing src is no copy.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	if err := filecopy.Copy(src, dst); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
}

// crashCopy copies the store file and its WAL (not the shared-memory
// index) as a crash would leave them: opening the copy runs WAL recovery.
func crashCopy(t *testing.T, path string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "crash.db")
	copyFile(t, path, dst)
	copyFile(t, path+"-wal", dst+"-wal")
	return dst
}

// gatedStore opens a store, saves n scans through its writer (which must
// have a gate slot) and opens a read-only connection of another program
// beside it, closed with the test.
func gatedStore(t *testing.T, n int) (*DB, string, *sql.DB) {
	t.Helper()
	db, path := openTest(t, Options{})
	for i := range n {
		if err := db.Save(context.Background(), scRec(uint64(100+i), "A", t0, mark.Accept), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if db.writer.gate == 0 {
		t.Fatal("the scan writer has no gate slot on the store's VFS")
	}
	other, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return db, path, other
}

// TestGateRefusedCommitLeavesNoTrace arms the gate bad on a real commit:
// the check waits until the commit's frames are in the WAL file, a second
// connection must not see the row then or afterwards, and the store's
// files as a crash would leave them right after the refusal must not hold
// it after WAL recovery. A gate that published the frames, or one that let
// them stay valid in the WAL, fails it.
func TestGateRefusedCommitLeavesNoTrace(t *testing.T) {
	db, path, other := gatedStore(t, 3) // past the first commits (WAL header)
	ctx := context.Background()

	rec := scRec(4242, "A", t0.Add(time.Second), mark.Accept)
	walBefore, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	refused0 := gateFired[gateRefused].Load()
	var seenDuring int
	err = db.SaveChecked(ctx, rec, time.Minute, func() bool {
		// Wait until the commit's frames are written (the WAL grows),
		// so the gate is being waited for under the sync.
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			if st, err := os.Stat(path + "-wal"); err == nil && st.Size() > walBefore.Size() {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		if err := other.QueryRow(`SELECT count(*) FROM scans WHERE raw_text = ?`, rec.Text).Scan(&seenDuring); err != nil {
			seenDuring = -1
		}
		return false
	})
	if !errors.Is(err, ErrSignatureRefused) {
		t.Fatalf("SaveChecked with a bad check: %v, want ErrSignatureRefused", err)
	}
	if got := gateFired[gateRefused].Load() - refused0; got != 1 {
		t.Errorf("the gate refused %d commits, want 1 (the refusal came from the VFS's sync)", got)
	}
	if rec.ID != "" {
		t.Errorf("the refused record got id %q", rec.ID)
	}
	if seenDuring != 0 {
		t.Errorf("a second connection saw %d rows while the gate was waited for (-1: the read failed)", seenDuring)
	}
	if n := countText(t, other, rec.Text); n != 0 {
		t.Errorf("a second connection sees the refused row (%d)", n)
	}
	// The files as a crash now would leave them: recovery must stop before
	// the refused commit.
	crashed := crashCopy(t, path)
	db2, err := OpenWith(ctx, crashed, Options{Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if n := countText(t, db2.db, rec.Text); n != 0 {
		t.Errorf("after WAL recovery the refused row is there (%d)", n)
	}
	if n := countText(t, db2.db, scRec(101, "A", t0, mark.Accept).Text); n != 1 {
		t.Errorf("after WAL recovery a scan committed before is missing (%d)", n)
	}
	if err := db2.Check(ctx); err != nil {
		t.Errorf("recovered copy: %v", err)
	}
	db2.Close()

	// The writer goes on: the same serial accepted for real now.
	again := scRec(4242, "A", t0.Add(2*time.Second), mark.Accept)
	if err := db.SaveChecked(ctx, again, time.Minute, func() bool { return true }); err != nil {
		t.Fatal(err)
	}
	if again.Verdict != mark.Accept {
		t.Errorf("after a refusal the serial is %s, want ACCEPT (the refused claim must be gone)", again.Verdict)
	}
	if n := countText(t, other, rec.Text); n != 1 {
		t.Errorf("second connection sees %d rows of the accepted scan, want 1", n)
	}
}

// TestGateGoodCommitsDurable: good checks pass the gate in the WAL's sync
// (not before COMMIT), their rows read back after a crash copy.
func TestGateGoodCommitsDurable(t *testing.T) {
	db, path := openTest(t, Options{})
	ctx := context.Background()
	passed0 := gateFired[gatePassed].Load()
	var ids []string
	for i := range 10 {
		rec := scRec(uint64(500+i), "A", t0.Add(time.Duration(i)*time.Second), mark.Accept)
		if err := db.SaveChecked(ctx, rec, time.Minute, func() bool { return true }); err != nil {
			t.Fatal(err)
		}
		if rec.ID == "" || rec.Verdict != mark.Accept {
			t.Fatalf("scan %d: %q %s", i, rec.ID, rec.Verdict)
		}
		ids = append(ids, rec.ID)
	}
	if got := gateFired[gatePassed].Load() - passed0; got < 10 {
		t.Errorf("%d of 10 commits passed the gate in the WAL's sync", got)
	}
	db2, err := OpenWith(ctx, crashCopy(t, path), Options{Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	for _, id := range ids {
		if r, err := db2.Get(ctx, id); err != nil || r.Verdict != mark.Accept {
			t.Errorf("after recovery %s: %s %v", id, r.Verdict, err)
		}
	}
}

// TestGateRefusalsKeepTheFileSound: many gated commits, every seventh
// refused, on a store whose free pages are being reused (rows deleted
// first) and with the checkpointer running beside; refused scans saved
// again plainly. The file must pass the integrity check, and hold exactly
// the scans saved, after a crash copy and after a clean close.
func TestGateRefusalsKeepTheFileSound(t *testing.T) {
	if testing.Short() {
		t.Skip("1500 commits")
	}
	db, path := openTest(t, Options{})
	ctx := context.Background()
	for i := range 400 {
		if err := db.Save(ctx, scRec(uint64(1+i), "A", t0.Add(time.Duration(i)*time.Second), mark.Accept), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{`PRAGMA foreign_keys = OFF`, `DELETE FROM used_serials WHERE serial > 100`,
		`DELETE FROM scans WHERE serial > 100`, `PRAGMA foreign_keys = ON`} {
		if _, err := db.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	refused0 := gateFired[gateRefused].Load()
	const refusals = 214 // i%7 == 3 for i < 1500
	want := 100
	for i := range 1500 {
		rec := scRec(uint64(10_000+i), "A", t0.Add(time.Duration(1000+i)*time.Second), mark.Accept)
		err := db.SaveChecked(ctx, rec, time.Minute, func() bool { return i%7 != 3 })
		if i%7 == 3 {
			if !errors.Is(err, ErrSignatureRefused) {
				t.Fatalf("scan %d: %v, want refused", i, err)
			}
			rec = scRec(uint64(10_000+i), "A", t0.Add(time.Duration(1000+i)*time.Second), mark.Reject, mark.ReasonBadSignature)
			rec.Mark = nil
			err = db.Save(ctx, rec, time.Minute)
		}
		if err != nil {
			t.Fatalf("scan %d: %v", i, err)
		}
		want++
	}
	if got := gateFired[gateRefused].Load() - refused0; got < refusals {
		t.Errorf("%d refusals through the gate, want %d", got, refusals)
	}
	count := func(d *DB) (n, accepted int) {
		if err := d.db.QueryRow(`SELECT count(*), count(*) FILTER (WHERE verdict = 'ACCEPT') FROM scans`).Scan(&n, &accepted); err != nil {
			t.Fatal(err)
		}
		return n, accepted
	}
	crashed, err := OpenWith(ctx, crashCopy(t, path), Options{Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := crashed.Check(ctx); err != nil {
		t.Errorf("crash copy: %v", err)
	}
	if n, acc := count(crashed); n != want || acc != want-refusals {
		t.Errorf("crash copy holds %d scans (%d ACCEPT), want %d (%d)", n, acc, want, want-refusals)
	}
	crashed.Close()
	if err := db.Check(ctx); err != nil {
		t.Errorf("store: %v", err)
	}
}

// TestGateCheckRunsInTheCommitSync: the check runs on the committing
// thread itself (no helper thread, no wake-up), after the commit's frames
// are in the WAL file and before any other connection can see the row;
// the WAL's second descriptor (for sync_file_range) is closed with the
// store. A check run before the frames were written, on another thread,
// or a descriptor left open fails it.
func TestGateCheckRunsInTheCommitSync(t *testing.T) {
	db, path, other := gatedStore(t, 1)
	ctx := context.Background()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	caller := unix.Gettid()
	rec := scRec(881, "A", t0.Add(time.Second), mark.Accept)
	var tid, seen int
	var inWAL bool
	check := func() bool {
		tid = unix.Gettid()
		b, err := os.ReadFile(path + "-wal")
		inWAL = err == nil && bytes.Contains(b, []byte(rec.Text))
		if err := other.QueryRow(`SELECT count(*) FROM scans WHERE raw_text = ?`, rec.Text).Scan(&seen); err != nil {
			seen = -1
		}
		return true
	}
	if err := db.SaveChecked(ctx, rec, time.Minute, check); err != nil {
		t.Fatal(err)
	}
	if tid != caller {
		t.Errorf("the check ran on thread %d, the committing thread is %d", tid, caller)
	}
	if n := walDescriptors(t, path); n < 2 {
		t.Errorf("%d descriptors of the WAL are open, want SQLite's and the gate's (2 or more)", n)
	}
	if !inWAL {
		t.Error("the check ran before the commit's frames were in the WAL file")
	}
	if seen != 0 {
		t.Errorf("a second connection saw %d rows while the check ran (-1: the read failed)", seen)
	}
	if n := countText(t, other, rec.Text); n != 1 {
		t.Errorf("after the commit a second connection sees %d rows, want 1", n)
	}
	other.Close()
	db.Close()
	if n := walDescriptors(t, path); n != 0 {
		t.Errorf("%d descriptors of the WAL are still open after Close", n)
	}
}

// walDescriptors counts this process's open descriptors of path's WAL.
func walDescriptors(t *testing.T, path string) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	want, err := filepath.Abs(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		// A WAL removed at the last close still counts while a descriptor holds it.
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && strings.TrimSuffix(target, " (deleted)") == want {
			n++
		}
	}
	return n
}
