package store

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"markd/mark"
)

// The signature gate (issue 12, P1): a scan's signature check runs while
// the scan's WAL commit is being made durable, instead of before BEGIN. On
// the store's VFS (walvfs_linux.go, walgate.h) the WAL's sync after the
// commit frame starts the frames' write-out (sync_file_range, which does
// not wait), runs the check on the committing thread meanwhile (a callback
// into Go), then syncs; a good check lets SQLite publish the frames; a bad
// one makes them invalid for WAL recovery (the commit frame's salt broken
// and synced) and fails the sync, so SQLite rolls back and nobody, now or
// after a crash, sees the row. The crash window between the two syncs is
// closed at the next start (recheck.go). Two earlier shapes were measured
// and dropped (docs/notes/perf.md): a goroutine per check (Go's scheduler
// took 50–110 µs to run it on the 2-vCPU test box) and a helper thread
// per slot that called into Go: the extra thread kept a P after each
// callback, so Go's sysmon retook Ps and polled every 20 µs throughout,
// which doubled markd's CPU a scan and slowed the bench's bare commit
// beside it. Without the VFS (other systems) the writer runs the check
// before COMMIT.

// ErrSignatureRefused is returned by SaveChecked when the check said the
// signature does not hold: nothing of the transaction was kept and the
// records were left as given. The caller judges the scan again without
// deferral and saves that.
var ErrSignatureRefused = errors.New("store: the signature check refused the commit")

// errGateMissed: a commit that should have passed its gate did not (a
// commit without the WAL sync); the check said bad, so the row committed
// is not trustworthy. It wraps mark.ErrUnavailable (verdict ERROR).
var errGateMissed = errors.New("the commit did not pass the signature gate")

// What the commit's sync did with an armed slot (walgate.h's fired).
const (
	gateNotReached       = 0
	gatePassed           = 1
	gateRefused          = 2
	gateRefusedUnwritten = 3 // refused, and breaking the salt failed: the row is durable until overwritten
)

// SaveChecked is Save for a record judged with its signature check
// deferred (mark.Context.DeferSignature): check runs inside the commit's
// WAL sync, while the frames are written out, and the commit
// takes effect only when check returned true. When it returned false the result wraps
// ErrSignatureRefused, nothing was stored and rec is as given.
func (d *DB) SaveChecked(ctx context.Context, rec *mark.Record, window time.Duration, check func() bool) error {
	out := []mark.Record{*rec}
	if err := d.writer.saveChecked(ctx, d, out, window, check); err != nil {
		return err
	}
	*rec = out[0]
	return nil
}

// gateFired counts saveChecked's commits by what their sync did with the
// gate (tests).
var gateFired [4]atomic.Int64

// saveChecked is save with the commit passing check (see SaveChecked).
func (w *scanWriter) saveChecked(ctx context.Context, d *DB, recs []mark.Record, window time.Duration, check func() bool) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.open(ctx, d); err != nil {
		return err
	}
	gate := w.gate
	if gate != 0 {
		gateArm(gate, check)
	}
	w.txs.Add(1)
	err := w.tx(ctx, d, recs, window, check)
	w.txs.Add(1)
	fired := gateNotReached
	if gate != 0 {
		fired = gateDisarm(gate)
	}
	gateFired[fired].Add(1)
	switch {
	case fired == gateRefused || fired == gateRefusedUnwritten:
		if fired == gateRefusedUnwritten {
			d.log.Warn("a refused commit's WAL frames could not be invalidated; the next commit writes over them", "err", err)
		}
		w.abort()
		return fmt.Errorf("save: %w", ErrSignatureRefused)
	case err != nil:
		w.abort() // ErrSignatureRefused before COMMIT (no slot), or the store's failure
		return err
	case gate != 0 && fired == gateNotReached:
		// Cannot happen with synchronous=FULL in WAL mode (every commit
		// syncs the WAL): stop trusting the gate on this connection.
		gateDetach(w.conn)
		gateFree(w.gate)
		w.gate = 0
		if !check() {
			// The row is committed as if the signature held: correct it
			// now, and leave the watermark below it for the next start.
			w.watermarks.Store(false)
			d.log.Error("a commit did not pass the signature gate and the signature is bad; gate off", "records", len(recs))
			for i := range recs {
				if err := d.CorrectBadSignature(ctx, recs[i].ID); err != nil {
					d.log.Error("correcting the scan failed; the next start checks it again", "record", recs[i].ID, "err", err)
				}
			}
			return storeErr("commit", errGateMissed)
		}
		d.log.Warn("a commit did not pass the signature gate; gate off, checks run before COMMIT")
	}
	if w.wmWritten {
		w.checkedSince = 0
	} else {
		w.checkedSince++
	}
	w.afterSave(d, len(recs))
	return nil
}
