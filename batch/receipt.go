package batch

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"markd/batchlist"
	"markd/mark"
	"markd/receipt"
	"markd/store"
)

// receiptOf gathers the receipt of a batch from the store: its records
// and, when the customer's list was imported, the reconciliation the
// status gives.
func (s *Service) receiptOf(ctx context.Context, b mark.Batch) (receipt.Receipt, error) {
	s.stepTo(b.ID, StepRead)
	// Only the overrides taken while the batch was open are on it: one
	// after the close leaves the receipt handed over as it was.
	ovs, err := s.opt.Store.BatchOverrides(ctx, b.ID)
	if err != nil {
		return receipt.Receipt{}, err
	}
	if !b.HasList {
		recs, err := s.opt.Store.BatchRecords(ctx, b.ID)
		if err != nil {
			return receipt.Receipt{}, err
		}
		return s.fromRecords(b, recs, ovs), nil
	}
	l, recs, err := s.listAndScans(ctx, b.ID)
	if err != nil {
		return receipt.Receipt{}, err
	}
	r := s.fromRecords(b, recs, ovs)
	r.HasList, r.ListItems = true, len(l.Items)
	s.stepTo(b.ID, StepCompare)
	for _, d := range batchlist.Reconcile(l, Scanned(Counted(recs, ovs))) {
		x := receipt.Diff{Kind: string(d.Kind), Want: d.Want, Got: d.Got}
		if it := d.Item; it != nil {
			x.N, x.Tracking, x.Serial = it.N, it.Tracking, it.Serial
		}
		if sc := d.Scan; sc != nil {
			if x.Tracking == "" {
				x.Tracking = sc.Tracking
			}
			if x.Serial == 0 {
				x.Serial = sc.Serial
			}
		}
		r.Diffs = append(r.Diffs, x)
	}
	return r, nil
}

// fromRecords is receipt.FromRecords of the records as the batch counts
// them, each item a supervisor accepted naming them.
func (s *Service) fromRecords(b mark.Batch, recs []mark.Record, ovs []store.BatchOverride) receipt.Receipt {
	r := receipt.FromRecords(b, Counted(recs, ovs), s.opt.Location)
	by := map[uint64]store.BatchOverride{}
	for _, o := range ovs {
		if o.InBatch {
			by[o.Serial] = o
		}
	}
	for i, it := range r.Accepted {
		if o, ok := by[it.Serial]; ok {
			r.Accepted[i].DecidedBy, r.Accepted[i].DecidedAt = o.Actor, o.At
		}
	}
	return r
}

// makeReceipt makes the receipt PDF of a closed batch and stores it. When
// it was made but not stored it returns the PDF with the store's error:
// the receipt is the same bytes whenever made, so it may be handed over
// all the same.
func (s *Service) makeReceipt(ctx context.Context, b mark.Batch) ([]byte, error) {
	r, err := s.receiptOf(ctx, b)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	s.stepTo(b.ID, StepLayout)
	if err := receipt.WritePDFThen(&buf, r, func() { s.stepTo(b.ID, StepWrite) }); err != nil {
		return nil, fmt.Errorf("receipt of batch %s: %w", b.ID, err)
	}
	s.stepTo(b.ID, StepStore)
	if err := s.opt.Store.SaveReceipt(ctx, b.ID, buf.Bytes()); err != nil {
		return buf.Bytes(), err
	}
	return buf.Bytes(), nil
}

// ReceiptHTML writes the printable receipt page of a closed batch.
func (s *Service) ReceiptHTML(ctx context.Context, w io.Writer, id string) error {
	b, err := s.opt.Store.GetBatch(ctx, id)
	if err != nil {
		return err
	}
	if err := noReceipt(b); err != nil {
		return err
	}
	r, err := s.receiptOf(ctx, b)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := receipt.WriteHTML(&buf, r); err != nil {
		return fmt.Errorf("receipt of batch %s: %w", id, err)
	}
	_, err = buf.WriteTo(w)
	return err
}
