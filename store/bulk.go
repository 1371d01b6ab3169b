package store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"markd/mark"
)

// The bulk write path (markd import, issue 12): a transaction of many
// scans writes them with multi-row INSERTs instead of two statements a
// scan. Each statement SQLite runs inside a transaction opens a cursor on
// the table and on each index, and, since an insert into scans may abort
// half-way (constraints, triggers), saves every page it is about to change
// into a statement journal first; one statement for bulkRows scans does
// that once for all of them. The verdicts are the ones the one-scan path
// (saveTx) gives, in the same order (TestSaveBulkSameAsOneByOne): the
// first acceptance of each serial is read from the store once and kept,
// and a serial this transaction claims is first accepted by that scan for
// the scans after it. No other writer can claim a serial meanwhile: the
// transaction is immediate and holds the write lock. The first
// acceptances of all the serials are read with one query (firstUses).

// bulkMin is the number of scans from which SaveBatch takes the bulk path;
// below it a transaction writes scan by scan (Save of one scan at the
// counter).
const bulkMin = 16

// bulkRows is the number of rows of one multi-row statement (19 values a
// scan row: well under SQLite's 32766 variables).
const bulkRows = 128

// firstUse is the first acceptance of a serial and its text, as
// usedSerial reads it; first is nil when the serial was never accepted.
type firstUse struct {
	first *mark.Acceptance
	text  string
	err   error // the stored acceptance could not be read
}

// saveBulk is saveTx for every record of recs, in order, in the
// transaction tx opened: the same verdicts, rows and serial claims.
func (d *DB) saveBulk(ctx context.Context, w *scanWriter, recs []mark.Record, window time.Duration, tc *txCache) error {
	firsts, err := w.firstUses(ctx, recs)
	if err != nil {
		return err
	}
	var claims []any
	// The ids' random bits are read from crypto/rand 256 ids at a time:
	// one getrandom call an id was ~2 % of the writer's time in markd
	// import (docs/notes/perf.md).
	rnd := bufio.NewReaderSize(rand.Reader, 4096)
	for i := range recs {
		r := &recs[i]
		if err := d.startRecord(r, rnd); err != nil {
			return err
		}
		if err := joinBatch(ctx, w, r, tc); err != nil {
			return err
		}
		if r.Mark != nil && (r.Verdict == mark.Accept || r.Verdict == mark.Reject) {
			f := firsts[r.Mark.Serial]
			if f.err != nil {
				return f.err
			}
			switch {
			case f.first != nil:
				applyReuse(r, f.first, f.text, window)
			case r.Verdict == mark.Accept:
				// What usedSerial reads back once this row is in: the
				// time as stored (UTC, to the nanosecond).
				f = firstUse{first: &mark.Acceptance{RecordID: r.ID, At: r.At.UTC(), Office: r.Office, Counter: r.Counter}, text: r.Text}
				claims = append(claims, int64(r.Mark.Serial), r.ID)
			}
			firsts[r.Mark.Serial] = f
		}
	}
	if err := w.insertScans(ctx, recs); err != nil {
		return err
	}
	n, err := w.execRows(ctx, &w.bulkClaim, insertUsedBulk, claims)
	if err != nil {
		return storeErr("insert used serial", err)
	}
	if want := int64(len(claims) / 2); n != want {
		// A serial in used_serials that usedSerial did not find (its
		// record gone): saveTx fails on it the same way.
		return fmt.Errorf("%d of %d serials neither claimed nor found in used_serials: %w", want-n, want, mark.ErrInvalid)
	}
	return nil
}

// usedSerialsQuery is usedSerialQuery for the serials of a JSON array:
// each row says whether it comes from used_serials (0) or from
// restored_serials (1). The array is the outer loop (CROSS JOIN keeps that
// order) and each serial one seek in each table: with "serial IN (SELECT
// value FROM json_each(?1))" SQLite built a temporary index of the array
// for each half first, 2.2–4 ms for 2000 new serials against 0.8–1.0 ms
// (sqlite3 shell on an imported store, docs/notes/perf.md), ~1 µs a scan
// of import's writer. The rows are the same; firstUses does not depend on
// their order.
const usedSerialsQuery = `SELECT u.serial, u.record_id, coalesce(u.accepted_at, s.at), s.office, s.counter, s.raw_text, 0
	FROM json_each(?1) j CROSS JOIN used_serials u ON u.serial = j.value JOIN scans s ON s.id = u.record_id
	UNION ALL SELECT r.serial, r.record_id, r.at, r.office, r.counter, '', 1
	FROM json_each(?1) j CROSS JOIN restored_serials r ON r.serial = j.value`

