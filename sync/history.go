package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"markd/hub"
	"markd/mark"
	"markd/store"
)

// HistoryMessage is what the operator reads while a new store's reuse
// history is not restored: every mark gets verdict ERROR.
const HistoryMessage = "История погашений не восстановлена — не принимайте отправление / " +
	"Reuse history not restored: do not accept this item"

// Restorer restores the reuse history of a store made by `markd init`:
// the serials the office used, page by page from the collector, before
// the counter may accept a mark (a lost store restored as a new one would
// otherwise accept every mark it had accepted). It is a service: Serve
// retries with backoff until the history is complete, then returns nil.
type Restorer struct {
	db     *store.DB
	client *Client
	log    *slog.Logger
	done   atomic.Bool
	wake   chan struct{} // Behind: the store was found behind the collector
	behind atomic.Bool   // the pending history is the restore of a store found behind
	// unchecked: a markd backup copy not yet compared with the collector
	// (Behind); it accepts no mark until then.
	unchecked atomic.Bool
	// renumbered: a restore (this run or before) numbered the audit above
	// the collector's event ids (a decision the collector refuses as an
	// id used for another is then sent again under a new id, above theirs).
	renumbered atomic.Bool
	// MaxBackoff bounds the wait between two failed tries; default 1 min.
	MaxBackoff time.Duration
}

// NewRestorer reads the store's history state. client may be nil (sync
// off): then a pending history stays pending and Done stays false.
func NewRestorer(ctx context.Context, db *store.DB, client *Client, log *slog.Logger) (*Restorer, error) {
	if log == nil {
		log = slog.Default()
	}
	r := &Restorer{db: db, client: client, log: log.With("subsystem", "sync.history"), MaxBackoff: time.Minute,
		wake: make(chan struct{}, 1)}
	pending, _, err := db.HistoryPending(ctx)
	if err != nil {
		return nil, err
	}
	r.done.Store(!pending)
	restored, err := db.HistoryRestored(ctx)
	if err != nil {
		return nil, err
	}
	r.renumbered.Store(restored)
	if client != nil {
		copied, err := db.BackupCopy(ctx)
		if err != nil {
			return nil, err
		}
		r.unchecked.Store(copied)
	}
	return r, nil
}

// Done reports whether the store has its office's reuse history (and,
// for a markd backup copy, was compared with the collector).
func (r *Restorer) Done() bool { return r.done.Load() && !r.unchecked.Load() }

// Serve restores the history when it is pending, and again whenever the
// store is found behind the collector (Behind); it returns ctx.Err(), or
// nil at once without a collector.
func (r *Restorer) Serve(ctx context.Context) error {
	if r.client == nil {
		return nil
	}
	switch {
	case !r.done.Load():
		r.log.Warn("new store: restoring this office's used serials from the collector; until then every mark is ERROR")
	case r.unchecked.Load():
		r.log.Warn("store put back from a markd backup: every mark is ERROR until the first upload compared it with the collector")
	}
	for {
		if !r.done.Load() {
			if err := r.serveRestore(ctx); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.wake:
		}
	}
}

// serveRestore restores the history, retrying with backoff until it is
// complete (nil) or ctx ends.
func (r *Restorer) serveRestore(ctx context.Context) error {
	wait := time.Second
	for {
		n, err := r.restore(ctx)
		if err == nil {
			r.done.Store(true)
			r.log.Info("reuse history restored", "serials", n)
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// At least a 429's or 503's Retry-After (capped at MaxBackoff).
		next := max(wait, min(retryAfter(err), r.MaxBackoff))
		r.log.Warn("reuse history not restored yet; retrying", "err", err, "retry_in", next)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(next):
		}
		wait = min(2*wait, r.MaxBackoff)
	}
}

