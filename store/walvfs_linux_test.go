//go:build cgo

package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/mark"
)

// TestWALWritesCoalesced: a scan's commit reaches the kernel in one write
// (SQLite makes two per WAL frame), and what was written reads back after
// the store is closed and opened again.
func TestWALWritesCoalesced(t *testing.T) {
	if vfsParam() == "" {
		t.Fatal("the WAL VFS did not register")
	}
	db, path := openTest(t, Options{})
	ctx := context.Background()
	for i := range 3 { // past the first commits (schema, WAL header)
		if err := db.Save(ctx, scRec(uint64(100+i), "A", t0, mark.Accept), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	for i := range 20 {
		w0, f0 := walWriteStats()
		rec := scRec(uint64(1000+i), "A", t0.Add(time.Duration(i)*time.Second), mark.Accept)
		if err := db.Save(ctx, rec, time.Minute); err != nil {
			t.Fatal(err)
		}
		w, f := walWriteStats()
		// Other tests of the package may write at the same time: only the
		// ratio is checked (4 frames = 8 writes → 1).
		if w-w0 < 8 || f-f0 > (w-w0)/4 {
			t.Errorf("scan %d: %d WAL writes reached the kernel in %d writes, want ≤ 1 per 4", i, w-w0, f-f0)
		}
		ids = append(ids, rec.ID)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2 := openAgain(t, path)
	for _, id := range ids {
		r, err := db2.Get(ctx, id)
		if err != nil || r.Verdict != mark.Accept {
			t.Fatalf("after reopen, %s: %v %v", id, r.Verdict, err)
		}
	}
	if err := db2.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestWALVFSUnsyncedCommits: a connection that commits without a sync
// (synchronous=OFF, never the store's) still hands its frames to the
// kernel before other connections may read them, and a rolled-back
// transaction that spilled frames leaves nothing behind for the next
// writer to be overwritten by.
func TestWALVFSUnsyncedCommits(t *testing.T) {
	vfs := vfsParam()
	if vfs == "" {
		t.Fatal("the WAL VFS did not register")
	}
	path := filepath.Join(t.TempDir(), "off.db")
	open := func(sync string) *sql.DB {
		db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous="+sync+"&_busy_timeout=5000&vfs="+vfs)
		if err != nil {
			t.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		t.Cleanup(func() { db.Close() })
		return db
	}
	w, r := open("OFF"), open("FULL")
	if _, err := w.Exec(`PRAGMA cache_size = 2`); err != nil { // small cache: big transactions spill frames
		t.Fatal(err)
	}
	if _, err := w.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 3000)
	want := 0
	for i := range 300 {
		if i%50 == 25 { // a transaction of many pages, rolled back
			tx, err := w.Begin()
			if err != nil {
				t.Fatal(err)
			}
			for range 40 {
				if _, err := tx.Exec(`INSERT INTO t(v) VALUES (?)`, big); err != nil {
					t.Fatal(err)
				}
			}
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.Exec(`INSERT INTO t(v) VALUES (?)`, big[:i]); err != nil {
			t.Fatal(err)
		}
		want++
		var n, sum int
		if err := r.QueryRow(`SELECT count(*), coalesce(sum(length(v)), 0) FROM t`).Scan(&n, &sum); err != nil {
			t.Fatalf("after insert %d: %v", i, err)
		}
		if n != want || sum != i*(i+1)/2 {
			t.Fatalf("after insert %d the other connection reads %d rows, %d bytes; want %d, %d", i, n, sum, want, i*(i+1)/2)
		}
	}
	var res string
	if err := r.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
		t.Fatalf("integrity_check: %q %v", res, err)
	}
}

// TestCheckpointWritesCombined: a checkpoint's page writes to the main
// file reach the kernel in few calls (one per ~31 pages that follow each
// other), and the file holds every scan after the store is closed (the
// last checkpoint) and opened again, with readers beside the checkpoints.
func TestCheckpointWritesCombined(t *testing.T) {
	if vfsParam() == "" {
		t.Fatal("the WAL VFS did not register")
	}
	db, path := openTest(t, Options{})
	ctx := context.Background()
	w0, f0 := mainWriteStats()
	var recs []*mark.Record
	for i := range 3000 {
		recs = append(recs, scRec(uint64(1+i), "A", t0.Add(time.Duration(i)*time.Second), mark.Accept))
	}
	stop := make(chan struct{})
	readErr := make(chan error, 1)
	go func() { // a reader beside the checkpoints sees every scan stored before it looks
		defer close(readErr)
		for {
			select {
			case <-stop:
				return
			default:
			}
			var n, serials int
			if err := db.SQL().QueryRowContext(ctx, `SELECT count(*), (SELECT count(*) FROM used_serials) FROM scans`).Scan(&n, &serials); err != nil {
				readErr <- err
				return
			}
			if n != serials {
				readErr <- fmt.Errorf("reader: %d scans and %d serials", n, serials)
				return
			}
		}
	}()
	for lo := 0; lo < len(recs); lo += 500 {
		if err := db.SaveBatch(ctx, recs[lo:lo+500], time.Minute); err != nil {
			t.Fatal(err)
		}
		db.writer.checkpointBeside(db)
	}
	close(stop)
	if err := <-readErr; err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	w, f := mainWriteStats()
	// Other tests of the package may checkpoint at the same time: only
	// the ratio is checked.
	if w-w0 < 100 || f-f0 > (w-w0)/4 {
		t.Errorf("%d page writes to the main file reached the kernel in %d writes, want ≤ 1 per 4", w-w0, f-f0)
	}
	db2 := openAgain(t, path)
	var n int
	if err := db2.SQL().QueryRowContext(ctx, `SELECT count(*) FROM scans`).Scan(&n); err != nil || n != len(recs) {
		t.Fatalf("after reopen: %d scans (%v), want %d", n, err, len(recs))
	}
	if err := db2.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestCheckpointWriteFailureKeepsWAL: when the main file's combined
// writes fail at the end of a checkpoint (a full disk), the checkpoint
// fails and the WAL keeps the frames, so no scan is lost once the WAL
// restarts. SQLite writes that last buffer from a file control whose
// result it ignores (SQLITE_FCNTL_CKPT_DONE): before, the checkpoint
// reported success, the next write restarted the WAL over frames whose
// pages never reached the file, and the scans were gone after a restart.
func TestCheckpointWriteFailureKeepsWAL(t *testing.T) {
	if vfsParam() == "" {
		t.Fatal("the WAL VFS did not register")
	}
	db, path := openGrowing(t)
	ctx := context.Background()
	failMainWrites(true)
	var busy, frames, moved int
	err := db.SQL().QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &moved)
	failMainWrites(false)
	if err == nil {
		t.Errorf("checkpoint with failing writes reported success: busy %d, frames %d, copied %d", busy, frames, moved)
	}
	// A write that touches none of the scans' pages restarts the WAL if
	// the checkpoint claimed to be complete.
	if err := db.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sync_state(key, value) VALUES ('probe', 'x')`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	checkGrowing(t, path)
}

// TestCloseOnFullDiskKeepsWAL: the last close of a store checkpoints and
// deletes the WAL; when the checkpoint's writes fail (a full disk at
// `markd run`'s stop) the WAL must stay, or the scans since the last
// checkpoint are gone.
func TestCloseOnFullDiskKeepsWAL(t *testing.T) {
	if vfsParam() == "" {
		t.Fatal("the WAL VFS did not register")
	}
	db, path := openGrowing(t)
	failMainWrites(true)
	db.Close() //nolint:errcheck // SQLite does not report the failed checkpoint of its last close
	failMainWrites(false)
	checkGrowing(t, path)
}

// growingScans is how many scans openGrowing saves.
const growingScans = 12

// openGrowing opens a store whose WAL holds growingScans scans, fewer
// than idleCheckpointMin (the checkpointer stays out), with long texts:
// their checkpoint grows the file by a few pages at its end, in one
// buffer of combined writes written at the checkpoint's end.
func openGrowing(t *testing.T) (*DB, string) {
	t.Helper()
	db, path := openTest(t, Options{})
	ctx := context.Background()
	// the migrations' pages first
	if _, err := db.SQL().ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
		t.Fatal(err)
	}
	for i := range growingScans {
		r := scRec(uint64(1+i), "A", t0.Add(time.Duration(i)*time.Second), mark.Accept)
		r.Text += strings.Repeat("x", 2000)
		if err := db.Save(ctx, r, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	return db, path
}

// checkGrowing opens the store of openGrowing again: every scan and its
// serial are there and the file is sound.
func checkGrowing(t *testing.T, path string) {
	t.Helper()
	ctx := context.Background()
	db := openAgain(t, path)
	var scans, used int
	if err := db.SQL().QueryRowContext(ctx, `SELECT count(*), (SELECT count(*) FROM used_serials) FROM scans`).Scan(&scans, &used); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
	if scans != growingScans || used != growingScans {
		t.Errorf("after reopen: %d scans, %d used serials, want %d", scans, used, growingScans)
	}
	if err := db.Check(ctx); err != nil {
		t.Error(err)
	}
}