// firstUses reads, in one query, the first acceptance of every serial of
// recs' marks, as usedSerial reads it for one: from used_serials, or else
// from restored_serials. A serial never accepted maps to firstUse{}.
func (w *scanWriter) firstUses(ctx context.Context, recs []mark.Record) (map[uint64]firstUse, error) {
	firsts := make(map[uint64]firstUse, len(recs))
	var serials []int64
	for i := range recs {
		// Only an ACCEPT or a REJECT of a verified mark looks its serial
		// up (joinBatch may turn the one into the other).
		if m := recs[i].Mark; m != nil && (recs[i].Verdict == mark.Accept || recs[i].Verdict == mark.Reject) {
			if _, ok := firsts[m.Serial]; !ok {
				firsts[m.Serial] = firstUse{}
				serials = append(serials, int64(m.Serial))
			}
		}
	}
	if len(firsts) == 0 {
		return firsts, nil
	}
	// In key order the lookups walk the serials' b-trees forward: 2000
	// serials in random order cost 2.4–3.0 ms, sorted 1.6–1.9 (sqlite3
	// shell, docs/notes/perf.md).
	slices.Sort(serials)
	list := []byte{'['}
	for i, sr := range serials {
		if i > 0 {
			list = append(list, ',')
		}
		list = strconv.AppendInt(list, sr, 10)
	}
	rows, err := w.conn.QueryContext(ctx, usedSerialsQuery, string(append(list, ']')))
	if err != nil {
		return nil, storeErr("read used serials", err)
	}
	defer rows.Close()
	restored := map[uint64]bool{}
	for rows.Next() {
		var serial int64
		var a mark.Acceptance
		var at, text string
		var fromRestored bool
		if err := rows.Scan(&serial, &a.RecordID, &at, &a.Office, &a.Counter, &text, &fromRestored); err != nil {
			return nil, storeErr("read used serials", err)
		}
		s := uint64(serial)
		if f := firsts[s]; f.first != nil && !restored[s] {
			continue // used_serials holds it: usedSerialQuery reads that row first
		}
		f := firstUse{first: &a, text: text}
		if a.At, err = time.Parse(time.RFC3339Nano, at); err != nil {
			// An error for the scan that needs it, as usedSerial's.
			f.err = fmt.Errorf("used serial %d: bad time %q: %w", s, at, mark.ErrInvalid)
		}
		firsts[s], restored[s] = f, fromRestored
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr("read used serials", err)
	}
	return firsts, nil
}

// insertScans inserts the rows of recs, bulkRows a statement (sharedStmt).
// (Encoding the next statement's rows on another goroutine while SQLite
// inserted the ones before was tried: alone it shortened a batch's save
// by ~20 %, in markd import the two goroutines took turns on one of the
// runtime's processors, the writer waiting for the encoder's, and import
// was not faster.)
func (w *scanWriter) insertScans(ctx context.Context, recs []mark.Record) error {
	parts := rowParts(ctx, len(recs))
	cols := make([]bulkCol, 0, min(len(recs), bulkRows)*scanCols)
	for lo := 0; lo < len(recs); lo += bulkRows {
		cols = cols[:0]
		for i := lo; i < min(lo+bulkRows, len(recs)); i++ {
			var pre *RowParts
			if parts != nil {
				pre = &parts[i]
			}
			var err error
			if cols, err = w.bulkRowCols(ctx, cols, &recs[i], pre); err != nil {
				return err
			}
		}
		st, key, err := w.sharedStmt(ctx, cols)
		if err != nil {
			return storeErr("prepare insert scan", err)
		}
		if _, err := st.execCols(ctx, w, cols, key); err != nil {
			return storeErr("insert scan", err)
		}
	}
	return nil
}

// scanCols is the number of columns of insertScan.
var scanCols = strings.Count(valueGroup(insertScan), "?")

// bulkCol is a column value of a scan row on the bulk path, not boxed in
// an interface (a string in an any is an allocation; ~19 a row with the
// comparisons of the shared columns were ~1 µs of import's writer, its
// critical path): kind 0 NULL, 1 integer, 2 text, 3 blob.
type bulkCol struct {
	kind int8
	i    int64
	s    string
	b    []byte
}

