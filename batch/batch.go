// Package batch is the acceptance of a customer's partition mail at a
// counter (MARK-FORMAT §8, issue 10): opening and ending batches, the
// customer's list and its reconciliation with the scans, the totals the
// operator and the cash-desk program see, and the receipt made when a
// batch closes. Scans join a batch in the store's own write transaction
// (store.DB.Save); this package is what people and programs call.
package batch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"markd/batchlist"
	"markd/mark"
	"markd/store"
)

// Options configures a Service.
type Options struct {
	Store    *store.DB
	Office   uint32
	Counter  string         // the counter of this daemon
	Location *time.Location // office time: receipt dates
	Log      *slog.Logger
	// Now is the clock of the closes under way (when one began); nil:
	// the wall clock.
	Now func() time.Time
}

// Service runs the batches of one counter. It is safe for concurrent use.
type Service struct {
	opt Options
	log *slog.Logger

	mu      sync.Mutex
	closing map[string]*closeRun // closes under way by batch id (closing.go)

	viewMu sync.Mutex
	views  map[string]*kept // the open batches' reconciliations (panel.go)
}

// New returns a service.
func New(o Options) *Service {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	return &Service{opt: o, log: o.Log.With("subsystem", "batch"), closing: map[string]*closeRun{}, views: map[string]*kept{}}
}

// Counter is the counter the service opens batches at.
func (s *Service) Counter() string { return s.opt.Counter }

// Open opens a batch at the counter; contract 0 takes the contract of the
// first verified mark. A batch already open is mark.ErrConflict.
func (s *Service) Open(ctx context.Context, contract uint32, operator string) (mark.Batch, error) {
	return s.OpenBy(ctx, contract, operator, operator)
}

// OpenBy is Open for a batch whose operator is not who opens it: the
// cash-desk program (actor "api:NAME") opens it for the person at the
// counter, whose name the receipt and the batch carry; the audit names
// the actor.
func (s *Service) OpenBy(ctx context.Context, contract uint32, operator, actor string) (mark.Batch, error) {
	b, err := s.opt.Store.OpenBatchBy(ctx, mark.Batch{Office: s.opt.Office, Counter: s.opt.Counter, Operator: operator, Contract: contract}, actor)
	if err == nil {
		s.log.Info("batch opened", "batch", b.ID, "contract", contract, "operator", operator, "actor", actor)
	}
	return b, err
}

// Current returns the batch open at the counter, or mark.ErrNotFound.
func (s *Service) Current(ctx context.Context) (mark.Batch, error) {
	return s.opt.Store.CurrentBatch(ctx, s.opt.Counter)
}

// Get returns one batch.
func (s *Service) Get(ctx context.Context, id string) (mark.Batch, error) {
	return s.opt.Store.GetBatch(ctx, id)
}

// Close closes an open batch and makes and stores its receipt. The batch
// is closed once EndBatch commits; a receipt that cannot be made then is
// made again when it is asked for (Receipt). Closing a closed batch again
// (a cash desk's retry after a timeout) returns it as it is. A close sent
// while the first still makes the receipt (a list of 100 000 items takes
// seconds: another tab, the desk's retry) waits for it and returns the
// batch it closed: one close, one receipt, stored before either answers.
func (s *Service) Close(ctx context.Context, id, actor string) (mark.Batch, error) {
	run, joined := s.startClose(id)
	for joined != nil {
		s.log.Info("batch close sent while its close runs: waiting for that one", "batch", id, "actor", actor)
		if err := s.waitClose(ctx, id); err != nil {
			return mark.Batch{}, err
		}
		run, joined = s.startClose(id)
	}
	defer s.endClose(id, run)
	b, err := s.opt.Store.EndBatch(ctx, id, mark.BatchClosed, actor)
	if errors.Is(err, store.ErrEndedAlready) {
		return b, nil
	}
	if err != nil {
		return b, err
	}
	s.log.Info("batch closed", "batch", id, "actor", actor)
	if _, err := s.makeReceipt(ctx, b); err != nil {
		s.log.Error("receipt not made; it is made again when asked for", "batch", id, "err", err)
	}
	return b, nil
}

