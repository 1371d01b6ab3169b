package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"markd/internal/sqliteerr"
	"markd/mark"
)

// scanWriter is the write path of Save: one connection of the pool kept
// for it, with every statement of a scan's transaction (BEGIN IMMEDIATE,
// the scan insert, the serial claim, the used-serial lookup and the reuse
// rewrite, COMMIT) prepared once on that connection, so a scan pays for
// no Tx of the pool, no rebinding and no statement prepared. The
// transaction is immediate, committed with synchronous=FULL before Save
// returns. Other writers
// (review, sync) keep using Write on the pool; SQLite's write lock
// serialises them with this one, as it serialises two processes.
type scanWriter struct {
	mu     sync.Mutex
	closed bool // by DB.Close
	saved  int  // scans since the last checkpoint request
	// txs counts BEGINs and ends of the writer's transactions: odd while
	// one is open. The checkpointer reads it around a checkpoint.
	txs  atomic.Int64
	conn *sql.Conn
	gate int // the VFS's gate slot of conn, 0 = none (gate.go)
	// watermarks: the scans below the store's check watermark were
	// checked again at open (SetCheckWatermark), so checked scans move it
	// on, every checkWatermarkEvery (recheck.go); checkedSince counts them,
	// wmWritten says the open transaction wrote it.
	watermarks                    atomic.Bool
	checkedSince                  int
	wmWritten                     bool
	watermark                     *sql.Stmt
	beginTx, commitTx, rollbackTx *sql.Stmt
	used, insert, claim, rewrite  *sql.Stmt
	openBatch, batchContract      *sql.Stmt // joinBatch (batches.go)
	rollupDrop, floorLower        *sql.Stmt // afterInserts
	// raw holds the hot statements of a scan's transaction prepared on
	// SQLite's C API (rawstmt_linux.go): BEGIN, the open batch, the
	// insert, the claim, COMMIT. nil where it cannot be had; the *sql.Stmt
	// above are then used.
	raw *rawTx
	// bulkClaim claims bulkRows serials at once, bulkInserts holds the
	// multi-row scan inserts (saveBulk); prepared when first needed.
	bulkClaim   *bulkStmt
	bulkInserts map[sharedKey]*bulkStmt
	// versions is the list_versions row of the last lists' versions
	// stored: the same for every scan until a reload. It is forgotten when
	// a transaction is rolled back (abort): the row may have been its.
	versions struct {
		v  mark.Versions
		id int64
	}
}

// versionsID is the versions_id column of a scan with versions v (migration
// 060): the row of list_versions holding v's JSON, added in the open
// transaction when it is new. The caller holds mu.
func (w *scanWriter) versionsID(ctx context.Context, v mark.Versions) (int64, error) {
	if w.versions.id != 0 && w.versions.v == v {
		return w.versions.id, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return 0, err
	}
	var id int64
	if err := w.conn.QueryRowContext(ctx, `INSERT INTO list_versions(versions) VALUES (?)
		ON CONFLICT(versions) DO UPDATE SET versions = excluded.versions RETURNING id`, string(b)).Scan(&id); err != nil {
		return 0, storeErr("list versions", err)
	}
	w.versions.v, w.versions.id = v, id
	return id, nil
}

