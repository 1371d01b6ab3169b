package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"markd/mark"
)

func contractRec(serial uint64, contract uint32, counter string, at time.Time, v mark.Verdict, reasons ...mark.Reason) *mark.Record {
	r := scRec(serial, counter, at, v, reasons...)
	r.Mark.Contract = contract
	return r
}

// TestBatchJoin replays MARK-FORMAT §8 through Save: membership, the
// contract taken from the first verified mark, OTHER_CONTRACT, reuse
// across batches, and a scan naming a batch that is not open.
func TestBatchJoin(t *testing.T) {
	ctx := context.Background()
	db, path := scOpen(t)
	b, err := db.OpenBatch(ctx, mark.Batch{Office: 426000, Counter: "A", Operator: "ivanova"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.OpenBatch(ctx, mark.Batch{Office: 426000, Counter: "A"}); !errors.Is(err, mark.ErrConflict) {
		t.Fatalf("second open at counter A: %v, want ErrConflict", err)
	}
	steps := []struct {
		name        string
		rec         *mark.Record
		wantVerdict mark.Verdict
		wantReasons []mark.Reason
		wantBatch   string
	}{
		{"not a mark joins", &mark.Record{At: t0, Counter: "A", Source: "t", Text: "hello", Verdict: mark.NotAMark}, mark.NotAMark, nil, b.ID},
		{"first verified mark gives the contract", contractRec(1, 1004417, "A", t0, mark.Accept), mark.Accept, nil, b.ID},
		{"other contract", contractRec(2, 777, "A", t0, mark.Accept), mark.Reject, []mark.Reason{mark.ReasonOtherContract}, b.ID},
		{"other contract after step 4 reasons", contractRec(3, 777, "A", t0, mark.Reject, mark.ReasonExpired), mark.Reject,
			[]mark.Reason{mark.ReasonExpired, mark.ReasonOtherContract}, b.ID},
		{"other counter: no batch", contractRec(4, 777, "B", t0, mark.Accept), mark.Accept, nil, ""},
		{"rescan in the batch", contractRec(1, 1004417, "A", t0.Add(time.Minute), mark.Accept), mark.DuplicateScan, nil, b.ID},
		{"serial of another counter is reused", contractRec(4, 1004417, "A", t0.Add(time.Minute), mark.Accept), mark.Reject,
			[]mark.Reason{mark.ReasonReused}, b.ID},
		{"rejected other-contract serial is not used", contractRec(2, 777, "B", t0, mark.Accept), mark.Accept, nil, ""},
	}
	for _, s := range steps {
		if err := db.Save(ctx, s.rec, 10*time.Minute); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if s.rec.Verdict != s.wantVerdict || !slices.Equal(s.rec.Reasons, append([]mark.Reason{}, s.wantReasons...)) || s.rec.Batch != s.wantBatch {
			t.Errorf("%s: got %s %v batch %q, want %s %v batch %q", s.name, s.rec.Verdict, s.rec.Reasons, s.rec.Batch,
				s.wantVerdict, s.wantReasons, s.wantBatch)
		}
		got, err := db.Get(ctx, s.rec.ID)
		if err != nil || got.Batch != s.wantBatch || got.Verdict != s.wantVerdict {
			t.Errorf("%s: stored %s batch %q (%v)", s.name, got.Verdict, got.Batch, err)
		}
	}
	cur, err := db.CurrentBatch(ctx, "A")
	if err != nil || cur.Contract != 1004417 || cur.ID != b.ID {
		t.Fatalf("current batch %+v, %v; want contract 1004417", cur, err)
	}

	// A scan naming another batch is refused whole.
	wrong := contractRec(9, 1004417, "A", t0, mark.Accept)
	wrong.Batch = "not-the-open-one"
	before, _ := db.Counts(ctx)
	if err := db.Save(ctx, wrong, time.Minute); !errors.Is(err, mark.ErrConflict) || wrong.ID != "" {
		t.Fatalf("scan naming another batch: %v (id %q), want ErrConflict and nothing changed", err, wrong.ID)
	}
	if after, _ := db.Counts(ctx); after[mark.Accept] != before[mark.Accept] {
		t.Fatalf("a refused scan was recorded: %v → %v", before, after)
	}

	tot, err := db.BatchTotals(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := mark.BatchTotals{Scans: 6, Accepted: 1, Rejected: 3, Duplicates: 1, NotMarks: 1, PaidKop: 10500, PerClass: map[uint8]int{2: 1}}
	if tot.Scans != want.Scans || tot.Accepted != want.Accepted || tot.Rejected != want.Rejected || tot.Duplicates != want.Duplicates ||
		tot.NotMarks != want.NotMarks || tot.PaidKop != want.PaidKop || tot.PerClass[2] != 1 {
		t.Errorf("totals %+v, want %+v", tot, want)
	}

	// The open batch survives a restart as it was.
	db.Close()
	db2, err := Open(ctx, path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	cur, err = db2.CurrentBatch(ctx, "A")
	if err != nil || cur.ID != b.ID || cur.State != mark.BatchOpen {
		t.Fatalf("after reopen: %+v %v", cur, err)
	}
	recs, err := db2.BatchRecords(ctx, b.ID)
	if err != nil || len(recs) != 6 {
		t.Fatalf("batch records after reopen: %d, %v", len(recs), err)
	}
	closed, err := db2.EndBatch(ctx, b.ID, mark.BatchClosed, "ivanova")
	if err != nil || closed.State != mark.BatchClosed || closed.Closed.IsZero() {
		t.Fatalf("close: %+v %v", closed, err)
	}
	if _, err := db2.EndBatch(ctx, b.ID, mark.BatchCancelled, "ivanova"); !errors.Is(err, mark.ErrConflict) {
		t.Fatalf("cancel a closed batch: %v, want ErrConflict", err)
	}
	after := contractRec(10, 777, "A", t0.Add(time.Hour), mark.Accept)
	if err := db2.Save(ctx, after, time.Minute); err != nil || after.Batch != "" || after.Verdict != mark.Accept {
		t.Fatalf("scan after close: %s batch %q %v", after.Verdict, after.Batch, err)
	}
	list, err := db2.ListBatches(ctx, BatchFilter{Contract: 1004417})
	if err != nil || len(list) != 1 || list[0].ID != b.ID {
		t.Fatalf("list batches: %+v %v", list, err)
	}
	if _, err := db2.EndBatch(ctx, "nope", mark.BatchClosed, "x"); !errors.Is(err, mark.ErrNotFound) {
		t.Fatalf("close unknown: %v", err)
	}
}

// TestBatchItemsWhole: a list replaces the old one whole, and a list that
// fails half-way leaves the old one in place.
func TestBatchItemsWhole(t *testing.T) {
	ctx := context.Background()
	db, _ := scOpen(t)
	b, err := db.OpenBatch(ctx, mark.Batch{Office: 426000, Counter: "A"})
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	first := []BatchItem{{Line: 2, N: 1, Tracking: "42600000000015", MailClass: 2, WeightG: 20, TariffKop: 10500, Notice: &yes, Serial: 7},
		{Line: 3, N: 2, MailClass: 1, WeightG: 20, TariffKop: 3500}}
	if err := db.SetBatchItems(ctx, b.ID, 1004417, first, "op"); err != nil {
		t.Fatal(err)
	}
	// the second insert fails (a trigger stands in for a full disk half-way)
	if _, err := db.db.ExecContext(ctx, `CREATE TRIGGER fail_line_99 BEFORE INSERT ON batch_items WHEN NEW.line = 99
		BEGIN SELECT RAISE(ABORT, 'injected failure'); END`); err != nil {
		t.Fatal(err)
	}
	broken := []BatchItem{{Line: 2, N: 1, MailClass: 1}, {Line: 99, N: 2, MailClass: 1}}
	if err := db.SetBatchItems(ctx, b.ID, 1004417, broken, "op"); err == nil {
		t.Fatal("a list whose second item failed was stored")
	}
	got, err := db.BatchItems(ctx, b.ID)
	if err != nil || len(got) != 2 || got[0].Notice == nil || !*got[0].Notice || got[0].Serial != 7 || got[1].Notice != nil || got[1].Serial != 0 {
		t.Fatalf("items after failed import: %+v %v", got, err)
	}
	cur, _ := db.GetBatch(ctx, b.ID)
	if !cur.HasList || cur.Contract != 0 {
		t.Fatalf("batch after list: %+v; want a list and still no contract (MARK-FORMAT §8: the first verified mark gives it)", cur)
	}
}

// TestBatchContractNotFromList: MARK-FORMAT §8 gives a batch its contract
// when it is opened or from the first mark whose signature verified, and
// from nothing else. A batch opened without a contract whose customer's
// list names contract 1004417 takes the contract of its first verified
// mark (555) and accepts it; the list does not make it OTHER_CONTRACT.
// (Until 2026-12-04 SetBatchItems gave the batch the list's contract and
// the mark was REJECT OTHER_CONTRACT.) A list of another contract than a
// batch that has one is still refused.
func TestBatchContractNotFromList(t *testing.T) {
	ctx := context.Background()
	db, _ := scOpen(t)
	b, err := db.OpenBatch(ctx, mark.Batch{Office: 426000, Counter: "A", Operator: "ivanova"})
	if err != nil {
		t.Fatal(err)
	}
	items := []BatchItem{{Line: 2, N: 1, Tracking: "42600000000015", MailClass: 2, WeightG: 20, TariffKop: 10500, Serial: 1}}
	if err := db.SetBatchItems(ctx, b.ID, 1004417, items, "op"); err != nil {
		t.Fatal(err)
	}
	if cur, err := db.GetBatch(ctx, b.ID); err != nil || cur.Contract != 0 || !cur.HasList {
		t.Fatalf("batch after a list of contract 1004417: %+v %v; want contract 0 (not given at opening, no mark yet)", cur, err)
	}
	first := contractRec(2, 555, "A", t0, mark.Accept)
	if err := db.Save(ctx, first, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	if first.Verdict != mark.Accept || len(first.Reasons) != 0 || first.Batch != b.ID {
		t.Fatalf("first verified mark (contract 555): %s %v batch %q; want ACCEPT in the batch", first.Verdict, first.Reasons, first.Batch)
	}
	if cur, err := db.GetBatch(ctx, b.ID); err != nil || cur.Contract != 555 {
		t.Fatalf("batch after its first mark: %+v %v; want contract 555", cur, err)
	}
	other := contractRec(3, 1004417, "A", t0, mark.Accept)
	if err := db.Save(ctx, other, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	if other.Verdict != mark.Reject || !slices.Equal(other.Reasons, []mark.Reason{mark.ReasonOtherContract}) {
		t.Fatalf("mark of the list's contract in a batch of 555: %s %v; want REJECT OTHER_CONTRACT", other.Verdict, other.Reasons)
	}
	if err := db.SetBatchItems(ctx, b.ID, 1004417, items, "op"); !errors.Is(err, mark.ErrConflict) {
		t.Fatalf("list of contract 1004417 for a batch of 555: %v, want ErrConflict", err)
	}
}

func TestTokens(t *testing.T) {
	ctx := context.Background()
	db, _ := scOpen(t)
	tok, err := db.AddToken(ctx, "kassa")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddToken(ctx, "kassa"); !errors.Is(err, mark.ErrConflict) {
		t.Fatalf("second token of one name: %v", err)
	}
	if name, err := db.TokenName(ctx, tok); err != nil || name != "kassa" {
		t.Fatalf("token name %q %v", name, err)
	}
	for _, bad := range []string{"", "markd_wrong", tok + "x"} {
		if _, err := db.TokenName(ctx, bad); !errors.Is(err, mark.ErrUnauthorized) {
			t.Errorf("token %q: %v, want ErrUnauthorized", bad, err)
		}
	}
	var stored string
	if err := db.SQL().QueryRow(`SELECT hash FROM api_tokens`).Scan(&stored); err != nil || stored == tok {
		t.Fatalf("the token is stored in clear (%v)", err)
	}
	if err := db.RemoveToken(ctx, "kassa"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.TokenName(ctx, tok); !errors.Is(err, mark.ErrUnauthorized) {
		t.Fatalf("removed token still works: %v", err)
	}
}

// TestListBatchesDayEdges: the supervisors' day filter and order hold for
// batches opened within a second of the day's edge (a stored time without
// a fixed-width fraction sorted "…:00.5Z" before "…:00Z").
func TestListBatchesDayEdges(t *testing.T) {
	ctx := context.Background()
	msk := time.FixedZone("MSK", 3*3600)
	midnight := time.Date(2026, 11, 25, 0, 0, 0, 0, msk) // 2026-11-24T21:00:00Z
	var now time.Time
	db, _ := openTest(t, Options{Now: func() time.Time { return now }})
	opened := map[string]time.Time{}
	for i, at := range []time.Time{midnight.Add(-500 * time.Millisecond), midnight, midnight.Add(500 * time.Millisecond),
		midnight.Add(time.Second), midnight.Add(24*time.Hour - 500*time.Millisecond), midnight.Add(24 * time.Hour)} {
		now = at
		counter := string(rune('A' + i))
		b, err := db.OpenBatch(ctx, mark.Batch{Office: 426000, Counter: counter})
		if err != nil {
			t.Fatal(err)
		}
		opened[b.ID] = at
	}
	// a row written before the fixed-width form: RFC 3339 without trailing zeros
	old := midnight.Add(250 * time.Millisecond)
	if _, err := db.db.ExecContext(ctx, `INSERT INTO batches(id, office, counter, operator, contract, state, opened_at, auto)
		VALUES ('old', 426000, 'Z', '', 0, 'closed', ?, 0)`, old.UTC().Format(time.RFC3339Nano)); err != nil {
		t.Fatal(err)
	}
	opened["old"] = old
	for _, tc := range []struct {
		name     string
		from, to time.Time
		want     []string // counters, newest first
	}{
		{"the day", midnight, midnight.Add(24 * time.Hour), []string{"E", "D", "C", "Z", "B"}},
		{"the day before", midnight.Add(-24 * time.Hour), midnight, []string{"A"}},
		{"the day after", midnight.Add(24 * time.Hour), midnight.Add(48 * time.Hour), []string{"F"}},
		{"all", time.Time{}, time.Time{}, []string{"F", "E", "D", "C", "Z", "B", "A"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bs, err := db.ListBatches(ctx, BatchFilter{From: tc.from, To: tc.to})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, b := range bs {
				got = append(got, b.Counter)
				if !b.Opened.Equal(opened[b.ID]) {
					t.Errorf("batch %s opened %v, want %v", b.Counter, b.Opened, opened[b.ID])
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("batches %v, want %v", got, tc.want)
			}
		})
	}
}
