package store

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// When the scan write path checkpoints its WAL (issue 12, P1: checkpoints
// that never land in a scan's latency).
//
// The writer's connection has automatic checkpoints off: SQLite would
// otherwise run one inside the commit of every ~200th scan (the page
// copies and two more fsyncs before that scan's verdict). Instead the
// checkpointer goroutine runs them after a verdict:
//
//   - in a pause: once idleCheckpointMin scans or more are in the WAL and
//     the writer has had no transaction for CheckpointIdle, the checkpoint
//     holds the writer; a counter's scans come a second or so apart, so
//     the checkpoint (a few milliseconds) is done before the next scan;
//   - at the cap: a feed with no pause (a back-to-back stream, the bench)
//     gets one every CheckpointEvery scans, holding the writer, so one
//     scan in CheckpointEvery waits for it and no other scan meets it;
//   - after a bulk save (import), beside the writer, which has the next
//     batch to judge meanwhile.
//
// A held checkpoint copies every frame, so the next commit restarts the
// WAL and the file keeps its length: commits rewrite blocks the file
// already has, which syncs faster than growing it. Durability is
// unchanged: a commit is durable once its WAL frames are synced
// (synchronous=FULL); a checkpoint only copies committed pages and is
// crash-safe at any point. Other writers (review, sync) keep SQLite's
// automatic checkpoint on their connections.
const (
	// CheckpointEvery is the most scans the one-scan path commits between
	// two checkpoints when no pause comes; the bench's bare commit, P1's
	// floor, keeps the same cadence.
	CheckpointEvery = 2048
	// CheckpointIdle is how long the writer must have been idle before a
	// checkpoint is run in the pause.
	CheckpointIdle = 300 * time.Millisecond
	// idleCheckpointMin is how many scans make a checkpoint in a pause
	// worth its flush of the database file.
	idleCheckpointMin = 64
	// checkpointPasses bounds the tries of a bulk save's checkpoint beside
	// the writer while scans keep appending; from checkpointBlockFrames
	// WAL frames on (SQLite's own automatic checkpoint size), it holds the
	// writer to finish.
	checkpointPasses      = 3
	checkpointBlockFrames = 1000
)

// ckKind is what a checkpoint request asks for.
type ckKind uint8

const (
	ckBeside ckKind = iota // after a bulk save: beside the writer
	ckHeld                 // at the cap: hold the writer
	ckIdle                 // in a pause: hold the writer if scans are still waiting in the WAL
)

// checkpoints is the checkpointer's side of a DB: its requests, and the
// timer that watches for a pause.
type checkpoints struct {
	mu     sync.Mutex // guards sending on reqs against its close
	closed bool
	reqs   chan ckKind
	done   chan struct{} // closed when the checkpointer has ended

	idle      time.Duration // CheckpointIdle; tests shorten it
	idleTimer *time.Timer   // runs idleCheck; stopped until armed
	idleArmed atomic.Bool
	idleSeen  atomic.Int64 // the writer's txs when idleCheck last looked
}

// startCheckpointer readies d's checkpoints and starts the checkpointer.
func (d *DB) startCheckpointer() {
	c := &d.ck
	c.reqs, c.done = make(chan ckKind, 1), make(chan struct{})
	if c.idle == 0 {
		c.idle = CheckpointIdle
	}
	c.idleTimer = time.AfterFunc(time.Hour, d.idleCheck)
	c.idleTimer.Stop()
	go d.checkpointer()
}

// checkpointer runs the checkpoints asked for until the store closes.
func (d *DB) checkpointer() {
	defer close(d.ck.done)
	for k := range d.ck.reqs {
		switch k {
		case ckIdle:
			d.writer.checkpointIdle(d)
		case ckHeld:
			d.writer.checkpointHeld(d)
		default:
			d.writer.checkpointBeside(d)
		}
	}
}

// stopCheckpointer ends the checkpointer after the request it is running.
func (d *DB) stopCheckpointer() {
	c := &d.ck
	c.idleTimer.Stop()
	c.mu.Lock()
	c.closed = true
	close(c.reqs)
	c.mu.Unlock()
	<-c.done
}

// askCheckpoint queues a request unless one is pending or the store is
// closing.
func (d *DB) askCheckpoint(k ckKind) {
	c := &d.ck
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	select {
	case c.reqs <- k:
	default: // one is pending
	}
}

// armIdle starts watching for a pause, unless it is watching already.
func (d *DB) armIdle() {
	c := &d.ck
	if c.idleArmed.Swap(true) {
		return
	}
	c.idleSeen.Store(d.writer.txs.Load())
	c.idleTimer.Reset(c.idle)
}

