package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"syscall"
	"time"

	"github.com/google/uuid"

	"markd/decode"
	"markd/internal/sqliteerr"
	"markd/mark"
)

// timeFormat is how scan times are stored: UTC with a fixed-width fraction,
// so the text sorts in time order (RFC3339Nano drops trailing zeros and
// would put "…:05.5Z" before "…:05Z").
const timeFormat = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string {
	t = t.UTC()
	y, mo, d := t.Date()
	if y < 0 || y > 9999 {
		return t.Format(timeFormat)
	}
	// timeFormat written digit by digit: time.Format took ~0.5 µs of each
	// scan's row in markd import (docs/notes/perf.md).
	h, mi, s := t.Clock()
	b := []byte("0000-00-00T00:00:00.000000000Z")
	put := func(at, n, v int) {
		for i := at + n - 1; i >= at; i-- {
			b[i] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, 4, y)
	put(5, 2, int(mo))
	put(8, 2, d)
	put(11, 2, h)
	put(14, 2, mi)
	put(17, 2, s)
	put(20, 9, t.Nanosecond())
	return string(b)
}

// ErrorMessage is the operator message of a scan the store could not record.
const ErrorMessage = "not recorded: do not accept this item / не записано: не принимайте отправление"

// Save records one scan: the one write path of the pipeline. In one
// immediate transaction it applies reuse (MARK-FORMAT §7 step 5) to rec,
// inserts the row and, for an ACCEPT, claims the serial in used_serials.
// Afterwards rec holds the final verdict, its id (UUIDv7), review and
// upload state. A failure of the store wraps mark.ErrUnavailable, and rec
// is left as it was given.
//
// Reuse: an ACCEPT or REJECT of a verified serial that was accepted before
// gets REUSED with FirstAccepted, except that the same text at the same
// counter within window of that acceptance is DUPLICATE_SCAN (nothing new
// is accepted). The serial's primary key makes two racing ACCEPTs of one
// serial impossible: the second one sees the first.
func (d *DB) Save(ctx context.Context, rec *mark.Record, window time.Duration) error {
	return d.SaveBatch(ctx, []*mark.Record{rec}, window)
}

// SaveBatch is Save for many records in one transaction (group commit, for
// bulk import): the records are judged in order with the same reuse rules,
// each seeing the ones before it. Either all are recorded or none is (and
// then none of recs is changed).
func (d *DB) SaveBatch(ctx context.Context, recs []*mark.Record, window time.Duration) error {
	if len(recs) == 0 {
		return nil
	}
	out := make([]mark.Record, len(recs))
	for i, rec := range recs {
		out[i] = *rec
	}
	if err := d.writer.save(ctx, d, out, window); err != nil {
		return err
	}
	for i := range recs {
		*recs[i] = out[i]
	}
	return nil
}

// A new row's versions column is empty (versions_id names them), and so
// is its mark_fields when the mark is its text's (migration 060, markFields).
const insertScan = `INSERT INTO scans(id, at, office, counter, operator, source, raw_text,
	verdict, reasons, serial, mark_fields, measured_weight_g, first_accepted, versions, message, frame,
	review_state, upload_state, batch_id, contract, mail_class, tariff_kop, versions_id)
	VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`

// insertUsed claims serial ?1 for an accepted scan ?2; it does nothing (no
// row changed) when the serial was accepted before, here or (as the
// collector's history says) elsewhere: restored_serials (migration 062).
// The primary key on serial makes the claim atomic, also between
// processes. ("WHERE" after the SELECT keeps ON CONFLICT its own.)
const insertUsed = `INSERT INTO used_serials(serial, record_id) SELECT ?1, ?2
	WHERE NOT EXISTS (SELECT 1 FROM restored_serials WHERE serial = ?1)
	ON CONFLICT(serial) DO NOTHING`

// insertUsedBulk is insertUsed for rows of serials that are neither in
// used_serials nor in restored_serials (saveBulk read both first, in its
// transaction, which holds the write lock).
const insertUsedBulk = `INSERT INTO used_serials(serial, record_id) VALUES (?,?)
	ON CONFLICT(serial) DO NOTHING`

// rewriteScan gives a just inserted ACCEPT its reuse verdict when its
// claim found the serial taken.
const rewriteScan = `UPDATE scans SET verdict = ?, reasons = ?, first_accepted = ?, review_state = ? WHERE id = ?`

// txCache is what one transaction of the write path learns as it goes,
// so that a batch of scans does not read it again for every scan.
type txCache struct {
	batches map[string]openBatch // by counter (joinBatch)
}

func newTxCache() *txCache { return &txCache{batches: map[string]openBatch{}} }

// startRecord gives r what every stored scan has before it is judged by
// the store: an id, a time, its own reasons slice. The id's random bits
// come from rnd, or from crypto/rand when rnd is nil.
func (d *DB) startRecord(r *mark.Record, rnd io.Reader) error {
	if r.ID == "" {
		var id uuid.UUID
		var err error
		if rnd != nil {
			id, err = uuid.NewV7FromReader(rnd)
		} else {
			id, err = uuid.NewV7()
		}
		if err != nil {
			return fmt.Errorf("record id: %w", err)
		}
		r.ID = id.String()
	}
	if r.At.IsZero() {
		r.At = d.Now()
	}
	r.Reasons = slices.Clone(r.Reasons)
	if r.Reasons == nil {
		r.Reasons = []mark.Reason{}
	}
	return nil
}

// newRowState sets r's review and upload state as a new row has them and
// encodes its reasons, first acceptance and versions_id columns (scanArgs,
// bulkRowCols).
func (w *scanWriter) newRowState(ctx context.Context, r *mark.Record) (reasons string, first any, versions int64, err error) {
	r.Review = mark.ReviewNone
	if r.Verdict == mark.Reject {
		r.Review = mark.ReviewPending
	}
	r.Upload = mark.UploadPending
	if reasons, first, err = reuseColumns(r); err != nil {
		return "", nil, 0, err
	}
	if versions, err = w.versionsID(ctx, r.Versions); err != nil {
		return "", nil, 0, fmt.Errorf("record %s versions: %w", r.ID, err)
	}
	return reasons, first, versions, nil
}

// scanArgs sets r's review and upload state and appends the values of
// insertScan for it to dst, in its column order.
// pre, when not nil, holds columns encoded before (RowParts).
func (w *scanWriter) scanArgs(ctx context.Context, dst []any, r *mark.Record, pre *RowParts) ([]any, error) {
	reasons, first, versions, err := w.newRowState(ctx, r)
	if err != nil {
		return nil, err
	}
	var serial, fields any
	if r.Mark != nil {
		serial = int64(r.Mark.Serial)
		fields = pre.fieldsFor(r)
	}
	contract, class, kop := markColumns(r.Mark)
	return append(dst, r.ID, pre.atFor(r), r.Office, r.Counter, r.Operator, r.Source, r.Text,
		string(r.Verdict), reasons, serial, fields, r.MeasuredWeightG, first, "",
		r.Message, r.Frame, string(r.Review), string(r.Upload), nullString(r.Batch),
		contract, class, kop, versions), nil
}

func (d *DB) saveTx(ctx context.Context, w *scanWriter, r *mark.Record, window time.Duration, tc *txCache) error {
	if err := d.startRecord(r, nil); err != nil {
		return err
	}
	if err := joinBatch(ctx, w, r, tc); err != nil {
		return err
	}
	// A REJECT of a verified serial looks the serial up first. An ACCEPT
	// claims it after the row is in (one statement on the common path, a
	// new serial); when the serial was accepted before, the claim does
	// nothing and the row is rewritten with the reuse verdict below.
	if r.Mark != nil && r.Verdict == mark.Reject {
		if _, err := reuse(ctx, w, r, window); err != nil {
			return err
		}
	}
	args, err := w.scanArgs(ctx, nil, r, nil)
	if err != nil {
		return err
	}
	if err := w.insertScan(ctx, args); err != nil {
		return storeErr("insert scan", err)
	}
	if r.Verdict != mark.Accept || r.Mark == nil {
		return nil
	}
	if claimed, err := w.claimSerial(ctx, r.Mark.Serial, r.ID); err != nil {
		return storeErr("insert used serial", err)
	} else if claimed {
		return nil // the serial is ours
	}
	// Accepted before (by an earlier scan or a racing source, which
	// committed first: this transaction is immediate).
	found, err := reuse(ctx, w, r, window)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("record %s: serial %d neither claimed nor found in used_serials: %w",
			r.ID, r.Mark.Serial, mark.ErrInvalid)
	}
	if r.Verdict == mark.Reject {
		r.Review = mark.ReviewPending
	}
	reasons, first, err := reuseColumns(r)
	if err != nil {
		return err
	}
	if _, err := w.rewrite.ExecContext(ctx, string(r.Verdict), reasons, first, string(r.Review), r.ID); err != nil {
		return storeErr("update scan", err)
	}
	return nil
}

