package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"markd/mark"
)

// Audit actions of batches.
const (
	ActionBatchOpen   = "batch_open"
	ActionBatchClose  = "batch_close"
	ActionBatchCancel = "batch_cancel"
	ActionBatchList   = "batch_list"
)

const openBatchQuery = `SELECT id, contract FROM batches WHERE counter = ? AND state = 'open'`

// adoptContract gives a batch opened without a contract the one of its
// first verified mark.
const adoptContract = `UPDATE batches SET contract = ? WHERE id = ? AND contract = 0`

// openBatch is the batch open at a counter as one transaction of the
// write path knows it (txCache).
type openBatch struct {
	id       string // "" when none is open
	contract uint32
}

// joinBatch is the batch part of a scan's transaction (MARK-FORMAT §8):
// the scan joins the batch open at its counter; a verified mark gives a
// batch without a contract its contract, and a verified mark of another
// contract gets OTHER_CONTRACT (after the reasons of step 4, before reuse).
// A scan that names a batch (r.Batch) other than the open one is refused
// with mark.ErrConflict, and nothing is recorded. The open batch is read
// once per counter and transaction (tc): while the transaction holds the
// write lock no other writer can open or end one, and the contract this
// transaction gives a batch is kept in tc too.
func joinBatch(ctx context.Context, w *scanWriter, r *mark.Record, tc *txCache) error {
	b, ok := tc.batches[r.Counter]
	if !ok {
		var err error
		if b, err = w.readOpenBatch(ctx, r.Counter); err != nil {
			return storeErr("read open batch", err)
		}
		tc.batches[r.Counter] = b
	}
	if b.id == "" {
		if r.Batch != "" {
			return mark.WithHint(fmt.Errorf("scan for batch %s: no batch is open at counter %s: %w", r.Batch, r.Counter, mark.ErrConflict),
				"open a batch first, or send the scan without a batch")
		}
		return nil
	}
	if r.Batch != "" && r.Batch != b.id {
		return mark.WithHint(fmt.Errorf("scan for batch %s: counter %s has batch %s open: %w", r.Batch, r.Counter, b.id, mark.ErrConflict),
			"send the id of the batch open at this counter (GET /api/batches/current)")
	}
	r.Batch = b.id
	if r.Mark == nil || (r.Verdict != mark.Accept && r.Verdict != mark.Reject) {
		return nil
	}
	if b.contract == 0 {
		if _, err := w.batchContract.ExecContext(ctx, r.Mark.Contract, b.id); err != nil {
			return storeErr("set batch contract", err)
		}
		b.contract = r.Mark.Contract
		tc.batches[r.Counter] = b
	}
	if r.Mark.Contract != b.contract && !slices.Contains(r.Reasons, mark.ReasonOtherContract) {
		r.Verdict = mark.Reject
		r.Reasons = append(r.Reasons, mark.ReasonOtherContract)
	}
	return nil
}

const batchColumns = `id, office, counter, operator, contract, state, opened_at, coalesce(closed_at, ''), auto, has_list, upload_state`

func scanBatch(row rowScanner) (mark.Batch, error) {
	var b mark.Batch
	var state, opened, closed, upload string
	err := row.Scan(&b.ID, &b.Office, &b.Counter, &b.Operator, &b.Contract, &state, &opened, &closed, &b.Auto, &b.HasList, &upload)
	if err != nil {
		return b, err
	}
	b.State, b.Upload = mark.BatchState(state), mark.UploadState(upload)
	if b.Opened, err = time.Parse(time.RFC3339Nano, opened); err != nil {
		return b, fmt.Errorf("batch %s: bad opened_at %q: %w", b.ID, opened, mark.ErrInvalid)
	}
	if closed != "" {
		if b.Closed, err = time.Parse(time.RFC3339Nano, closed); err != nil {
			return b, fmt.Errorf("batch %s: bad closed_at %q: %w", b.ID, closed, mark.ErrInvalid)
		}
	}
	return b, nil
}