// NotCompared is told that the collector does not say what it holds from
// this terminal (a markhub older than the comparison): a markd backup
// copy waiting for the comparison restores the office's used serials in
// full instead, so it is not held for good.
func (r *Restorer) NotCompared(ctx context.Context) error {
	if !r.unchecked.Load() {
		return nil
	}
	if err := r.db.RestoreAgain(ctx, ""); err != nil {
		return err
	}
	r.done.Store(false)
	r.unchecked.Store(false)
	select {
	case r.wake <- struct{}{}:
	default:
	}
	r.log.Warn("store put back from a markd backup and the collector does not compare it (an older markhub): " +
		"restoring the office's used serials in full; every mark is ERROR until done")
	return nil
}

// Behind compares the store with what the collector holds from this
// terminal (the answer to the first upload of a run). A store that lacks
// the terminal's newest record at the collector, or numbers its audit
// below the collector's review event ids, was put back from an older copy
// (a backup restored where markd init was due): it lacks the serials
// accepted since, and would number its decisions again from the copy's
// point. Its reuse history becomes pending again: every mark is ERROR
// until the office's used serials are restored (Serve does it at once;
// RestoreNow for a command that runs once), and the restore numbers the
// audit above the collector's event ids. It reports whether the store
// was behind.
func (r *Restorer) Behind(ctx context.Context, st hub.TerminalState) (bool, error) {
	var last string
	var lastAt time.Time
	if st.LastRecord != nil {
		last, lastAt = st.LastRecord.ID, st.LastRecord.At
	}
	b, err := r.db.BehindCollector(ctx, last, st.LastEventID)
	if err != nil {
		return false, err
	}
	if !b.IsBehind() {
		if r.unchecked.Load() {
			if err := r.db.CompareDone(ctx); err != nil {
				return false, err
			}
			r.unchecked.Store(false)
			r.log.Info("store put back from a markd backup is not behind the collector: marks are accepted")
		}
		return false, nil
	}
	wasDone := r.done.Load()
	if err := r.db.RestoreAgain(ctx, b.MissingRecord); err != nil {
		return false, err
	}
	r.done.Store(false)
	r.unchecked.Store(false) // RestoreAgain cleared the copy's mark: the restore is the check
	r.behind.Store(wasDone || r.behind.Load())
	select {
	case r.wake <- struct{}{}:
	default:
	}
	if !wasDone {
		return true, nil // a restore is under way already (a new store): it covers this
	}
	attrs := []any{"audit_id", b.AuditID}
	if b.MissingRecord != "" {
		attrs = append(attrs, "collector_record", b.MissingRecord, "collector_record_at", lastAt)
	}
	if b.EventID > 0 {
		attrs = append(attrs, "collector_event_id", b.EventID)
	}
	r.log.Error("this store is behind what the collector holds from this terminal (put back from an older copy?): "+
		"every mark is ERROR until the office's used serials are restored from the collector again; "+
		"review decisions are then numbered after the collector's", attrs...)
	return true, nil
}

// ErrHistoryNotRestored is the error of a command that may not judge marks
// into a store whose reuse history is still pending (RestoreNow failed).
var ErrHistoryNotRestored = errors.New("reuse history not restored")

// RestoreNow is one try to restore the history, for a command that runs
// once (markd import, sync --once, verify --db) instead of waiting as a
// service: nil when the store has its history (at once for any store not
// made by markd init), else an error wrapping ErrHistoryNotRestored and
// the cause. A later try resumes after the last page stored.
func (r *Restorer) RestoreNow(ctx context.Context) (int, error) {
	if r.Done() {
		return 0, nil
	}
	if r.client == nil {
		return 0, fmt.Errorf("%w: sync.url is not set", ErrHistoryNotRestored)
	}
	if r.unchecked.Load() {
		// A command that runs once does not upload first: a markd backup
		// copy restores the office's used serials in full instead.
		if err := r.db.RestoreAgain(ctx, ""); err != nil {
			return 0, err
		}
		r.done.Store(false)
		r.unchecked.Store(false)
	}
	n, err := r.restore(ctx)
	if err != nil {
		return n, fmt.Errorf("%w from the collector: %w", ErrHistoryNotRestored, err)
	}
	r.done.Store(true)
	r.log.Info("reuse history restored", "serials", n)
	return n, nil
}

