package batch

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"markd/batchlist"
	"markd/internal/testdata"
	"markd/issuer"
	"markd/mark"
	"markd/store"
)

// rejectedMark records at counter A a mark of serial s, registered
// letter of 20 g, of the given contract and tariff, judged REJECT with
// reasons, through the store's own write path (it joins the open batch,
// which may add OTHER_CONTRACT), and returns the record.
func rejectedMark(t *testing.T, db *store.DB, s uint64, contract, tariff uint32, at time.Time, reasons ...mark.Reason) *mark.Record {
	t.Helper()
	rec := &mark.Record{At: at, Office: 426000, Counter: "A", Source: "test", Text: fmt.Sprintf("EPM1:REJ%d", s),
		Verdict: mark.Reject, Reasons: reasons, Mark: &mark.Mark{Version: 1, Alg: 1, KeyID: 1, Serial: s, Contract: contract,
			MailClass: 2, WeightG: 20, TariffKop: tariff, Office: 426000, Issued: 9820, ValidUntil: 9910,
			Tracking: issuer.Tracking(426000, s)}}
	if err := db.SaveBatch(context.Background(), []*mark.Record{rec}, time.Minute); err != nil {
		t.Fatal(err)
	}
	if rec.Verdict != mark.Reject {
		t.Fatalf("serial %d: %s %v, want REJECT", s, rec.Verdict, rec.Reasons)
	}
	return rec
}

func diffKinds(ds []DiffJSON) map[string]int {
	out := map[string]int{}
	for _, d := range ds {
		out[fmt.Sprintf("%s %d", d.Kind, d.Serial)]++
	}
	return out
}