func (d *DB) getBatch(ctx context.Context, q querier, where string, args ...any) (mark.Batch, error) {
	b, err := scanBatch(q.QueryRowContext(ctx, `SELECT `+batchColumns+` FROM batches WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return b, fmt.Errorf("batch: %w", mark.ErrNotFound)
	}
	if err != nil && !errors.Is(err, mark.ErrInvalid) {
		return b, storeErr("read batch", err)
	}
	return b, err
}

// GetBatch returns one batch, or an error wrapping mark.ErrNotFound.
func (d *DB) GetBatch(ctx context.Context, id string) (mark.Batch, error) {
	b, err := d.getBatch(ctx, d.db, `id = ?`, id)
	if errors.Is(err, mark.ErrNotFound) {
		return b, fmt.Errorf("batch %q: %w", id, mark.ErrNotFound)
	}
	return b, err
}

// CurrentBatch returns the batch open at counter, or mark.ErrNotFound.
func (d *DB) CurrentBatch(ctx context.Context, counter string) (mark.Batch, error) {
	b, err := d.getBatch(ctx, d.db, `counter = ? AND state = 'open'`, counter)
	if errors.Is(err, mark.ErrNotFound) {
		return b, fmt.Errorf("no batch open at counter %s: %w", counter, mark.ErrNotFound)
	}
	return b, err
}

// OpenBatch opens a batch at b.Counter for b.Office, by b.Operator, with
// b.Contract (0: taken from the first verified mark) and b.Auto. It
// returns the stored batch; a batch already open at the counter is
// mark.ErrConflict.
func (d *DB) OpenBatch(ctx context.Context, b mark.Batch) (mark.Batch, error) {
	return d.OpenBatchBy(ctx, b, b.Operator)
}

// OpenBatchBy is OpenBatch with the audit line under actor rather than
// b.Operator (a program that opens the batch for the person at the
// counter).
func (d *DB) OpenBatchBy(ctx context.Context, b mark.Batch, actor string) (mark.Batch, error) {
	if strings.TrimSpace(b.Counter) == "" {
		return b, fmt.Errorf("open batch: no counter: %w", mark.ErrInvalid)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return b, fmt.Errorf("batch id: %w", err)
	}
	b.ID, b.State, b.Opened, b.Closed, b.HasList, b.Upload = id.String(), mark.BatchOpen, d.Now(), time.Time{}, false, mark.UploadPending
	err = d.Write(ctx, func(tx *sql.Tx) error {
		if cur, err := d.getBatch(ctx, tx, `counter = ? AND state = 'open'`, b.Counter); err == nil {
			return mark.WithHint(fmt.Errorf("counter %s already has batch %s open: %w", b.Counter, cur.ID, mark.ErrConflict),
				"close or cancel the open batch first")
		} else if !errors.Is(err, mark.ErrNotFound) {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO batches(id, office, counter, operator, contract, state, opened_at, auto)
			VALUES (?, ?, ?, ?, ?, 'open', ?, ?)`, b.ID, b.Office, b.Counter, b.Operator, b.Contract,
			formatTime(b.Opened), b.Auto); err != nil {
			return storeErr("insert batch", err)
		}
		return appendAudit(ctx, tx, AuditEntry{At: b.Opened, Actor: actorOr(actor), Action: ActionBatchOpen,
			Detail: fmt.Sprintf("batch %s counter %s contract %d", b.ID, b.Counter, b.Contract)})
	})
	return b, err
}

func actorOr(name string) string {
	if name == "" {
		return "markd"
	}
	return name
}

// ErrEndedAlready is EndBatch's answer for a batch already ended the way
// asked (a close sent again): it wraps mark.ErrConflict, and EndBatch
// returns the batch as the first end left it.
var ErrEndedAlready = errors.New("ended already")

