//go:build !windows

package store

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"markd/mark"
)

// TestPresizeWAL: a store opened with PresizeWAL and no WAL gets one of
// zeros presizeScans scans long before SQLite opens it; SQLite takes it
// for an empty WAL, the scans of the first cycle write into it without
// growing it, and the store holds them after a close and a reopen.
func TestPresizeWAL(t *testing.T) {
	db, path := openTest(t, Options{})
	if err := db.Close(); err != nil { // the last close removes the WAL
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); !os.IsNotExist(err) {
		t.Fatalf("WAL after close: %v, want none", err)
	}
	ctx := context.Background()
	db2, err := OpenWith(ctx, path, Options{Log: quiet, PresizeWAL: true})
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatalf("no WAL made ahead: %v", err)
	}
	size := st.Size()
	if want := int64(presizeScans * 4 * 4096); size < want {
		t.Fatalf("WAL made ahead is %d bytes, want ≥ %d", size, want)
	}
	if _, err := os.Stat(path + "-wal.presize"); !os.IsNotExist(err) {
		t.Errorf("the zeros' other name is left: %v", err)
	}
	const n = 200
	for i := range n {
		if err := db2.Save(ctx, scRec(uint64(1+i), "A", t0.Add(time.Duration(i)*time.Second), mark.Accept), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if st, err := os.Stat(path + "-wal"); err != nil || st.Size() != size {
		t.Errorf("WAL after %d scans: %v bytes (%v), want the %d made ahead", n, st.Size(), err, size)
	}
	if err := db2.Close(); err != nil {
		t.Fatal(err)
	}
	db3 := openAgain(t, path)
	var got int
	if err := db3.SQL().QueryRowContext(ctx, `SELECT count(*) FROM scans`).Scan(&got); err != nil || got != n {
		t.Fatalf("after reopen: %d scans (%v), want %d", got, err, n)
	}
	if err := db3.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestPresizeWALNeverWritesAWAL: an existing WAL is left as it is, also
// one that another process makes while the zeros are being written; and a
// path that is not a SQLite file gets none.
func TestPresizeWALNeverWritesAWAL(t *testing.T) {
	db, path := openTest(t, Options{})
	ctx := context.Background()
	if err := db.Save(ctx, scRec(1, "A", t0, mark.Accept), time.Minute); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if made, err := presizeWAL(path); made || err != nil {
		t.Fatalf("presize beside an open store's WAL: made %v, %v", made, err)
	}
	if after, _ := os.ReadFile(path + "-wal"); !bytes.Equal(before, after) {
		t.Fatal("an existing WAL was written")
	}

	// A WAL that appears between the zeros' sync and their link.
	other := t.TempDir() + "/other.db"
	if err := os.WriteFile(other, append([]byte("SQLite format 3\x00\x10\x00"), make([]byte, 82)...), 0o600); err != nil {
		t.Fatal(err)
	}
	theirs := []byte("frames of another process")
	presizeBeforeLink = func() {
		if err := os.WriteFile(other+"-wal", theirs, 0o600); err != nil {
			t.Error(err)
		}
	}
	defer func() { presizeBeforeLink = func() {} }()
	if made, err := presizeWAL(other); made || err != nil {
		t.Fatalf("presize raced by another WAL: made %v, %v", made, err)
	}
	if got, _ := os.ReadFile(other + "-wal"); !bytes.Equal(got, theirs) {
		t.Fatalf("the other process's WAL was changed: %q", got)
	}
	if _, err := os.Stat(other + "-wal.presize"); !os.IsNotExist(err) {
		t.Errorf("the zeros' other name is left: %v", err)
	}

	notSQLite := t.TempDir() + "/notes.txt"
	if err := os.WriteFile(notSQLite, []byte("not a store"), 0o600); err != nil {
		t.Fatal(err)
	}
	if made, err := presizeWAL(notSQLite); made || err != nil {
		t.Fatalf("presize of a text file: made %v, %v", made, err)
	}
	if _, err := os.Stat(notSQLite + "-wal"); !os.IsNotExist(err) {
		t.Fatal("a WAL was made beside a file that is not a store")
	}
}

// TestPresizeWALThroughOpenExisting: markd run opens its store with
// OpenExistingWith, whose check that the file is a markd store (read
// only) left an empty -wal behind, so the WAL was never made ahead and
// the first cycle's commits grew the file again (found by the WAL state
// soak).
func TestPresizeWALThroughOpenExisting(t *testing.T) {
	db, path := openTest(t, Options{})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2, err := OpenExistingWith(context.Background(), path, Options{Log: quiet, PresizeWAL: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	st, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatalf("no WAL made ahead: %v", err)
	}
	if want := int64(presizeScans * 4 * 4096); st.Size() < want {
		t.Fatalf("WAL made ahead is %d bytes, want ≥ %d", st.Size(), want)
	}
}
