package store

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"markd/internal/syncbuf"
	"markd/mark"
)

// TestCheckpointRequests: the write path asks for a checkpoint once every
// CheckpointEvery scans; one that the one-scan path reaches holds the
// writer, one that a bulk save reaches runs beside it.
func TestCheckpointRequests(t *testing.T) {
	d := &DB{}
	d.ck.reqs = make(chan ckKind, 1)
	d.ck.idleTimer = time.NewTimer(time.Hour) // never fires: the pause is not watched here
	var w scanWriter
	pending := func() (held, ok bool) {
		select {
		case k := <-d.ck.reqs:
			return k == ckHeld, true
		default:
			return false, false
		}
	}
	for i := 1; i < CheckpointEvery; i++ {
		w.afterSave(d, 1)
		if _, ok := pending(); ok {
			t.Fatalf("a checkpoint asked for after %d scans, want after %d", i, CheckpointEvery)
		}
	}
	w.afterSave(d, 1)
	if held, ok := pending(); !ok || !held {
		t.Fatalf("after %d one-scan saves: request %v, held %v; want a held one", CheckpointEvery, ok, held)
	}
	w.afterSave(d, CheckpointEvery-bulkMin)
	w.afterSave(d, bulkMin)
	if held, ok := pending(); !ok || held {
		t.Fatalf("after a bulk save reached the count: request %v, held %v; want one beside the writer", ok, held)
	}
	// A request still pending is not doubled and the count starts again.
	w.afterSave(d, CheckpointEvery)
	w.afterSave(d, CheckpointEvery)
	if _, ok := pending(); !ok {
		t.Fatal("no request after two bulk saves")
	}
	if _, ok := pending(); ok {
		t.Fatal("two requests queued, want one")
	}
}