// TestOverrideInOpenBatch: a supervisor clears an UNDERPAID envelope on
// the list and an OTHER_CONTRACT envelope not on it while the batch is
// open (MARK-FORMAT §7: after an override to accept the mark counts as
// used, i.e. accepted): from then on both count as accepted in the batch:
// the totals (API JSON), the reconciliation (the listed one compared with
// its mark, WEIGHT, before and after; the other EXTRA), and the
// receipt at close, which says on their lines that a supervisor accepted
// them and names the supervisor; the receipt made again from the store is
// the same bytes.
func TestOverrideInOpenBatch(t *testing.T) {
	ctx := context.Background()
	s, db := openServiceAt(t, testdata.Now, time.FixedZone("MSK", 3*3600))
	b, err := s.Open(ctx, 1004417, "Иванова")
	if err != nil {
		t.Fatal(err)
	}
	t0 := testdata.Now()
	fill(t, db, 1, 1) // serial 1 accepted, 105,00
	under := rejectedMark(t, db, 2, 1004417, 1000, t0.Add(time.Minute), mark.ReasonUnderpaid)
	other := rejectedMark(t, db, 3, 2000001, 10500, t0.Add(2*time.Minute))
	if !slices.Contains(other.Reasons, mark.ReasonOtherContract) {
		t.Fatalf("serial 3 of another contract: %v, want OTHER_CONTRACT", other.Reasons)
	}
	tr := func(s uint64) string { return fmt.Sprintf("%014d", issuer.Tracking(426000, s)) }
	list := "n,serial,tracking,mail_class,weight_g,tariff_kop\n1,1," + tr(1) + ",2,20,10500\n2,2," + tr(2) + ",2,25,1000\n"
	if _, err := s.Expect(ctx, b.ID, []byte(list), "Иванова"); err != nil {
		t.Fatal(err)
	}
	before, err := s.Status(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Before: the listed envelope was scanned (rejected): compared with
	// its mark, WEIGHT, not MISSING; the other contract's is no EXTRA
	// (rejected, BATCH-LIST.md: EXTRA is an accepted scan).
	if k := diffKinds(before.JSON().Differences); k["WEIGHT 2"] != 1 || len(k) != 1 {
		t.Fatalf("before the overrides: differences %v, want WEIGHT of serial 2 alone", k)
	}
	for _, id := range []string{under.ID, other.ID} {
		if err := db.OverrideAccept(ctx, id, "petrova", "paid at the counter"); err != nil {
			t.Fatal(err)
		}
	}

	var got struct {
		Totals      map[string]any `json:"totals"`
		Paid        string         `json:"paid"`
		Differences []DiffJSON     `json:"differences"`
		Overrides   []struct {
			RecordID string    `json:"record_id"`
			Serial   uint64    `json:"serial"`
			By       string    `json:"by"`
			At       time.Time `json:"at"`
			Later    bool      `json:"later"`
		} `json:"overrides"`
	}
	statusJSON(t, s, b.ID, &got)
	checkTotals(t, got.Totals, map[string]float64{"scans": 3, "accepted": 3, "rejected": 0, "handed_back": 0, "paid_kop": 22000,
		"overridden": 2, "accepted_later": 0})
	if pc, _ := got.Totals["per_class"].(map[string]any); pc["2"] != 3.0 {
		t.Errorf("per_class %v, want 3 registered letters", got.Totals["per_class"])
	}
	if got.Paid != "220,00 ₽" {
		t.Errorf("paid %q, want 220,00 ₽", got.Paid)
	}
	if k := diffKinds(got.Differences); k["WEIGHT 2"] != 1 || k["EXTRA 3"] != 1 || len(k) != 2 {
		t.Errorf("differences %v, want WEIGHT of serial 2 and EXTRA of serial 3", k)
	}
	if len(got.Overrides) != 2 || got.Overrides[0].RecordID != under.ID || got.Overrides[0].Serial != 2 ||
		got.Overrides[0].By != "petrova" || got.Overrides[0].Later || !got.Overrides[0].At.Equal(testdata.Now()) {
		t.Errorf("overrides %+v, want serials 2 and 3 by petrova, in the batch", got.Overrides)
	}

	pdf, texts := closedReceipt(t, s, b.ID)
	for name, text := range texts {
		flat := strings.Join(strings.Fields(text), " ")
		for _, w := range []string{
			"Итого принято: 3 отправления на сумму 220,00 руб.",
			"№ 2 (серия знака 2): принято по решению руководителя petrova",
			"№ 3 (серия знака 3): принято по решению руководителя petrova",
			"принято сверх списка: 1",
		} {
			if !strings.Contains(flat, w) {
				t.Errorf("receipt %s lacks %q:\n%s", name, w, text)
			}
		}
		if strings.Contains(flat, "Не принято:") || strings.Contains(flat, "из них не предъявлено: 1") {
			t.Errorf("receipt %s still hands back an envelope the supervisor accepted:\n%s", name, text)
		}
	}
	sameRemade(t, s, db, b.ID, pdf)
	ended, err := db.PendingBatches(ctx, 10)
	if err != nil || len(ended) != 1 || ended[0].Totals.Accepted != 3 || ended[0].Totals.Rejected != 0 || ended[0].Totals.PaidKop != 22000 {
		t.Errorf("batch to upload: %+v %v, want 3 accepted, 0 rejected, 22000 kopecks", ended, err)
	}
}

// TestOverrideAfterClose: a supervisor accepts a mark of a batch after
// the batch was closed: the receipt handed over stays as it was (stored
// and made again: the same bytes, the envelope among those handed back),
// the totals are those of the receipt (and of the upload), and the batch
// status shows the later decision: who and when, and accepted_later.
func TestOverrideAfterClose(t *testing.T) {
	ctx := context.Background()
	s, db := openServiceAt(t, testdata.Now, time.FixedZone("MSK", 3*3600))
	b, err := s.Open(ctx, 1004417, "Иванова")
	if err != nil {
		t.Fatal(err)
	}
	fill(t, db, 1, 1)
	under := rejectedMark(t, db, 2, 1004417, 1000, testdata.Now().Add(time.Minute), mark.ReasonUnderpaid)
	if _, err := s.Close(ctx, b.ID, "Иванова"); err != nil {
		t.Fatal(err)
	}
	atClose, err := s.Receipt(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	var pageBefore bytes.Buffer
	if err := s.ReceiptHTML(ctx, &pageBefore, b.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.OverrideAccept(ctx, under.ID, "petrova", "the customer paid the difference later"); err != nil {
		t.Fatal(err)
	}
	stored, err := s.Receipt(ctx, b.ID)
	if err != nil || !bytes.Equal(stored, atClose) {
		t.Errorf("stored receipt changed by a later override (%v)", err)
	}
	sameRemade(t, s, db, b.ID, atClose)
	var pageAfter bytes.Buffer
	if err := s.ReceiptHTML(ctx, &pageAfter, b.ID); err != nil {
		t.Fatal(err)
	}
	if pageAfter.String() != pageBefore.String() {
		t.Errorf("receipt page changed by a later override")
	}

	st, err := s.Status(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	j := st.JSON()
	if tt := j.Totals; tt.Accepted != 1 || tt.Rejected != 1 || tt.HandedBack != 1 || tt.PaidKop != 10500 || tt.Overridden != 0 || tt.AcceptedLater != 1 {
		t.Errorf("totals %+v, want the receipt's (1 accepted, 1 handed back) and 1 accepted later", tt)
	}
	if len(j.Overrides) != 1 || j.Overrides[0].RecordID != under.ID || j.Overrides[0].By != "petrova" || !j.Overrides[0].Later ||
		j.Overrides[0].Serial != 2 || !j.Overrides[0].At.Equal(testdata.Now()) {
		t.Errorf("overrides %+v, want serial 2 accepted later by petrova", j.Overrides)
	}
	ended, err := db.PendingBatches(ctx, 10)
	if err != nil || len(ended) != 1 || ended[0].Totals.Accepted != 1 || ended[0].Totals.Rejected != 1 || ended[0].Totals.HandedBack != 1 {
		t.Errorf("batch to upload: %+v %v, want the receipt's totals", ended, err)
	}
}

// TestOverrideCountsAsUsedInBatches (MARK-FORMAT §7, §8): a mark of a
// batch overridden to accept counts as used: another envelope with the
// same serial in the same batch, and in the next batch at the counter,
// is REUSED; in the same batch it is a mark presented again, not an
// envelope handed back.
func TestOverrideCountsAsUsedInBatches(t *testing.T) {
	ctx := context.Background()
	s, db := openServiceAt(t, testdata.Now, time.UTC)
	b, err := s.Open(ctx, 1004417, "Иванова")
	if err != nil {
		t.Fatal(err)
	}
	t0 := testdata.Now()
	under := rejectedMark(t, db, 2, 1004417, 1000, t0, mark.ReasonUnderpaid)
	if err := db.OverrideAccept(ctx, under.ID, "petrova", "paid at the counter"); err != nil {
		t.Fatal(err)
	}
	presentAgain(t, db, 2, "EPM1:COPY2", t0.Add(time.Minute))
	st, err := s.Status(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if tt := st.Totals; tt.Accepted != 1 || tt.HandedBack != 0 || tt.PresentedAgain != 1 || tt.RefusedAgain != 1 {
		t.Errorf("totals %+v, want 1 accepted, presented again once, none handed back", tt)
	}
	if _, err := s.Close(ctx, b.ID, "Иванова"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, 1004417, "Иванова"); err != nil {
		t.Fatal(err)
	}
	presentAgain(t, db, 2, "EPM1:COPY2B", t0.Add(2*time.Hour))
}

// TestOverrideBatchListsDifferences: an override in an open batch of a
// mark listed with other data gives the list's differences against the
// verified mark, as for an accepted scan (here CLASS, TARIFF, NOTICE).
func TestOverrideBatchListsDifferences(t *testing.T) {
	ctx := context.Background()
	s, db := openServiceAt(t, testdata.Now, time.UTC)
	b, err := s.Open(ctx, 1004417, "Иванова")
	if err != nil {
		t.Fatal(err)
	}
	under := rejectedMark(t, db, 5, 1004417, 1000, testdata.Now(), mark.ReasonUnderpaid)
	list := fmt.Sprintf(`{"contract":1004417,"items":[{"n":1,"serial":5,"tracking":"%014d","mail_class":3,"weight_g":20,"tariff_kop":2000,"notice":true}]}`,
		issuer.Tracking(426000, 5))
	if _, err := s.Expect(ctx, b.ID, []byte(list), "Иванова"); err != nil {
		t.Fatal(err)
	}
	if err := db.OverrideAccept(ctx, under.ID, "petrova", "ok"); err != nil {
		t.Fatal(err)
	}
	st, err := s.Status(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []batchlist.DiffKind
	for _, d := range st.Diffs {
		kinds = append(kinds, d.Kind)
	}
	if !slices.Equal(kinds, []batchlist.DiffKind{batchlist.DiffClass, batchlist.DiffTariff, batchlist.DiffNotice}) {
		t.Errorf("differences %v, want CLASS TARIFF NOTICE", kinds)
	}
}