// Cancel cancels an open batch: its scans stay recorded, no receipt is
// made. Cancelling a cancelled batch again returns it as it is.
func (s *Service) Cancel(ctx context.Context, id, actor string) (mark.Batch, error) {
	b, err := s.opt.Store.EndBatch(ctx, id, mark.BatchCancelled, actor)
	if errors.Is(err, store.ErrEndedAlready) {
		return b, nil
	}
	if err == nil {
		s.log.Info("batch cancelled", "batch", id, "actor", actor)
	}
	return b, err
}

// Expect reads the customer's list (CSV or JSON, BATCH-LIST.md) and
// stores it as the list of an open batch, replacing any earlier one. A
// list that cannot be read is refused whole with a *batchlist.ParseError
// naming line and column.
func (s *Service) Expect(ctx context.Context, id string, data []byte, actor string) (batchlist.List, error) {
	// The batch first: a list for an unknown or ended batch is refused as
	// such, not for what the list holds (SetBatchItems checks again).
	b, err := s.opt.Store.GetBatch(ctx, id)
	if err != nil {
		return batchlist.List{}, err
	}
	if b.State != mark.BatchOpen {
		return batchlist.List{}, mark.WithHint(fmt.Errorf("batch %s is %s: a list goes only into an open batch: %w", id, b.State, mark.ErrConflict),
			"open a new batch for these letters and send the list to it")
	}
	l, err := batchlist.Parse(data)
	if err != nil {
		return l, err
	}
	items := make([]store.BatchItem, len(l.Items))
	for i, it := range l.Items {
		items[i] = store.BatchItem(it)
	}
	if err := s.opt.Store.SetBatchItems(ctx, id, l.Contract, items, actor); err != nil {
		return l, err
	}
	s.log.Info("batch list imported", "batch", id, "items", len(items), "contract", l.Contract)
	return l, nil
}

// Status is a batch with its totals and, when the customer's list was
// imported, the differences between the list and the accepted scans.
type Status struct {
	Batch  mark.Batch
	Totals mark.BatchTotals
	Items  int // items on the customer's list
	// Diffs are the differences, all of them or (StatusRows) the first
	// ones; NDiffs is how many there are in all.
	Diffs  []batchlist.Diff
	NDiffs int
	// Overrides are the supervisors' overrides to accept of the batch's
	// scans: those taken while it was open count as accepted in the
	// totals, the differences and the receipt; later ones are shown only.
	Overrides []store.BatchOverride
	// Location is the office's time zone (for the times people read).
	Location *time.Location
}

// Status reads the state of a batch, with all its differences.
func (s *Service) Status(ctx context.Context, id string) (Status, error) {
	return s.StatusRows(ctx, id, -1)
}

// StatusRows is Status with the first rows differences only (rows < 0:
// all) and their number in all: the operator's panel. The reconciliation
// of an open batch is kept between reads (panel.go), so that a read costs
// the scans since the last one; an ended batch's is made whole.
func (s *Service) StatusRows(ctx context.Context, id string, rows int) (Status, error) {
	b, err := s.opt.Store.GetBatch(ctx, id)
	if err != nil {
		return Status{}, err
	}
	st := Status{Batch: b, Location: s.opt.Location}
	if st.Totals, err = s.opt.Store.BatchTotals(ctx, id); err != nil {
		return st, err
	}
	if st.Totals.Overridden+st.Totals.AcceptedLater > 0 {
		if st.Overrides, err = s.opt.Store.BatchOverrides(ctx, id); err != nil {
			return st, err
		}
	}
	if !b.HasList {
		return st, nil
	}
	if b.State == mark.BatchOpen {
		st.Items, st.Diffs, st.NDiffs, err = s.reconciled(ctx, b, st.Overrides, st.Totals.Overridden+st.Totals.AcceptedLater, rows)
		return st, err
	}
	s.forget(id)
	l, recs, err := s.listAndScans(ctx, id)
	if err != nil {
		return st, err
	}
	rec := batchlist.New(l, Scanned(Counted(recs, st.Overrides)))
	st.Items, st.Diffs, st.NDiffs = rec.Items(), rec.Diffs(rows), rec.Len()
	return st, nil
}