func (r *Restorer) restore(ctx context.Context) (int, error) {
	_, cursor, err := r.db.HistoryPending(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for {
		page, err := r.client.Serials(ctx, cursor)
		if err != nil {
			return total, err
		}
		var rows []store.RestoredSerial
		if rows, cursor, err = serialsOf(page, cursor); err != nil {
			return total, err
		}
		if err := r.db.RestoreSerials(ctx, rows, cursor); err != nil {
			return total, err
		}
		total += len(rows)
		if page.Done {
			var through string
			if page.LastRecord != nil {
				through = page.LastRecord.ID
			}
			if err := r.db.RestoreDone(ctx, page.LastEventID, through); err != nil {
				return total, err
			}
			r.renumbered.Store(true)
			return total, nil
		}
	}
}

// serialsOf checks a page of used serials asked after cursor and turns
// it into the store's rows, with the cursor to ask after next.
func serialsOf(page *hub.SerialsPage, cursor uint64) ([]store.RestoredSerial, uint64, error) {
	// markhub names the office on every page and either ends or moves
	// the cursor on; an answer that does neither is something else
	// answering in its place ({} of a proxy): asked again at once it
	// would be asked for ever, and taken as the end it would leave
	// the history empty.
	if page.Office == 0 || (!page.Done && page.Next <= cursor) {
		return nil, cursor, fmt.Errorf("collector's page of used serials after %d (office %d, next %d, done %t) is not markhub's answer (a proxy in between, sync.url pointing elsewhere?): %w",
			cursor, page.Office, page.Next, page.Done, ErrNotCollector)
	}
	rows := make([]store.RestoredSerial, len(page.Serials))
	for i, s := range page.Serials {
		// As questionsOf holds an item to the page's next: a serial past
		// it would be stored while the next page is asked from below it.
		if s.Serial <= cursor || s.Serial > page.Next {
			return nil, cursor, fmt.Errorf("collector's page of used serials after %d: serials[%d].serial %d is outside (%d, %d], after the cursor and not past the page's next: %w",
				cursor, i, s.Serial, cursor, page.Next, mark.ErrInvalid)
		}
		rows[i] = store.RestoredSerial{Serial: s.Serial, RecordID: s.RecordID, At: s.At, Office: page.Office, Counter: s.Counter}
	}
	return rows, max(cursor, page.Next), nil
}

// Health is the state of the history as a line of the operator screen's
// status (beside the sources).
func (r *Restorer) Health() mark.SourceHealth {
	h := mark.SourceHealth{Name: "reuse history", Kind: "store", Up: r.Done()}
	switch {
	case h.Up:
	case r.client == nil:
		h.Detail = "new store and sync is off: serials accepted before this store are not known (set sync.url)"
	case r.done.Load() && r.unchecked.Load():
		h.Detail = "store put back from a backup: every mark is ERROR until the first upload compared it with the collector"
	case r.behind.Load():
		h.Detail = "store behind the collector (put back from an older copy): restoring the used serials from the collector: every mark is ERROR until done"
	default:
		h.Detail = "restoring the used serials from the collector: every mark is ERROR until done"
	}
	return h
}

// HistoryGuard wraps a verifier so that, while the history is not
// restored, every mark (whatever its verdict would be) gets verdict ERROR
// with HistoryMessage; text that is not a mark passes unchanged.
func HistoryGuard(v mark.Verifier, r *Restorer) mark.Verifier { return historyGuard{v, r} }

type historyGuard struct {
	mark.Verifier
	r *Restorer
}

func (g historyGuard) Verify(text string, c mark.Context) mark.Result {
	res := g.Verifier.Verify(text, c)
	if res.Verdict != mark.NotAMark && !g.r.Done() {
		return mark.Result{Verdict: mark.Error, Reasons: []mark.Reason{}, Message: HistoryMessage, Versions: res.Versions}
	}
	return res
}