// TestOneScanCheckpointRestartsWAL: scans saved one by one, back to back
// (no pause for a checkpoint to run alone), restart the WAL soon after
// every CheckpointEvery scans: the held checkpoint copies every frame, so
// the next commit writes the WAL from its start (new salts in its header),
// and the file keeps the length of one cycle.
func TestOneScanCheckpointRestartsWAL(t *testing.T) {
	if testing.Short() {
		t.Skip("three checkpoint cycles of scans")
	}
	db, path := openTest(t, Options{})
	ctx := context.Background()
	salts := func() []byte { return walSalts(t, path) }
	serial := uint64(0)
	save := func() {
		serial++
		if err := db.Save(ctx, scRec(serial, "A", t0.Add(time.Duration(serial)*time.Second), mark.Accept), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	walSize := func() int64 {
		st, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	save()
	var firstCycle int64
	for cycle := range 3 {
		before := salts()
		for range CheckpointEvery - 1 {
			save()
		}
		// The checkpointer gets the writer within a few scans, however
		// loaded the machine; a WAL that is not restarted by then grows on.
		restarted := false
		for range CheckpointEvery / 4 {
			save()
			if !bytes.Equal(salts(), before) {
				restarted = true
				break
			}
		}
		if !restarted {
			t.Fatalf("cycle %d: the WAL was not restarted within %d scans after %d", cycle, CheckpointEvery/4, CheckpointEvery)
		}
		if cycle == 0 {
			firstCycle = walSize()
		} else if got := walSize(); got > firstCycle+firstCycle/4 {
			t.Errorf("cycle %d: WAL %d bytes, after the first cycle %d: it grows", cycle, got, firstCycle)
		}
	}
	var n int
	if err := db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM scans`).Scan(&n); err != nil || n != int(serial) {
		t.Fatalf("%d scans stored (%v), want %d", n, err, serial)
	}
}

// TestSlowCheckpointWarns: a held checkpoint that keeps scans waiting as
// long as slowCheckpoint or more is logged at warn level, with how long it
// took and a hint; a quick one only at debug level.
func TestSlowCheckpointWarns(t *testing.T) {
	var buf syncbuf.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	db, _ := openTest(t, Options{Log: log})
	ctx := context.Background()
	records := func() []map[string]any {
		var out []map[string]any
		dec := json.NewDecoder(bytes.NewReader(buf.Take()))
		for dec.More() {
			var r map[string]any
			if err := dec.Decode(&r); err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		return out
	}
	checkpoint := func(threshold time.Duration) (warn, debug map[string]any) {
		t.Helper()
		old := slowCheckpoint
		slowCheckpoint = threshold
		defer func() { slowCheckpoint = old }()
		if err := db.Save(ctx, scRec(uint64(time.Now().UnixNano()), "A", t0, mark.Accept), time.Minute); err != nil {
			t.Fatal(err)
		}
		records()
		db.writer.checkpointHeld(db)
		for _, r := range records() {
			if _, ok := r["took"]; !ok {
				continue
			}
			switch r["level"] {
			case "WARN":
				warn = r
			case "DEBUG":
				debug = r
			}
		}
		return warn, debug
	}
	warn, debug := checkpoint(0)
	if warn == nil || debug != nil {
		t.Fatalf("a checkpoint at the threshold: warn %v, debug %v; want a warning", warn, debug)
	}
	if warn["hint"] == nil || warn["wal_frames"] == nil || warn["copied"] == nil {
		t.Errorf("the warning lacks hint, WAL frames or pages copied: %v", warn)
	}
	warn, debug = checkpoint(time.Hour)
	if warn != nil || debug == nil {
		t.Fatalf("a quick checkpoint: warn %v, debug %v; want debug only", warn, debug)
	}
}

// TestIdleCheckRequests: the pause watch asks for a checkpoint only after
// a look that saw no transaction begin or end since the one before, and
// never while one is open. (idleCheck is called by hand here; the timer
// is set an hour out.)
func TestIdleCheckRequests(t *testing.T) {
	d := &DB{}
	d.ck.reqs = make(chan ckKind, 1)
	d.ck.idle = time.Hour
	d.ck.idleTimer = time.AfterFunc(time.Hour, func() {})
	defer d.ck.idleTimer.Stop()
	asked := func() bool {
		select {
		case k := <-d.ck.reqs:
			if k != ckIdle {
				t.Fatalf("request %d, want the pause's", k)
			}
			return true
		default:
			return false
		}
	}
	d.armIdle()
	d.writer.txs.Add(2) // a scan's transaction since arming
	if d.idleCheck(); asked() {
		t.Fatal("a checkpoint asked for although a scan came since the last look")
	}
	if !d.ck.idleArmed.Load() {
		t.Fatal("the watch stopped after a look that saw a scan")
	}
	if d.idleCheck(); !asked() {
		t.Fatal("no checkpoint after a look that saw no scan")
	}
	if d.ck.idleArmed.Load() {
		t.Fatal("the watch still armed after asking")
	}
	d.writer.txs.Add(1) // a transaction open, and still open at the look
	d.armIdle()
	if d.idleCheck(); asked() {
		t.Fatal("a checkpoint asked for while a transaction is open")
	}
	d.writer.txs.Add(1)
	d.idleCheck() // saw the end
	if d.idleCheck(); !asked() {
		t.Fatal("no checkpoint after the transaction ended and a quiet look")
	}
}

// TestCheckpointInPause: scans saved one by one, fewer than the cap,
// followed by a pause: the WAL is checkpointed in the pause (logged as
// such) and the next scan restarts it. Fewer than idleCheckpointMin scans
// wait for more.
func TestCheckpointInPause(t *testing.T) {
	var buf syncbuf.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	db, path := openTest(t, Options{Log: log, CheckpointIdle: 20 * time.Millisecond})
	ctx := context.Background()
	serial := uint64(0)
	save := func(n int) {
		for range n {
			serial++
			if err := db.Save(ctx, scRec(serial, "A", t0.Add(time.Duration(serial)*time.Second), mark.Accept), time.Minute); err != nil {
				t.Fatal(err)
			}
		}
	}
	pauses := func() int {
		n := 0
		dec := json.NewDecoder(strings.NewReader(buf.String()))
		for dec.More() {
			var r map[string]any
			if err := dec.Decode(&r); err != nil {
				t.Fatal(err)
			}
			if r["msg"] == "checkpoint" && r["when"] == "pause" {
				n++
			}
		}
		return n
	}
	salts := func() []byte { return walSalts(t, path) }
	save(idleCheckpointMin - 1)
	time.Sleep(10 * db.ck.idle)
	if n := pauses(); n != 0 {
		t.Fatalf("%d checkpoints in a pause after %d scans, want none before %d", n, idleCheckpointMin-1, idleCheckpointMin)
	}
	save(1)
	deadline := time.Now().Add(10 * time.Second)
	for pauses() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint in a pause after %d scans", idleCheckpointMin)
		}
		time.Sleep(db.ck.idle)
	}
	before := salts()
	save(1)
	if bytes.Equal(salts(), before) {
		t.Fatal("the scan after the pause's checkpoint did not restart the WAL: frames were left")
	}
}

// walSalts returns the salts of the WAL header of the store at path: new
// ones each time a commit restarts the WAL.
func walSalts(t *testing.T, path string) []byte {
	t.Helper()
	h := make([]byte, 24)
	f, err := os.Open(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.ReadAt(h, 0); err != nil {
		t.Fatal(err)
	}
	return h[16:24]
}
