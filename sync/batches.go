package sync

import (
	"markd/hub"
	"markd/store"
)

// maxBatchesSent bounds the ended batches one upload carries (a handful a
// day per counter; a backlog goes over a few requests).
const maxBatchesSent = 100

// uploadBatches converts ended batches to their upload form with their
// totals, the receipt's counts too when the collector takes them
// (receiptCounts), and returns their ids.
func uploadBatches(bs []store.EndedBatch, receiptCounts bool) ([]hub.Batch, []string) {
	if len(bs) == 0 {
		return nil, nil
	}
	out, ids := make([]hub.Batch, len(bs)), make([]string, len(bs))
	for i, e := range bs {
		b := e.Batch
		out[i] = hub.Batch{ID: b.ID, Office: b.Office, Counter: b.Counter, Operator: b.Operator, Contract: b.Contract,
			State: b.State, Opened: b.Opened.UTC(), Closed: b.Closed.UTC(), Accepted: e.Totals.Accepted,
			Rejected: e.Totals.Rejected, PaidKop: e.Totals.PaidKop}
		if receiptCounts {
			t := e.Totals
			out[i].HandedBack, out[i].PresentedAgain, out[i].RefusedAgain = &t.HandedBack, &t.PresentedAgain, &t.RefusedAgain
		}
		ids[i] = b.ID
	}
	return out, ids
}
