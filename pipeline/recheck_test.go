package pipeline

import (
	"context"
	"log/slog"
	"markd/internal/filecopy"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"markd/mark"
	"markd/store"
	"markd/store/storetest"
)

// crashInCheck wraps a verifier so that the deferred signature check of
// the next scan first waits until that scan's commit is written to the
// WAL and copies the store's files: the state a crash leaves between the
// commit's fsync and a refusal that would make it invalid.
type crashInCheck struct {
	mark.Verifier
	t      *testing.T
	path   string // the store
	crash  string // where the copy goes
	copied chan error
}

func (c *crashInCheck) Verify(text string, ctx mark.Context) mark.Result {
	r := c.Verifier.Verify(text, ctx)
	if ctx.DeferSignature == nil || *ctx.DeferSignature == nil {
		return r
	}
	orig := *ctx.DeferSignature
	st, err := os.Stat(c.path + "-wal")
	if err != nil {
		c.t.Fatal(err)
	}
	before := st.Size()
	*ctx.DeferSignature = func() bool {
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Microsecond) {
			if st, err := os.Stat(c.path + "-wal"); err == nil && st.Size() > before {
				break
			}
		}
		err := filecopy.Copy(c.path, c.crash)
		if err == nil {
			err = filecopy.Copy(c.path+"-wal", c.crash+"-wal")
		}
		c.copied <- err
		return orig()
	}
	return r
}

// TestRecheckAfterCrashInWindow: a forged mark's files copied while its
// optimistic commit is durable and not yet refused hold its ACCEPT after
// WAL recovery (the crash window); RecheckSignatures at the next open
// corrects it to REJECT BAD_SIGNATURE, frees its serial and audits it, and
// leaves the good scans; a second recheck sees only the scan made since.
func TestRecheckAfterCrashInWindow(t *testing.T) {
	p, db, sign := setup(t)
	ctx := context.Background()
	if checked, _, err := p.RecheckSignatures(ctx); err != nil || checked != 0 {
		t.Fatalf("recheck of a new store: %d %v", checked, err)
	}
	good := p.Process(ctx, mark.Scan{Text: sign(1), Source: "t"})
	if good.Verdict != mark.Accept {
		t.Fatalf("good mark: %s", good.Verdict)
	}
	crash := filepath.Join(t.TempDir(), "crash.db")
	spy := &crashInCheck{Verifier: p.opt.Verifier, t: t, path: db.Path(), crash: crash, copied: make(chan error, 1)}
	p.opt.Verifier = spy
	forged := forge(t, sign(2), 100)
	if rec := p.Process(ctx, mark.Scan{Text: forged, Source: "t"}); rec.Verdict != mark.Reject {
		t.Fatalf("forged mark in the running store: %s", rec.Verdict)
	}
	if err := <-spy.copied; err != nil {
		t.Fatal(err)
	}

	cdb := storetest.OpenAt(t, crash, store.Options{})
	recs, _, err := cdb.List(ctx, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var planted *mark.Record
	for i := range recs {
		if recs[i].Text == forged {
			planted = &recs[i]
		}
	}
	if planted == nil || planted.Verdict != mark.Accept {
		t.Fatalf("the crash copy does not hold the optimistic ACCEPT (the test would prove nothing): %+v", planted)
	}
	cp := New(Options{Verifier: p.opt.Verifier.(*crashInCheck).Verifier, Store: cdb, Office: 426000, Counter: "A",
		Location: time.UTC, RescanWindow: 10 * time.Minute, Now: p.opt.Now, Log: slog.New(slog.DiscardHandler)})
	checked, corrected, err := cp.RecheckSignatures(ctx)
	if err != nil || checked != 2 || corrected != 1 {
		t.Fatalf("recheck: checked %d corrected %d %v, want 2 1", checked, corrected, err)
	}
	got, err := cdb.Get(ctx, planted.ID)
	if err != nil || got.Verdict != mark.Reject || !slices.Equal(got.Reasons, []mark.Reason{mark.ReasonBadSignature}) ||
		got.Mark != nil || got.Review != mark.ReviewPending {
		t.Errorf("corrected row: %s %v mark %v review %q (%v)", got.Verdict, got.Reasons, got.Mark != nil, got.Review, err)
	}
	if g, err := cdb.Get(ctx, good.ID); err != nil || g.Verdict != mark.Accept {
		t.Errorf("good row after the recheck: %s %v", g.Verdict, err)
	}
	audit, err := cdb.AuditFor(ctx, planted.ID)
	if err != nil || len(audit) != 1 || audit[0].Action != store.ActionSignatureRecheck {
		t.Errorf("audit of the corrected row: %+v %v", audit, err)
	}
	if a, err := cdb.FirstAcceptance(ctx, 2); err != nil || a != nil {
		t.Errorf("the forged serial is still claimed: %+v %v", a, err)
	}
	if rec := cp.Process(ctx, mark.Scan{Text: sign(2), Source: "t"}); rec.Verdict != mark.Accept {
		t.Errorf("the genuine mark after the correction: %s %v", rec.Verdict, rec.Reasons)
	}
	// Only the scan since the first recheck is above the watermark now.
	if checked, corrected, err := cp.RecheckSignatures(ctx); err != nil || checked != 1 || corrected != 0 {
		t.Errorf("second recheck: checked %d corrected %d %v, want 1 0", checked, corrected, err)
	}
}

// plant stores text as the gated path stores it optimistically, its
// signature taken as good: the row a crash in the window leaves.
func plant(t *testing.T, p *Pipeline, text string) mark.Record {
	t.Helper()
	j, _, done := p.prepare(mark.Scan{Text: text, Source: "t"})
	if done {
		t.Fatal("not a mark")
	}
	var check func() bool
	j.ctx.DeferSignature = &check
	rec := p.judged(&j, p.opt.Verifier.Verify(j.sc.Text, j.ctx))
	if err := p.opt.Store.SaveChecked(context.Background(), &rec, p.opt.RescanWindow, func() bool { return true }); err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestRecheckMany: hundreds of scans above the watermark (an import while
// the daemon was stopped) are checked on every core; exactly the forged
// ones among them are corrected.
func TestRecheckMany(t *testing.T) {
	p, db, sign := setup(t)
	p.opt.Log = slog.New(slog.DiscardHandler)
	p.log = p.opt.Log
	ctx := context.Background()
	// The watermark at 0, set by another process: this one's writer does
	// not move it while the rows are planted.
	other := storetest.OpenAt(t, db.Path(), store.Options{})
	if err := other.SetCheckWatermark(ctx, 0); err != nil {
		t.Fatal(err)
	}
	forged := map[string]bool{}
	for i := range recheckParallel + 44 {
		text := sign(uint64(1000 + i))
		if i == 7 || i == 250 {
			text = forge(t, text, 200+i)
		}
		rec := plant(t, p, text)
		if i == 7 || i == 250 {
			forged[rec.ID] = true
		}
	}
	checked, corrected, err := p.RecheckSignatures(ctx)
	if err != nil || checked != recheckParallel+44 || corrected != 2 {
		t.Fatalf("recheck: checked %d corrected %d %v, want %d 2", checked, corrected, err, recheckParallel+44)
	}
	recs, _, err := db.List(ctx, store.Filter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if want := !forged[r.ID]; (r.Verdict == mark.Accept) != want {
			t.Errorf("%s: %s, forged %v", r.ID, r.Verdict, forged[r.ID])
		}
	}
}
