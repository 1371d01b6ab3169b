package pipeline

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"markd/mark"
)

// TestProcessBatch: a batch gets the verdicts Process would give scan by
// scan (reuse in order, each scan seeing the ones before it), is stored,
// published and observed; blank scans are ignored.
func TestProcessBatch(t *testing.T) {
	p, db, sign := setup(t)
	var observed []mark.Verdict
	p.opt.Observe = func(rec mark.Record, _ time.Duration, err error) {
		if err != nil {
			t.Errorf("observed a store error: %v", err)
		}
		observed = append(observed, rec.Verdict)
	}
	feed, cancel := p.Subscribe()
	defer cancel()
	ctx := context.Background()
	a, b := sign(11), sign(12)
	scans := []struct {
		scan    mark.Scan
		verdict mark.Verdict
		stored  bool
	}{
		{mark.Scan{Text: a, Source: "import"}, mark.Accept, true},
		{mark.Scan{Text: a, Source: "import"}, mark.DuplicateScan, true},
		{mark.Scan{Text: " ", Source: "import"}, mark.NotAMark, false},
		{mark.Scan{Text: a, Source: "import", Counter: "B"}, mark.Reject, true},
		{mark.Scan{Text: "4600000000001", Source: "import"}, mark.NotAMark, true},
		{mark.Scan{Text: b, Source: "import", At: now.Add(time.Hour)}, mark.Accept, true},
	}
	in := make([]mark.Scan, len(scans))
	for i, s := range scans {
		in[i] = s.scan
	}
	recs, err := p.ProcessBatch(ctx, in)
	if err != nil || len(recs) != len(scans) {
		t.Fatalf("ProcessBatch: %d records, %v", len(recs), err)
	}
	var stored []mark.Verdict
	for i, s := range scans {
		rec := recs[i]
		if rec.Verdict != s.verdict || (rec.ID != "") != s.stored {
			t.Errorf("scan %d: verdict %s id %q, want %s stored=%v", i, rec.Verdict, rec.ID, s.verdict, s.stored)
			continue
		}
		if !s.stored {
			continue
		}
		stored = append(stored, s.verdict)
		if got, err := db.Get(ctx, rec.ID); err != nil || got.Verdict != rec.Verdict {
			t.Errorf("scan %d: stored %+v %v", i, got, err)
		}
		select {
		case pub := <-feed:
			if pub.ID != rec.ID {
				t.Errorf("scan %d: published %s, want %s", i, pub.ID, rec.ID)
			}
		default:
			t.Errorf("scan %d: nothing published", i)
		}
	}
	if len(observed) != len(stored) {
		t.Errorf("observed %v, want %v", observed, stored)
	}
	if recs, err := p.ProcessBatch(ctx, []mark.Scan{{Text: ""}}); err != nil || recs[0].ID != "" {
		t.Errorf("blank batch: %+v %v", recs, err)
	}
}

// TestProcessBatchStoreFailure: when the batch cannot be committed, no
// record is ACCEPT: all are ERROR without ID, the error is returned and
// the store state shows it; the next batch that commits clears it.
func TestProcessBatchStoreFailure(t *testing.T) {
	p, db, sign := setup(t)
	ctx := context.Background()
	feed, cancel := p.Subscribe()
	defer cancel()
	db.FailWrite = func() error { return syscall.ENOSPC }
	scans := []mark.Scan{{Text: sign(21)}, {Text: sign(22)}}
	recs, err := p.ProcessBatch(ctx, scans)
	if !errors.Is(err, mark.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	for i, rec := range recs {
		if rec.Verdict != mark.Error || rec.ID != "" || rec.Message != ErrorMessage {
			t.Errorf("record %d on a full disk: %+v", i, rec)
		}
		if pub := <-feed; pub.Verdict != mark.Error {
			t.Errorf("published %s, want ERROR", pub.Verdict)
		}
	}
	if p.StoreErr() == nil {
		t.Error("StoreErr is nil after a failed batch")
	}
	db.FailWrite = nil
	recs, err = p.ProcessBatch(ctx, scans)
	if err != nil || recs[0].Verdict != mark.Accept || recs[1].Verdict != mark.Accept {
		t.Fatalf("after recovery: %+v %v", recs, err)
	}
	if p.StoreErr() != nil {
		t.Errorf("StoreErr after recovery: %v", p.StoreErr())
	}
}