// idleCheck runs on the idle timer: when the writer has begun or ended a
// transaction since the last look it looks again after another period;
// otherwise it asks for a checkpoint in the pause.
func (d *DB) idleCheck() {
	c := &d.ck
	if txs := d.writer.txs.Load(); c.idleSeen.Swap(txs) != txs || txs%2 == 1 {
		c.idleTimer.Reset(c.idle)
		return
	}
	c.idleArmed.Store(false)
	d.askCheckpoint(ckIdle)
}

// afterSave counts n scans saved and asks for a checkpoint every
// CheckpointEvery: one that holds the writer when the save that reached
// the count was a scan or a few (the one-scan path), one beside the
// writer after a bulk save. Below the count, one-scan saves past
// idleCheckpointMin watch for a pause. The caller holds mu.
func (w *scanWriter) afterSave(d *DB, n int) {
	if w.saved += n; w.saved >= CheckpointEvery {
		w.saved = 0
		if n < bulkMin {
			d.askCheckpoint(ckHeld)
		} else {
			d.askCheckpoint(ckBeside)
		}
		return
	}
	if n < bulkMin && w.saved >= idleCheckpointMin {
		d.armIdle()
	}
}

// checkpointBeside is the checkpoint after a bulk save (import): a PASSIVE
// checkpoint beside the writer that completes with no scan begun lets the
// next save restart the WAL; while saves keep coming it tries again a few
// times and, once the WAL is long, finishes with the writer held. (Beside
// one-scan saves it spread its cost instead: on one disk its page writes
// and flushes queue with the commits' syncs, so at a 64-scan cadence the
// 3–4 scans after each request were slowed, 6 % of a back-to-back feed,
// all inside its p99; docs/notes/perf.md, "P1, tenth stop".)
func (w *scanWriter) checkpointBeside(d *DB) {
	if d.replacedErr() != nil {
		return // the file is not the store's any more: no old page goes into it (replaced.go)
	}
	for range checkpointPasses {
		before := w.txs.Load()
		var busy, walFrames, moved int
		if err := d.db.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &walFrames, &moved); err != nil {
			d.log.Warn("WAL checkpoint failed; the WAL grows until one works", "err", err)
			return
		}
		if busy == 0 && moved == walFrames && before%2 == 0 && w.txs.Load() == before {
			return // complete, no scan began meanwhile: the next one restarts the WAL
		}
		if walFrames < checkpointBlockFrames {
			continue
		}
		// Scans kept appending and the WAL is long: finish with the
		// writer held, so the WAL restarts whatever the load.
		w.checkpointHeld(d)
		return
	}
}

// slowCheckpoint is how long a held checkpoint may keep the next scan
// waiting before the store says so at warn level: a few milliseconds is
// what a healthy disk takes, a second is a disk that the operator will
// notice (a worn SD card, a busy disk); shorter ones are logged at debug.
var slowCheckpoint = time.Second

// checkpointIdle is the checkpoint in a pause: held, unless a checkpoint
// at the cap came first and fewer than idleCheckpointMin scans are left.
func (w *scanWriter) checkpointIdle(d *DB) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.saved < idleCheckpointMin {
		return
	}
	w.checkpointLocked(d, "pause")
}

// checkpointHeld checkpoints on the writer's connection with mu held: no
// scan appends meanwhile, so every frame is copied (a reader still on an
// older snapshot can keep the WAL from restarting until the next one).
func (w *scanWriter) checkpointHeld(d *DB) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.checkpointLocked(d, "held")
}

// checkpointLocked is checkpointHeld's work; the caller holds mu.
func (w *scanWriter) checkpointLocked(d *DB, why string) {
	if w.conn == nil || d.replacedErr() != nil {
		return // closed, or the file is not the store's any more (replaced.go)
	}
	start := time.Now()
	var busy, walFrames, moved int
	if err := w.conn.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &walFrames, &moved); err != nil {
		d.log.Warn("WAL checkpoint failed; the WAL grows until one works", "err", err)
		return
	}
	w.saved = 0
	took := time.Since(start)
	attrs := []any{"took", took, "wal_frames", walFrames, "copied", moved, "when", why}
	if took >= slowCheckpoint {
		d.log.Warn("the store's checkpoint kept scans waiting; the disk is slow", append(attrs,
			"hint", "check the disk's health and free space; scans wait for it after a pause, or once every "+strconv.Itoa(CheckpointEvery)+" scans without one")...)
		return
	}
	d.log.Debug("checkpoint", attrs...)
}