// open readies the connection and statements; the caller holds mu.
func (w *scanWriter) open(ctx context.Context, d *DB) error {
	if w.conn != nil {
		return nil
	}
	if w.closed {
		return storeErr("writer", sql.ErrConnDone)
	}
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return storeErr("writer connection", err)
	}
	w.conn = conn
	for _, s := range []struct {
		st **sql.Stmt
		q  string
	}{
		{&w.beginTx, `BEGIN IMMEDIATE`}, {&w.commitTx, `COMMIT`}, {&w.rollbackTx, `ROLLBACK`},
		{&w.used, usedSerialQuery}, {&w.insert, insertScan}, {&w.claim, insertUsed}, {&w.rewrite, rewriteScan},
		{&w.openBatch, openBatchQuery}, {&w.batchContract, adoptContract}, {&w.watermark, watermarkQuery},
		{&w.rollupDrop, rollupDropQuery}, {&w.floorLower, floorLowerQuery},
	} {
		if *s.st, err = conn.PrepareContext(ctx, s.q); err != nil {
			w.close(true)
			return storeErr("prepare write path", err)
		}
	}
	// Checkpoints run after the scan (DB.checkpointer), not in its commit.
	// A multi-row insert (saveBulk) first copies every page it changes
	// into a statement journal; past 64 KiB SQLite spilled that to a new
	// temporary file in /var/tmp, page by page: ~6 000 of markd import's
	// 16 000 pwrite calls for 40 000 marks and a file opened per
	// transaction (strace; docs/notes/perf.md). With temp_store MEMORY the
	// journal stays in memory. A one-scan transaction never spilled.
	if _, err := conn.ExecContext(ctx, `PRAGMA temp_store = MEMORY`); err != nil {
		w.close(true)
		return storeErr("writer pragma", err)
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA wal_autocheckpoint = 0`); err != nil {
		w.close(true)
		return storeErr("writer pragma", err)
	}
	w.raw = openRawTx(conn)
	// The gate waits in the WAL's commit sync: only with one (WAL mode,
	// synchronous FULL or EXTRA, as the DSN asks).
	var mode string
	var syncLevel int
	if err := conn.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		w.close(true)
		return storeErr("writer pragma", err)
	}
	if err := conn.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&syncLevel); err != nil {
		w.close(true)
		return storeErr("writer pragma", err)
	}
	if mode == "wal" && syncLevel >= 2 {
		w.gate = gateAttach(conn)
	}
	return nil
}

// close releases the statements and the connection; discard drops the
// connection instead of giving it back to the pool (its state is unknown,
// e.g. a transaction that could not be rolled back). The caller holds mu.
func (w *scanWriter) close(discard bool) {
	w.versions.id = 0
	w.raw.close() // before the connection
	w.raw = nil
	for _, st := range []**sql.Stmt{&w.beginTx, &w.commitTx, &w.rollbackTx, &w.used, &w.insert, &w.claim, &w.rewrite,
		&w.openBatch, &w.batchContract, &w.watermark, &w.rollupDrop, &w.floorLower} {
		if *st != nil {
			(*st).Close()
			*st = nil
		}
	}
	w.closeBulkRows()
	if w.conn == nil {
		return
	}
	if discard {
		_ = w.conn.Raw(func(any) error { return driver.ErrBadConn })
	} else if w.gate != 0 {
		gateDetach(w.conn)
	}
	w.conn.Close()
	w.conn = nil
	gateFree(w.gate)
	w.gate = 0
}

// shut closes the writer for DB.Close.
func (w *scanWriter) shut() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	w.close(false)
}

// save applies reuse to recs in order and records them in one immediate
// transaction, committed durably before it returns nil.
func (w *scanWriter) save(ctx context.Context, d *DB, recs []mark.Record, window time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.open(ctx, d); err != nil {
		return err
	}
	w.txs.Add(1)
	err := w.tx(ctx, d, recs, window, nil)
	w.txs.Add(1)
	if err != nil {
		w.abort()
		return err
	}
	w.afterSave(d, len(recs))
	return nil
}

// tx is the transaction of save; on an error the caller rolls back. A
// deferred signature check runs in the commit's sync when the connection
// has a gate (saveChecked arms it), else before COMMIT.
func (w *scanWriter) tx(ctx context.Context, d *DB, recs []mark.Record, window time.Duration, check func() bool) error {
	if err := d.replacedErr(); err != nil {
		return err
	}
	if err := w.begin(ctx); err != nil {
		return d.storeErr("begin", err)
	}
	w.wmWritten = false
	if check != nil && w.watermarks.Load() && w.checkedSince >= checkWatermarkEvery-1 {
		if _, err := w.watermark.ExecContext(ctx, checkWatermarkKey); err != nil {
			return storeErr("write check watermark", err)
		}
		w.wmWritten = true
	}
	tc := newTxCache()
	if len(recs) >= bulkMin {
		if err := d.saveBulk(ctx, w, recs, window, tc); err != nil {
			return err
		}
	} else {
		for i := range recs {
			if err := d.saveTx(ctx, w, &recs[i], window, tc); err != nil {
				return err
			}
		}
	}
	if err := w.rememberRequests(ctx, d.Now(), recs); err != nil {
		return err
	}
	if err := w.afterInserts(ctx, recs); err != nil {
		return err
	}
	if m := importMarkOf(ctx); m != nil { // with the scans or not at all (imports.go)
		if err := d.writeImport(ctx, w.conn, m, len(recs)); err != nil {
			return err
		}
	}
	if d.FailWrite != nil {
		if err := d.FailWrite(); err != nil {
			return storeErr("commit", err)
		}
	}
	if check != nil && w.gate == 0 && !check() {
		return fmt.Errorf("save: %w", ErrSignatureRefused)
	}
	if err := w.commit(ctx); err != nil {
		return d.storeErr("commit", err)
	}
	return nil
}

// abort rolls the open transaction back (SQLite may have done so already
// after an I/O error). When that fails too the connection is dropped, so
// no half-done transaction can go back to the pool.
func (w *scanWriter) abort() {
	w.versions.id = 0
	if w.conn == nil {
		return
	}
	// Ask the connection whether a transaction is still open instead of
	// reading the text of the ROLLBACK error.
	open := true
	err := w.conn.Raw(func(dc any) error {
		if inTx, ok := sqliteerr.InTransaction(dc); ok {
			open = inTx
		}
		return nil
	})
	if err == nil && !open {
		return
	}
	if _, err := w.rollbackTx.ExecContext(context.Background()); err != nil {
		w.close(true)
	}
}

// rawFallbacks counts scans whose row the raw insert could not bind (a
// text column past rawBuf); tests hold it at 0 for every kind of scan.
var rawFallbacks atomic.Int64

// rollupDropQuery drops the day rollups (migration 040) whose day reaches
// into [?1, ?2], the times of the scans a transaction inserts: each such
// day is counted again when next asked for. floorLowerQuery lowers the
// upload floor (migration 043) to ?1, the smallest id of the scans it
// inserts (all of them wait for upload). They do, once per transaction,
// what the insert triggers of scans did row by row (migration 061); a time
// range that spans days none of the scans fall on drops those days'
// rollups too, which costs a recount and changes no figure.
const (
	rollupDropQuery = `DELETE FROM day_rollup WHERE to_at > ?1 AND from_at <= ?2`
	floorLowerQuery = `UPDATE sync_state SET value = ?1 WHERE key = 'upload_floor' AND value > ?1`
)

// afterInserts runs rollupDropQuery and floorLowerQuery for recs, the
// scans the open transaction inserted.
func (w *scanWriter) afterInserts(ctx context.Context, recs []mark.Record) error {
	if len(recs) == 0 {
		return nil
	}
	first, last, minID := recs[0].At, recs[0].At, recs[0].ID
	for i := 1; i < len(recs); i++ {
		r := &recs[i]
		if r.At.Before(first) {
			first = r.At
		}
		if r.At.After(last) {
			last = r.At
		}
		minID = min(minID, r.ID)
	}
	var rollupDrop, floorLower *rawStmt
	if w.raw != nil {
		rollupDrop, floorLower = w.raw.rollupDrop, w.raw.floorLower
	}
	if err := w.exec(ctx, rollupDrop, w.rollupDrop, formatTime(first), formatTime(last)); err != nil {
		return storeErr("drop day rollups", err)
	}
	if err := w.exec(ctx, floorLower, w.floorLower, minID); err != nil {
		return storeErr("lower upload floor", err)
	}
	return nil
}

// exec runs a statement of the writer's transaction with args: raw when
// there is one, else st.
func (w *scanWriter) exec(ctx context.Context, raw *rawStmt, st *sql.Stmt, args ...any) error {
	if raw != nil {
		_, _, err := raw.run(args...)
		return err
	}
	_, err := st.ExecContext(ctx, args...)
	return err
}

// rawTx is the raw form of the hot statements of a scan's transaction.
type rawTx struct {
	conn                                    *rawConn
	begin, openBatch, insert, claim, commit *rawStmt
	rollupDrop, floorLower                  *rawStmt
}

// openRawTx prepares the raw statements on conn; nil when it cannot.
func openRawTx(conn *sql.Conn) *rawTx {
	c := rawConnOf(conn)
	if c == nil {
		return nil
	}
	t := &rawTx{conn: c}
	for _, s := range []struct {
		st **rawStmt
		q  string
	}{
		{&t.begin, `BEGIN IMMEDIATE`}, {&t.openBatch, openBatchQuery}, {&t.insert, insertScan},
		{&t.claim, insertUsed}, {&t.commit, `COMMIT`},
		{&t.rollupDrop, rollupDropQuery}, {&t.floorLower, floorLowerQuery},
	} {
		st, err := c.prepare(s.q)
		if err != nil {
			t.close()
			return nil
		}
		*s.st = st
	}
	return t
}

// close finalizes the statements; the connection must still be open.
func (t *rawTx) close() {
	if t == nil {
		return
	}
	for _, st := range []*rawStmt{t.begin, t.openBatch, t.insert, t.claim, t.commit, t.rollupDrop, t.floorLower} {
		st.finalize()
	}
	t.conn.close()
}

// begin starts the writer's immediate transaction.
func (w *scanWriter) begin(ctx context.Context) error {
	if w.raw != nil {
		return w.exec(ctx, w.raw.begin, nil)
	}
	return w.exec(ctx, nil, w.beginTx)
}

// commit commits it.
func (w *scanWriter) commit(ctx context.Context) error {
	if w.raw != nil {
		return w.exec(ctx, w.raw.commit, nil)
	}
	return w.exec(ctx, nil, w.commitTx)
}

// insertScan inserts a scan row (args from scanArgs).
func (w *scanWriter) insertScan(ctx context.Context, args []any) error {
	if w.raw != nil {
		_, _, err := w.raw.insert.run(args...)
		if !errors.Is(err, errRawArg) {
			return err
		}
		rawFallbacks.Add(1) // nothing was bound or stepped: the slow path
	}
	_, err := w.insert.ExecContext(ctx, args...)
	return err
}

// claimSerial claims serial for record id; claimed is false when it was
// taken before.
func (w *scanWriter) claimSerial(ctx context.Context, serial uint64, id string) (claimed bool, err error) {
	if w.raw != nil {
		n, _, err := w.raw.claim.run(int64(serial), id)
		return n == 1, err
	}
	res, err := w.claim.ExecContext(ctx, int64(serial), id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// readOpenBatch reads the batch open at counter; b.id is "" when none.
func (w *scanWriter) readOpenBatch(ctx context.Context, counter string) (b openBatch, err error) {
	if w.raw != nil {
		_, row, err := w.raw.openBatch.run(counter)
		if err != nil || !row {
			return b, err
		}
		return openBatch{id: w.raw.openBatch.colText(0), contract: uint32(w.raw.openBatch.colInt(1))}, nil
	}
	err = w.openBatch.QueryRowContext(ctx, counter).Scan(&b.id, &b.contract)
	if errors.Is(err, sql.ErrNoRows) {
		return openBatch{}, nil
	}
	return b, err
}
