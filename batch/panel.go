package batch

import (
	"context"

	"markd/batchlist"
	"markd/mark"
	"markd/store"
)

// PanelRows is the number of differences the operator's batch panel draws
// (web/static/batch.js: the first ones, and how many there are in all).
const PanelRows = 500

// kept is the reconciliation of an open batch with a list as the last
// status read left it (Service.views): the next read adds the scans
// stored since, instead of reading the list and every scan again (a list
// of 100 000 items: half a second of CPU at each refresh of the panel).
// It only serves the status; the receipt is made from the store whole.
type kept struct {
	audit int64 // the audit log's end when it was built: a batch action after it (a list loaded by another process) builds it again
	rowid int64 // the largest row number of the scans it has
	scans int   // the batch's scans it has (all verdicts)
	ovs   int   // the batch's overrides when it was built
	rec   *batchlist.Recon
}

// maxKept bounds the reconciliations kept: one open batch per counter.
const maxKept = 4

// reconciled gives the reconciliation of the open batch b with its list,
// kept up to date: built again when a batch action was logged since (the
// list replaced, by this process or another), when an override was taken
// (ovs), when scans went or came out of order, or when a scan could
// change earlier matches (batchlist.Recon.Add); else the new scans are
// added. Reads that fail drop it. It gives the number of items, the
// first rows differences (rows < 0: all) and their number in all, read
// under the lock: another read may add scans to the Recon after it.
func (s *Service) reconciled(ctx context.Context, b mark.Batch, ovs []store.BatchOverride, nOvs, rows int) (items int, diffs []batchlist.Diff, n int, err error) {
	s.viewMu.Lock()
	defer s.viewMu.Unlock()
	rec, err := s.keptRecon(ctx, b, ovs, nOvs)
	if err != nil {
		return 0, nil, 0, err
	}
	return rec.Items(), rec.Diffs(rows), rec.Len(), nil
}

// keptRecon is reconciled's Recon; s.viewMu is held.
func (s *Service) keptRecon(ctx context.Context, b mark.Batch, ovs []store.BatchOverride, nOvs int) (*batchlist.Recon, error) {
	k := s.views[b.ID]
	delete(s.views, b.ID)
	if k != nil && k.ovs == nOvs {
		last, upto, err := s.opt.Store.BatchLog(ctx, k.audit)
		if err != nil {
			return nil, err
		}
		if last == 0 {
			k.audit = upto
			if ok, err := s.catchUp(ctx, b.ID, k, ovs); err != nil {
				return nil, err
			} else if ok {
				s.views[b.ID] = k
				return k.rec, nil
			}
		}
	}
	// Built whole: the audit log's end first, so that a list loaded while
	// it is read is seen at the next read.
	_, upto, err := s.opt.Store.BatchLog(ctx, 1<<62)
	if err != nil {
		return nil, err
	}
	items, err := s.opt.Store.BatchItems(ctx, b.ID)
	if err != nil {
		return nil, err
	}
	l := batchlist.List{Items: make([]batchlist.Item, len(items))}
	for i, it := range items {
		l.Items[i] = batchlist.Item(it)
	}
	sc, err := s.opt.Store.BatchScansSince(ctx, b.ID, 0)
	if err != nil {
		return nil, err
	}
	k = &kept{audit: upto, rowid: sc.Upto, scans: len(sc.Records), ovs: nOvs,
		rec: batchlist.New(l, Scanned(Counted(sc.Records, ovs)))}
	if len(s.views) >= maxKept {
		clear(s.views)
	}
	s.views[b.ID] = k
	return k.rec, nil
}

// catchUp adds to k the scans stored since; false: k must be built again.
func (s *Service) catchUp(ctx context.Context, id string, k *kept, ovs []store.BatchOverride) (bool, error) {
	sc, err := s.opt.Store.BatchScansSince(ctx, id, k.rowid)
	if err != nil {
		return false, err
	}
	if !sc.InOrder || sc.Count != k.scans+len(sc.Records) {
		return false, nil
	}
	for _, x := range Scanned(Counted(sc.Records, ovs)) {
		if !k.rec.Add(x) {
			return false, nil
		}
	}
	k.rowid, k.scans = max(k.rowid, sc.Upto), sc.Count
	return true, nil
}

// forget drops the kept reconciliation of a batch that ended.
func (s *Service) forget(id string) {
	s.viewMu.Lock()
	delete(s.views, id)
	s.viewMu.Unlock()
}
