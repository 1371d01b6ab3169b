package pipeline

import (
	"context"
	"errors"
	"testing"

	"markd/mark"
)

// TestAutoBatch: with AutoBatch the first verified mark at a counter
// without a batch opens one with its contract; a text that is not a mark
// opens none; a scan naming a batch that is not open is refused (ERROR,
// nothing recorded) without marking the store as failing.
func TestAutoBatch(t *testing.T) {
	p, db, sign := setup(t)
	p.opt.AutoBatch = true
	ctx := context.Background()
	if rec := p.Process(ctx, mark.Scan{Text: "not a mark", Source: "t"}); rec.Batch != "" {
		t.Fatalf("a text that is not a mark opened batch %q", rec.Batch)
	}
	if _, err := db.CurrentBatch(ctx, "A"); !errors.Is(err, mark.ErrNotFound) {
		t.Fatalf("batch after a non-mark: %v", err)
	}
	first := p.Process(ctx, mark.Scan{Text: sign(1), Source: "t"})
	if first.Verdict != mark.Accept || first.Batch == "" {
		t.Fatalf("first mark: %s batch %q", first.Verdict, first.Batch)
	}
	b, err := db.CurrentBatch(ctx, "A")
	if err != nil || b.ID != first.Batch || !b.Auto || b.Contract != 1 {
		t.Fatalf("auto batch %+v %v", b, err)
	}
	if rec := p.Process(ctx, mark.Scan{Text: sign(2), Source: "t"}); rec.Batch != b.ID {
		t.Fatalf("second mark joined %q, want %q", rec.Batch, b.ID)
	}
	rec, err := p.Submit(ctx, mark.Scan{Text: sign(3), Source: "t", Batch: "another"})
	if !errors.Is(err, mark.ErrConflict) || rec.Verdict != mark.Error || rec.ID != "" {
		t.Fatalf("scan for another batch: %s %v", rec.Verdict, err)
	}
	if err := p.StoreErr(); err != nil {
		t.Fatalf("a refused scan marked the store as failing: %v", err)
	}
	if _, err := db.EndBatch(ctx, b.ID, mark.BatchClosed, "t"); err != nil {
		t.Fatal(err)
	}
	if rec := p.Process(ctx, mark.Scan{Text: sign(4), Source: "t"}); rec.Batch == "" || rec.Batch == b.ID {
		t.Fatalf("after close the next mark opened %q (old %q)", rec.Batch, b.ID)
	}
}