// same reports whether two values bind the same (a nil blob is NULL).
func (a *bulkCol) same(b *bulkCol) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case 1:
		return a.i == b.i
	case 2:
		return a.s == b.s
	case 3:
		return bytes.Equal(a.b, b.b)
	}
	return true
}

// value is the value database/sql binds for the column.
func (a *bulkCol) value() any {
	switch a.kind {
	case 1:
		return a.i
	case 2:
		return a.s
	case 3:
		return a.b
	}
	return nil
}

// bulkRowCols is scanArgs for the bulk path: it sets r's review and upload
// state and appends the same values, unboxed, to dst
// (TestBulkColsSameAsScanArgs).
func (w *scanWriter) bulkRowCols(ctx context.Context, dst []bulkCol, r *mark.Record, pre *RowParts) ([]bulkCol, error) {
	reasons, first, versions, err := w.newRowState(ctx, r)
	if err != nil {
		return nil, err
	}
	text := func(s string) bulkCol { return bulkCol{kind: 2, s: s} }
	num := func(i int64) bulkCol { return bulkCol{kind: 1, i: i} }
	var serial, fields, firstCol, frame, batch, contract, class, kop bulkCol
	if m := r.Mark; m != nil {
		serial, fields = num(int64(m.Serial)), text(pre.fieldsFor(r))
		contract, class, kop = num(int64(m.Contract)), num(int64(m.MailClass)), num(int64(m.TariffKop))
	}
	if f, ok := first.(string); ok {
		firstCol = text(f)
	}
	if r.Frame != nil {
		frame = bulkCol{kind: 3, b: r.Frame}
	}
	if r.Batch != "" {
		batch = text(r.Batch)
	}
	return append(dst, text(r.ID), text(pre.atFor(r)), num(int64(r.Office)), text(r.Counter), text(r.Operator),
		text(r.Source), text(r.Text), text(string(r.Verdict)), text(reasons), serial, fields,
		num(int64(r.MeasuredWeightG)), firstCol, text(""), text(r.Message), frame, text(string(r.Review)),
		text(string(r.Upload)), batch, contract, class, kop, num(versions)), nil
}

// sharedKey names a multi-row insert of scans: its rows, and the columns
// that have one value in every row (bit c for column c).
type sharedKey struct {
	rows   int
	shared uint64
}

// maxSharedStmts bounds the prepared statements kept by sharedStmt.
const maxSharedStmts = 16

// sharedStmt returns the multi-row insertScan for cols (rows of scanCols
// values) and its key. A column with one value in every row is bound once
// and named by number in each row: in an import most columns are
// (office, counter, source, verdict, reasons, versions, states…), and
// through the driver each bound value was a cgo call (~0.1 µs; 19 a row
// took ~2 µs of a scan's save). The values stored are the same.
func (w *scanWriter) sharedStmt(ctx context.Context, cols []bulkCol) (*bulkStmt, sharedKey, error) {
	rows := len(cols) / scanCols
	key := sharedKey{rows: rows}
	for c := range scanCols {
		same := true
		for r := 1; r < rows && same; r++ {
			same = cols[c].same(&cols[r*scanCols+c])
		}
		if same {
			key.shared |= 1 << c
		}
	}
	if st := w.bulkInserts[key]; st != nil {
		return st, key, nil
	}
	if len(w.bulkInserts) >= maxSharedStmts {
		w.closeBulkInserts()
	}
	st, err := w.prepareBulk(ctx, sharedInsert(key, scanCols))
	if err != nil {
		return nil, key, err
	}
	if w.bulkInserts == nil {
		w.bulkInserts = map[sharedKey]*bulkStmt{}
	}
	w.bulkInserts[key] = st
	return st, key, nil
}

// sharedArgs are the arguments of the statement of key for cols: the
// shared columns once, in column order, then the others row by row.
func sharedArgs(cols []bulkCol, key sharedKey) []any {
	args := make([]any, 0, len(cols))
	for c := range scanCols {
		if key.shared&(1<<c) != 0 {
			args = append(args, cols[c].value())
		}
	}
	for r := range key.rows {
		for c := range scanCols {
			if key.shared&(1<<c) == 0 {
				args = append(args, cols[r*scanCols+c].value())
			}
		}
	}
	return args
}