// EndBatch closes (state closed) or cancels (state cancelled) an open
// batch and returns it. Scans after it at the counter belong to no batch.
// A batch that is not open is mark.ErrConflict; when it was ended as asked
// already the error wraps ErrEndedAlready too, and the batch is returned.
func (d *DB) EndBatch(ctx context.Context, id string, state mark.BatchState, actor string) (mark.Batch, error) {
	action := ActionBatchClose
	switch state {
	case mark.BatchClosed:
	case mark.BatchCancelled:
		action = ActionBatchCancel
	default:
		return mark.Batch{}, fmt.Errorf("end batch %s: state %q: %w", id, state, mark.ErrInvalid)
	}
	var b mark.Batch
	err := d.Write(ctx, func(tx *sql.Tx) error {
		var err error
		if b, err = d.getBatch(ctx, tx, `id = ?`, id); err != nil {
			if errors.Is(err, mark.ErrNotFound) {
				return fmt.Errorf("batch %q: %w", id, mark.ErrNotFound)
			}
			return err
		}
		if b.State != mark.BatchOpen {
			// A cash desk that lost the answer to its close and sends it
			// again learns that the first one was done.
			hint := "it was cancelled: open a new batch for these letters"
			if b.State == mark.BatchClosed {
				hint = "it was closed already: its receipt is ready"
			}
			if b.State == state {
				return mark.WithHint(fmt.Errorf("batch %s is %s, not open: %w: %w", id, b.State, mark.ErrConflict, ErrEndedAlready), hint)
			}
			return mark.WithHint(fmt.Errorf("batch %s is %s, not open: %w", id, b.State, mark.ErrConflict), hint)
		}
		b.State, b.Closed = state, d.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE batches SET state = ?, closed_at = ? WHERE id = ?`,
			string(state), formatTime(b.Closed), id); err != nil {
			return storeErr("end batch", err)
		}
		return appendAudit(ctx, tx, AuditEntry{At: b.Closed, Actor: actorOr(actor), Action: action, Detail: "batch " + id})
	})
	return b, err
}

// BatchItem is one item of the customer's list of a batch (BATCH-LIST.md).
// Notice is nil and Serial 0 when the list does not give them.
type BatchItem struct {
	Line      int // line of the file, for messages
	N         int // the item's number in the list
	Tracking  string
	MailClass uint8
	WeightG   int
	TariffKop int64
	Notice    *bool
	Serial    uint64
}

// SetBatchItems replaces the customer's list of an open batch in one
// transaction: all of items or, on any error, none. A list of another
// contract than the batch's is mark.ErrConflict (contract 0: the list
// names none). The list does not give a batch without a contract its
// contract: MARK-FORMAT §8 gives it at the opening or from the first
// mark whose signature verified, and from nothing else.
func (d *DB) SetBatchItems(ctx context.Context, id string, contract uint32, items []BatchItem, actor string) error {
	return d.Write(ctx, func(tx *sql.Tx) error {
		b, err := d.getBatch(ctx, tx, `id = ?`, id)
		if errors.Is(err, mark.ErrNotFound) {
			return fmt.Errorf("batch %q: %w", id, mark.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if b.State != mark.BatchOpen {
			return fmt.Errorf("batch %s is %s: a list goes only into an open batch: %w", id, b.State, mark.ErrConflict)
		}
		if contract != 0 && b.Contract != 0 && contract != b.Contract {
			return mark.WithHint(fmt.Errorf("the list is for contract %d, batch %s is for contract %d: %w", contract, id, b.Contract, mark.ErrConflict),
				"check that the customer brought the list of this batch")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM batch_items WHERE batch_id = ?`, id); err != nil {
			return storeErr("replace batch list", err)
		}
		st, err := tx.PrepareContext(ctx, `INSERT INTO batch_items(batch_id, pos, line, n, tracking, mail_class, weight_g, tariff_kop, notice, serial)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return storeErr("prepare batch list", err)
		}
		defer st.Close()
		for i, it := range items {
			var notice, serial any
			if it.Notice != nil {
				notice = *it.Notice
			}
			if it.Serial != 0 {
				serial = int64(it.Serial)
			}
			if _, err := st.ExecContext(ctx, id, i+1, it.Line, it.N, it.Tracking, it.MailClass, it.WeightG, it.TariffKop, notice, serial); err != nil {
				return storeErr(fmt.Sprintf("insert list line %d", it.Line), err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE batches SET has_list = 1 WHERE id = ?`, id); err != nil {
			return storeErr("mark batch list", err)
		}
		return appendAudit(ctx, tx, AuditEntry{At: d.Now(), Actor: actorOr(actor), Action: ActionBatchList,
			Detail: fmt.Sprintf("batch %s: %d items, contract %d", id, len(items), contract)})
	})
}