// Counted is recs as the batch counts them: a scan a supervisor overrode
// to accept while the batch was open (MARK-FORMAT §7: it then counts as
// accepted) is an ACCEPT. recs is not changed.
func Counted(recs []mark.Record, ovs []store.BatchOverride) []mark.Record {
	in := map[string]bool{}
	for _, o := range ovs {
		if o.InBatch {
			in[o.RecordID] = true
		}
	}
	if len(in) == 0 {
		return recs
	}
	out := slices.Clone(recs)
	for i := range out {
		if in[out[i].ID] && out[i].Verdict == mark.Reject {
			out[i].Verdict, out[i].Reasons = mark.Accept, []mark.Reason{}
		}
	}
	return out
}

func (s *Service) listAndScans(ctx context.Context, id string) (batchlist.List, []mark.Record, error) {
	items, err := s.opt.Store.BatchItems(ctx, id)
	if err != nil {
		return batchlist.List{}, nil, err
	}
	l := batchlist.List{Items: make([]batchlist.Item, len(items))}
	for i, it := range items {
		l.Items[i] = batchlist.Item(it)
	}
	recs, err := s.opt.Store.BatchRecords(ctx, id)
	return l, recs, err
}

// Scanned gives the scans among recs whose marks verified, in the form
// Reconcile takes: the accepted ones, and the rejected and repeated ones
// marked Rejected (BATCH-LIST.md: an item is MISSING only when it was
// not scanned in the batch; MARK-FORMAT §8: every scan at the counter
// while the batch is open belongs to it). A scan without a verified mark
// (not a mark, a signature that did not verify: §3, none of its fields
// may be trusted) matches nothing.
func Scanned(recs []mark.Record) []batchlist.Scanned {
	var out []batchlist.Scanned
	for _, r := range recs {
		if r.Mark == nil || (r.Verdict != mark.Accept && r.Verdict != mark.Reject && r.Verdict != mark.DuplicateScan) {
			continue
		}
		m := r.Mark
		sc := batchlist.Scanned{RecordID: r.ID, Serial: m.Serial, MailClass: m.MailClass, WeightG: int(m.WeightG),
			TariffKop: int64(m.TariffKop), Notice: m.NoticeOfDelivery(), Rejected: r.Verdict != mark.Accept}
		if m.Tracking != 0 {
			sc.Tracking = fmt.Sprintf("%014d", m.Tracking)
		}
		out = append(out, sc)
	}
	return out
}

// Receipt returns the receipt PDF of a closed batch: the stored one, or
// one made now when closing could not store it (stored now, or given
// unstored while the store cannot write).
func (s *Service) Receipt(ctx context.Context, id string) ([]byte, error) {
	// A close under way stores the receipt soon: made once, not twice.
	if err := s.waitClose(ctx, id); err != nil {
		return nil, err
	}
	pdf, err := s.opt.Store.Receipt(ctx, id)
	if !errors.Is(err, mark.ErrNotFound) {
		return pdf, err
	}
	b, err := s.opt.Store.GetBatch(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := noReceipt(b); err != nil {
		return nil, err
	}
	pdf, err = s.makeReceipt(ctx, b)
	if err != nil && pdf != nil {
		// Made from the stored scans but not stored (the store cannot
		// write now): the customer gets it all the same, the same bytes it
		// will be once stored; the next read stores it.
		s.log.Warn("receipt given but not stored; it is stored when asked for again", "batch", id, "err", err, mark.HintAttr(err))
		return pdf, nil
	}
	return pdf, err
}

// noReceipt refuses the receipt of a batch that is not closed, with a
// hint for its state: an open one is closed first, a cancelled one never
// has one.
func noReceipt(b mark.Batch) error {
	if b.State == mark.BatchClosed {
		return nil
	}
	hint := "close the batch first"
	if b.State == mark.BatchCancelled {
		hint = "a cancelled batch has no receipt (its scans stay recorded): open a new batch for these letters"
	}
	return mark.WithHint(fmt.Errorf("batch %s is %s: only a closed batch has a receipt: %w", b.ID, b.State, mark.ErrConflict), hint)
}