// sharedInsert is the text of insertScan for key: shared columns are
// ?1…?k in column order, the others numbered on row after row.
func sharedInsert(key sharedKey, cols int) string {
	num := make([]int, cols)
	k := 0
	for c := range cols {
		if key.shared&(1<<c) != 0 {
			k++
			num[c] = k
		}
	}
	var b strings.Builder
	for r := range key.rows {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteByte(',')
			}
			n := num[c]
			if n == 0 {
				k++
				n = k
			}
			b.WriteString("?" + strconv.Itoa(n))
		}
		b.WriteByte(')')
	}
	g := valueGroup(insertScan)
	i := strings.Index(insertScan, g)
	return insertScan[:i] + b.String() + insertScan[i+len(g):]
}

// closeBulkRows closes the statements of the bulk path.
func (w *scanWriter) closeBulkRows() {
	w.closeBulkInserts()
	w.bulkClaim.close()
	w.bulkClaim = nil
}

// closeBulkInserts closes the statements of sharedStmt.
func (w *scanWriter) closeBulkInserts() {
	for k, st := range w.bulkInserts {
		st.close()
		delete(w.bulkInserts, k)
	}
}

// bulkStmt is a multi-row statement of the bulk path: on SQLite's C API
// when the writer's connection has one (w.raw, rawBulk: one cgo call a
// statement, ~1 300 values), else through database/sql.
type bulkStmt struct {
	q   string
	st  *sql.Stmt
	raw *rawStmt
	rb  rawBulk
}

// prepareBulk prepares q for the bulk path.
func (w *scanWriter) prepareBulk(ctx context.Context, q string) (*bulkStmt, error) {
	if w.raw != nil && rawBulkReady() {
		if rs, err := w.raw.conn.prepare(q); err == nil {
			return &bulkStmt{q: q, raw: rs}, nil
		}
	}
	st, err := w.conn.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	return &bulkStmt{q: q, st: st}, nil
}

// exec runs the statement with args and returns the rows it changed.
func (b *bulkStmt) exec(ctx context.Context, w *scanWriter, args []any) (int64, error) {
	if b.raw != nil {
		n, err := b.rb.exec(b.raw, args)
		if !errors.Is(err, errRawArg) {
			return n, err
		}
		// Nothing was bound or run: through database/sql.
		rawFallbacks.Add(1)
		if b.st == nil {
			if b.st, err = w.conn.PrepareContext(ctx, b.q); err != nil {
				return 0, err
			}
		}
	}
	res, err := b.st.ExecContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// execCols runs the multi-row insert of key with the values of cols
// (sharedStmt): on the C API straight from the columns, else through
// database/sql.
func (b *bulkStmt) execCols(ctx context.Context, w *scanWriter, cols []bulkCol, key sharedKey) (int64, error) {
	if b.raw != nil {
		if n, err := b.rb.execCols(b.raw, cols, key); !errors.Is(err, errRawArg) {
			return n, err
		}
	}
	return b.exec(ctx, w, sharedArgs(cols, key))
}

// close finalizes the statement; nil is closed.
func (b *bulkStmt) close() {
	if b == nil {
		return
	}
	b.raw.finalize()
	if b.st != nil {
		b.st.Close()
	}
}

// execRows runs the one-row INSERT q over args (its values, row after
// row) bulkRows rows a statement, and returns the rows it changed. The
// statement of bulkRows rows is kept in *full; a shorter last one is
// prepared for the call.
func (w *scanWriter) execRows(ctx context.Context, full **bulkStmt, q string, args []any) (int64, error) {
	cols := strings.Count(valueGroup(q), "?")
	var changed int64
	for len(args) > 0 {
		k := min(len(args)/cols, bulkRows)
		st := *full
		if k < bulkRows || st == nil {
			var err error
			if st, err = w.prepareBulk(ctx, multiRow(q, k)); err != nil {
				return changed, err
			}
			if k == bulkRows {
				*full = st
			} else {
				defer st.close()
			}
		}
		n, err := st.exec(ctx, w, args[:k*cols])
		if err != nil {
			return changed, err
		}
		changed += n
		args = args[k*cols:]
	}
	return changed, nil
}

// valueGroup is the "(?,…)" after VALUES of a one-row INSERT.
func valueGroup(q string) string {
	i := strings.Index(q, "VALUES (") + len("VALUES ")
	return q[i : i+strings.Index(q[i:], ")")+1]
}

// multiRow is the one-row INSERT q with its value group repeated n times.
func multiRow(q string, n int) string {
	g := valueGroup(q)
	i := strings.Index(q, g)
	return q[:i] + strings.Repeat(g+",", n-1) + g + q[i+len(g):]
}