// BatchItems returns the customer's list of a batch in list order.
func (d *DB) BatchItems(ctx context.Context, id string) ([]BatchItem, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT line, n, tracking, mail_class, weight_g, tariff_kop, notice, serial
		FROM batch_items WHERE batch_id = ? ORDER BY pos`, id)
	if err != nil {
		return nil, storeErr("read batch list", err)
	}
	defer rows.Close()
	var out []BatchItem
	for rows.Next() {
		var it BatchItem
		var notice sql.NullBool
		var serial sql.NullInt64
		if err := rows.Scan(&it.Line, &it.N, &it.Tracking, &it.MailClass, &it.WeightG, &it.TariffKop, &notice, &serial); err != nil {
			return nil, storeErr("read batch list", err)
		}
		if notice.Valid {
			it.Notice = &notice.Bool
		}
		it.Serial = uint64(serial.Int64)
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr("read batch list", err)
	}
	return out, nil
}

// BatchRecords returns the scans of a batch in time order, without
// camera frames.
func (d *DB) BatchRecords(ctx context.Context, id string) ([]mark.Record, error) {
	return d.queryRecords(ctx, "read batch scans", `SELECT `+strings.Replace(recordColumns, "frame", "NULL", 1)+
		` FROM scans WHERE batch_id = ? ORDER BY at, id`, id)
}

// BatchTotals counts the scans of a batch by verdict and adds up the
// tariffs and classes of its accepted marks, in one read.
func (d *DB) BatchTotals(ctx context.Context, id string) (mark.BatchTotals, error) {
	t := mark.BatchTotals{PerClass: map[uint8]int{}}
	// the columns are NULL in rows older than migration 060
	// A scan a supervisor accepted while the batch was open counts as
	// accepted (in_batch); one accepted after the batch ended stays as
	// the receipt printed it and is counted apart.
	rows, err := d.db.QueryContext(ctx, `SELECT CASE WHEN o.in_batch THEN 'ACCEPT' ELSE s.verdict END,
		coalesce(s.mail_class, json_extract(s.mark_fields, '$.mail_class'), 0),
		count(*), coalesce(sum(coalesce(s.tariff_kop, json_extract(s.mark_fields, '$.tariff_kop'))), 0),
		coalesce(sum(o.in_batch), 0), coalesce(sum(NOT o.in_batch), 0)
		FROM scans s LEFT JOIN batch_overrides o ON o.record_id = s.id
		WHERE s.batch_id = ? GROUP BY 1, 2`, id)
	if err != nil {
		return t, storeErr("batch totals", err)
	}
	defer rows.Close()
	for rows.Next() {
		var verdict string
		var class uint8
		var n, overridden, later int
		var kop int64
		if err := rows.Scan(&verdict, &class, &n, &kop, &overridden, &later); err != nil {
			return t, storeErr("batch totals", err)
		}
		t.Scans += n
		t.Overridden += overridden
		t.AcceptedLater += later
		switch mark.Verdict(verdict) {
		case mark.Accept:
			t.Accepted += n
			t.PaidKop += kop
			t.PerClass[class] += n
		case mark.Reject:
			t.Rejected += n
		case mark.DuplicateScan:
			t.Duplicates += n
		case mark.NotAMark:
			t.NotMarks += n
		default:
			t.Errors += n
		}
	}
	if err := rows.Err(); err != nil {
		return t, storeErr("batch totals", err)
	}
	if t.Rejected == 0 {
		return t, nil
	}
	if err := d.db.QueryRowContext(ctx, batchRefusalsQuery, id).Scan(&t.HandedBack, &t.PresentedAgain, &t.RefusedAgain); err != nil {
		return t, storeErr("batch totals", err)
	}
	return t, nil
}

// batchRefusalsQuery counts the rejected scans of a batch as the receipt
// does (receipt.FromRecords): a mark accepted in the batch (its serial
// held by an ACCEPT of the batch) is no envelope handed back; its REUSED
// rejections are its presentations after the acceptance (the store gives
// every later rejection of the serial REUSED), those without came before
// it. Every other rejected mark is one envelope, by serial, or by text
// when it was not read. Only the rejected rows are joined (each by the
// primary keys of used_serials and scans); reasons is a JSON array of
// codes, in which "REUSED" with its quotes is that code only. A rejection
// a supervisor overrode while the batch was open is an acceptance here
// (batch_overrides.in_batch): not rejected, and holding its serial.
const batchRefusalsQuery = `SELECT
	count(DISTINCT CASE WHEN a.id IS NULL THEN coalesce('s' || r.serial, 't' || r.raw_text) END),
	count(DISTINCT CASE WHEN a.id IS NOT NULL AND r.reused THEN r.serial END),
	coalesce(sum(a.id IS NOT NULL AND r.reused), 0)
	FROM (SELECT serial, raw_text, instr(reasons, '"REUSED"') > 0 AS reused
		FROM scans WHERE batch_id = ?1 AND verdict = 'REJECT'
		AND NOT EXISTS (SELECT 1 FROM batch_overrides o WHERE o.record_id = scans.id AND o.in_batch)) r
	LEFT JOIN used_serials u ON u.serial = r.serial
	LEFT JOIN scans a ON a.id = u.record_id AND a.batch_id = ?1
		AND (a.verdict = 'ACCEPT' OR EXISTS (SELECT 1 FROM batch_overrides o WHERE o.record_id = a.id AND o.in_batch))`

// BatchFilter selects batches for the supervisors' list. Zero fields do
// not filter.
type BatchFilter struct {
	From, To time.Time // opened in [From, To)
	Contract uint32
	Counter  string
	State    mark.BatchState
	Limit    int // 0 = MaxReviewRows
}

// ListBatches returns batches matching f, newest first.
func (d *DB) ListBatches(ctx context.Context, f BatchFilter) ([]mark.Batch, error) {
	var conds []string
	var args []any
	// Times are compared as text: the bounds in the fixed-width form of
	// formatTime, so that rows written before it (RFC 3339 without trailing
	// zeros, "…:00Z", "…:00.5Z") still fall on the right side of them.
	if !f.From.IsZero() {
		conds, args = append(conds, `opened_at >= ?`), append(args, formatTime(f.From))
	}
	if !f.To.IsZero() {
		conds, args = append(conds, `opened_at < ?`), append(args, formatTime(f.To))
	}
	if f.Contract != 0 {
		conds, args = append(conds, `contract = ?`), append(args, f.Contract)
	}
	if f.Counter != "" {
		conds, args = append(conds, `counter = ?`), append(args, f.Counter)
	}
	if f.State != "" {
		conds, args = append(conds, `state = ?`), append(args, string(f.State))
	}
	limit := f.Limit
	if limit <= 0 || limit > MaxReviewRows {
		limit = MaxReviewRows
	}
	q := `SELECT ` + batchColumns + ` FROM batches`
	if len(conds) > 0 {
		q += ` WHERE ` + strings.Join(conds, " AND ")
	}
	rows, err := d.db.QueryContext(ctx, q+` ORDER BY opened_at DESC, id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, storeErr("list batches", err)
	}
	defer rows.Close()
	var out []mark.Batch
	for rows.Next() {
		b, err := scanBatch(rows)
		if err != nil {
			if errors.Is(err, mark.ErrInvalid) {
				return nil, err
			}
			return nil, storeErr("list batches", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, storeErr("list batches", err)
	}
	return out, nil
}

// SaveReceipt stores (or replaces) the receipt PDF of a batch.
func (d *DB) SaveReceipt(ctx context.Context, id string, pdf []byte) error {
	return d.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO batch_receipts(batch_id, made_at, pdf) VALUES (?, ?, ?)
			ON CONFLICT(batch_id) DO UPDATE SET made_at = excluded.made_at, pdf = excluded.pdf`,
			id, d.Now().UTC().Format(time.RFC3339Nano), pdf)
		if err != nil {
			return storeErr("save receipt", err)
		}
		return nil
	})
}

// Receipt returns the stored receipt PDF of a batch, or mark.ErrNotFound.
func (d *DB) Receipt(ctx context.Context, id string) ([]byte, error) {
	var pdf []byte
	err := d.db.QueryRowContext(ctx, `SELECT pdf FROM batch_receipts WHERE batch_id = ?`, id).Scan(&pdf)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("receipt of batch %q: %w", id, mark.ErrNotFound)
	}
	if err != nil {
		return nil, storeErr("read receipt", err)
	}
	return pdf, nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// EndedBatch is a closed or cancelled batch with its totals, waiting to be
// uploaded to the collector.
type EndedBatch struct {
	Batch  mark.Batch
	Totals mark.BatchTotals
}

// PendingBatches returns up to limit ended batches not yet uploaded, oldest first.
func (d *DB) PendingBatches(ctx context.Context, limit int) ([]EndedBatch, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+batchColumns+` FROM batches
		WHERE state <> 'open' AND upload_state = 'pending' ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return nil, storeErr("read batch outbox", err)
	}
	var bs []mark.Batch
	for rows.Next() {
		b, err := scanBatch(rows)
		if err != nil {
			rows.Close()
			if errors.Is(err, mark.ErrInvalid) {
				return nil, err
			}
			return nil, storeErr("read batch outbox", err)
		}
		bs = append(bs, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, storeErr("read batch outbox", err)
	}
	out := make([]EndedBatch, 0, len(bs))
	for _, b := range bs {
		t, err := d.BatchTotals(ctx, b.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, EndedBatch{Batch: b, Totals: t})
	}
	return out, nil
}

// markBatchesUploaded is the batch part of CompleteUpload.
func markBatchesUploaded(ctx context.Context, tx *sql.Tx, ids []string) error {
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `UPDATE batches SET upload_state = 'uploaded' WHERE id = ?`, id); err != nil {
			return storeErr("mark batch uploaded", err)
		}
	}
	return nil
}

// RefuseBatch sets aside a batch the collector refused as invalid, so it
// does not block the uploads after it; it stays here for a supervisor,
// with the collector's answer r.
func (d *DB) RefuseBatch(ctx context.Context, id string, r Refusal) error {
	return d.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE batches SET upload_state = 'refused' WHERE id = ?`, id); err != nil {
			return storeErr("refuse batch", err)
		}
		return d.setAside(ctx, tx, SetAsideBatch, id, r)
	})
}