// reuse applies MARK-FORMAT §7 step 5 to r (an ACCEPT or REJECT of a
// verified mark) from the first acceptance of its serial, if any; found
// reports whether there was one.
func reuse(ctx context.Context, w *scanWriter, r *mark.Record, window time.Duration) (found bool, err error) {
	first, text, err := usedSerial(ctx, w.used, r.Mark.Serial)
	if err != nil || first == nil {
		return false, err
	}
	applyReuse(r, first, text, window)
	return true, nil
}

// applyReuse is reuse once the first acceptance of r's serial (first,
// with its text) is known. The same mark scanned again at the counter that
// accepted it, within the window, is DUPLICATE_SCAN whatever step 4 says
// of it now (§7 step 5: "the daemon repeats the earlier verdict"): past
// midnight it may have expired since, a re-weigh may read more, and the
// letter is in the counter's tray all the same.
func applyReuse(r *mark.Record, first *mark.Acceptance, text string, window time.Duration) {
	f := *first
	if first.Counter == r.Counter && sameMark(text, r.Text) && absDur(r.At.Sub(first.At)) <= window {
		r.Verdict = mark.DuplicateScan
		r.Reasons = []mark.Reason{}
		r.FirstAccepted = &f
		return
	}
	r.Verdict = mark.Reject
	r.FirstAccepted = &f
	if !slices.Contains(r.Reasons, mark.ReasonReused) {
		r.Reasons = append(r.Reasons, mark.ReasonReused)
	}
}

// sameMark reports whether two scanned texts are the same mark: equal, or
// equal once decoded (a rescan in lower case, with a trailing space or an
// AIM prefix is the same mark, MARK-FORMAT §1).
func sameMark(a, b string) bool {
	if a == b {
		return true
	}
	ba, sa, errA := decode.Text(a)
	bb, sb, errB := decode.Text(b)
	return errA == nil && errB == nil && ba == bb && sa == sb
}

// reuseColumns encodes the columns that reuse may change: reasons and
// first_accepted (NULL when there is none).
func reuseColumns(r *mark.Record) (reasons string, first any, err error) {
	reasons, ok := reasonsJSON(r.Reasons)
	if !ok {
		b, err := json.Marshal(r.Reasons)
		if err != nil {
			return "", nil, fmt.Errorf("record %s reasons: %w", r.ID, err)
		}
		reasons = string(b)
	}
	if r.FirstAccepted != nil {
		f, err := json.Marshal(r.FirstAccepted)
		if err != nil {
			return "", nil, fmt.Errorf("record %s first_accepted: %w", r.ID, err)
		}
		first = string(f)
	}
	return reasons, first, nil
}

// reasonsJSON is json.Marshal(rs) when every reason is a plain code
// (A–Z, 0–9, _), which json.Marshal writes as it is; ok is false
// otherwise. json.Marshal took ~0.7 µs of each scan's row in markd import
// (docs/notes/perf.md), most rows having no reason at all.
func reasonsJSON(rs []mark.Reason) (string, bool) {
	if len(rs) == 0 {
		return "[]", true
	}
	n := 1
	for _, r := range rs {
		for i := 0; i < len(r); i++ {
			if c := r[i]; (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
				return "", false
			}
		}
		n += len(r) + 3
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, r := range rs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, r...)
		b = append(b, '"')
	}
	return string(append(b, ']')), true
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// usedSerialQuery reads the first acceptance of a serial: the record that
// holds it in used_serials (migration 044 keeps only that there), or one
// of the office's serials restored from the collector for a new store
// (migration 050). The serial is written +?1: with a bare ?1 SQLite
// re-prepared the statement at every bind (its planner compares the
// variable with constants while it plans the join with scans, and then
// plans again for each new value; perf of markd import: most of the
// lookup's time in sqlite3Reprepare), 12.7 against 5.7 µs a lookup. The
// plan is the same (TestQueryPlans).
const usedSerialQuery = `SELECT u.record_id, coalesce(u.accepted_at, s.at), s.office, s.counter, s.raw_text
	FROM used_serials u JOIN scans s ON s.id = u.record_id WHERE u.serial = +?1
	UNION ALL SELECT record_id, at, office, counter, '' FROM restored_serials WHERE serial = +?1 LIMIT 1`

type rowQuerier interface {
	QueryRowContext(ctx context.Context, args ...any) *sql.Row
}

// usedSerial returns the first acceptance of serial and its text, or nil.
func usedSerial(ctx context.Context, q rowQuerier, serial uint64) (*mark.Acceptance, string, error) {
	var a mark.Acceptance
	var at, text string
	err := q.QueryRowContext(ctx, int64(serial)).Scan(&a.RecordID, &at, &a.Office, &a.Counter, &text)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", storeErr("read used serial", err)
	}
	if a.At, err = time.Parse(time.RFC3339Nano, at); err != nil {
		return nil, "", fmt.Errorf("used serial %d: bad time %q: %w", serial, at, mark.ErrInvalid)
	}
	return &a, text, nil
}

// FirstAcceptance returns where and when serial was first accepted, or
// nil when it was never accepted.
func (d *DB) FirstAcceptance(ctx context.Context, serial uint64) (*mark.Acceptance, error) {
	st, err := d.db.PrepareContext(ctx, usedSerialQuery)
	if err != nil {
		return nil, storeErr("prepare used serial", err)
	}
	defer st.Close()
	a, _, err := usedSerial(ctx, st, serial)
	return a, err
}

// Counts returns the number of records per verdict, for health and tests.
func (d *DB) Counts(ctx context.Context) (map[mark.Verdict]int, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT verdict, count(*) FROM scans GROUP BY verdict`)
	if err != nil {
		return nil, storeErr("count scans", err)
	}
	defer rows.Close()
	out := map[mark.Verdict]int{}
	for rows.Next() {
		var v string
		var n int
		if err := rows.Scan(&v, &n); err != nil {
			return nil, storeErr("count scans", err)
		}
		out[mark.Verdict(v)] = n
	}
	return out, rows.Err()
}

// Ping checks that the store can be read, for the health endpoint.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.replacedErr(); err != nil {
		return err // the file is not the one open (CheckFile): /healthz says so before a scan does
	}
	var n int
	if err := d.db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		return storeErr("ping", err)
	}
	return nil
}

// Backup writes a consistent copy of the store to path (VACUUM INTO) while
// the daemon keeps writing. path must not exist.
func (d *DB) Backup(ctx context.Context, path string) error {
	// The copy holds every scan: readable by its owner only, whatever the
	// umask (VACUUM INTO fills an empty file and keeps its mode).
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return mark.WithHint(fmt.Errorf("backup to %s: %w: %w", path, mark.ErrUnavailable, err),
			"the target must not exist and its folder must be writable")
	}
	err = f.Chmod(0o600)
	f.Close()
	if err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	if _, err := d.db.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		// The copy begun and the journal SQLite left beside it when the
		// disk filled: nothing of a failed backup stays.
		os.Remove(path)              //nolint:errcheck
		os.Remove(path + "-journal") //nolint:errcheck
		hint := "the target must not exist and its folder must be writable"
		if errors.Is(err, syscall.ENOSPC) || sqliteerr.Of(err) == sqliteerr.Full {
			hint = "disk full: free space where " + path + " goes, or back up to another disk"
		}
		return mark.WithHint(fmt.Errorf("backup to %s: %w: %w", path, mark.ErrUnavailable, err), hint)
	}
	// The copy knows it is one: put back in place where a collector
	// holds what came after, it accepts no mark before the first upload
	// compared it (sync.Restorer).
	if _, err := markBackupCopy(ctx, path, d.now(), true); err != nil {
		os.Remove(path) //nolint:errcheck
		return mark.WithHint(fmt.Errorf("backup to %s: mark the copy: %w: %w", path, mark.ErrUnavailable, err),
			"the target's folder must be writable")
	}
	return nil
}
