package sync

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/internal/testdata"
	"markd/mark"
)

// TestUploadBatches: an ended batch goes to the collector with its
// totals once, is marked uploaded, and shows in the collector's per
// contract per day sums; an open batch does not go.
func TestUploadBatches(t *testing.T) {
	ctx := context.Background()
	col := newCollector(t, "office-a")
	db := openCounter(t)
	office := hubtest.Offices["office-a"]
	u := NewUploader(db, newClient(t, col.srv.URL, "office-a"), UploaderOptions{BatchSize: 10}, nil, nil)
	b, err := db.OpenBatch(ctx, mark.Batch{Office: office, Counter: "1", Operator: "op", Contract: 0})
	if err != nil {
		t.Fatal(err)
	}
	at := testdata.Now()
	for s := uint64(1); s <= 3; s++ {
		rec := &mark.Record{At: at, Office: office, Counter: "1", Source: "t", Text: hubtest.Sign(hubtest.TestMark(s, office)),
			Verdict: mark.Accept}
		m := hubtest.TestMark(s, office)
		rec.Mark = &m
		if err := db.Save(ctx, rec, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := u.Once(ctx, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.PendingBatches(ctx, 10); len(got) != 0 {
		t.Fatalf("an open batch is pending upload: %+v", got)
	}
	if _, err := db.EndBatch(ctx, b.ID, mark.BatchClosed, "op"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := u.Once(ctx, false); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.PendingBatches(ctx, 10); len(got) != 0 {
		t.Fatalf("batch still pending after upload: %+v", got)
	}
	cur, _ := db.GetBatch(ctx, b.ID)
	if cur.Upload != mark.UploadDone {
		t.Fatalf("batch upload state %q", cur.Upload)
	}
	days, err := col.store.ContractDays(ctx, cur.Contract, cur.Closed.Add(-48*time.Hour), cur.Closed.Add(48*time.Hour))
	if err != nil || len(days) != 1 || days[0].Accepted != 3 || days[0].Office != office || days[0].Batches != 1 {
		t.Fatalf("collector contract days %+v %v (contract %d)", days, err, cur.Contract)
	}
}

// TestUploadBatchReceiptCounts: an ended batch goes with its receipt's
// counts (an envelope rejected twice: handed_back 1; a mark accepted and
// presented again: presented_again 1, refused_again 1), which the
// collector keeps; to a collector that does not say it takes them (an
// older one refuses fields it does not know) the batch goes without
// them, taken there with the counts unknown, not set aside. Until the
// first answer of the collector says which, an ended batch waits.
func TestUploadBatchReceiptCounts(t *testing.T) {
	for _, older := range []bool{false, true} {
		name := map[bool]string{false: "collector takes them", true: "older collector"}[older]
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			col := newCollector(t, "office-a")
			url := col.srv.URL
			if older {
				h := col.api.Handler()
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					h.ServeHTTP(withoutHeader{w, hub.HeaderTakes}, r)
				}))
				t.Cleanup(srv.Close)
				url = srv.URL
			}
			db := openCounter(t)
			office := hubtest.Offices["office-a"]
			u := NewUploader(db, newClient(t, url, "office-a"), UploaderOptions{BatchSize: 10}, nil, nil)
			b, err := db.OpenBatch(ctx, mark.Batch{Office: office, Counter: "1", Operator: "op"})
			if err != nil {
				t.Fatal(err)
			}
			at := testdata.Now().Add(-time.Hour)
			save := func(serial uint64, v mark.Verdict, at time.Time) *mark.Record {
				m := hubtest.TestMark(serial, office)
				rec := &mark.Record{At: at, Office: office, Counter: "1", Source: "t", Text: hubtest.Sign(m), Verdict: v, Mark: &m}
				if v == mark.Reject {
					rec.Reasons = []mark.Reason{mark.ReasonUnderpaid}
				}
				if err := db.Save(ctx, rec, time.Minute); err != nil {
					t.Fatal(err)
				}
				return rec
			}
			save(1, mark.Accept, at)
			save(2, mark.Reject, at.Add(time.Minute))
			save(2, mark.Reject, at.Add(5*time.Minute))
			if again := save(1, mark.Accept, at.Add(30*time.Minute)); again.Verdict != mark.Reject {
				t.Fatalf("serial 1 presented again: %s %v, want REJECT REUSED", again.Verdict, again.Reasons)
			}
			if _, err := db.EndBatch(ctx, b.ID, mark.BatchClosed, "op"); err != nil {
				t.Fatal(err)
			}
			if _, _, err := u.Once(ctx, true); err != nil {
				t.Fatal(err)
			}
			if got, _ := db.PendingBatches(ctx, 10); len(got) != 1 {
				t.Fatalf("before the collector's first answer: %d batches pending, want the one to wait", len(got))
			}
			if _, _, err := u.Once(ctx, false); err != nil {
				t.Fatal(err)
			}
			cur, _ := db.GetBatch(ctx, b.ID)
			if cur.Upload != mark.UploadDone {
				t.Fatalf("batch upload state %q after the second upload", cur.Upload)
			}
			days, err := col.store.ContractDays(ctx, cur.Contract, at.Add(-48*time.Hour), at.Add(48*time.Hour))
			if err != nil || len(days) != 1 {
				t.Fatalf("collector contract days %+v %v", days, err)
			}
			d := days[0]
			got := fmt.Sprintf("accepted %d rejected %d handed_back %s presented_again %s refused_again %s",
				d.Accepted, d.Rejected, count(d.HandedBack), count(d.PresentedAgain), count(d.RefusedAgain))
			want := "accepted 1 rejected 3 handed_back 1 presented_again 1 refused_again 1"
			if older {
				want = "accepted 1 rejected 3 handed_back unknown presented_again unknown refused_again unknown"
			}
			if got != want {
				t.Fatalf("collector has %s, want %s", got, want)
			}
		})
	}
}

func count(v *int) string {
	if v == nil {
		return "unknown"
	}
	return fmt.Sprint(*v)
}

// withoutHeader drops one header from the answers of a real collector:
// one that does not say what it takes, as before it did.
type withoutHeader struct {
	http.ResponseWriter
	name string
}

func (w withoutHeader) WriteHeader(code int) {
	w.Header().Del(w.name)
	w.ResponseWriter.WriteHeader(code)
}

func (w withoutHeader) Write(b []byte) (int, error) {
	w.Header().Del(w.name)
	return w.ResponseWriter.Write(b)
}

// TestUploadBatchOverrides: a supervisor's override to accept of a
// batch's rejected mark reaches the collector as every review decision
// does (the record overridden there). Taken while the batch was open, the
// batch goes with it among the accepted (not rejected, not handed back);
// taken after the batch was closed and uploaded, the batch is not sent
// again and its totals at the collector stay those of its receipt.
func TestUploadBatchOverrides(t *testing.T) {
	ctx := context.Background()
	col := newCollector(t, "office-a")
	db := openCounter(t)
	office := hubtest.Offices["office-a"]
	u := NewUploader(db, newClient(t, col.srv.URL, "office-a"), UploaderOptions{BatchSize: 10}, nil, nil)
	at := testdata.Now().Add(-time.Hour)
	save := func(serial uint64, v mark.Verdict) *mark.Record {
		m := hubtest.TestMark(serial, office)
		rec := &mark.Record{At: at, Office: office, Counter: "1", Source: "t", Text: hubtest.Sign(m), Verdict: v, Mark: &m}
		if v == mark.Reject {
			rec.Reasons = []mark.Reason{mark.ReasonUnderpaid}
		}
		if err := db.Save(ctx, rec, time.Minute); err != nil {
			t.Fatal(err)
		}
		return rec
	}
	batchOf := func(serials ...uint64) (mark.Batch, *mark.Record) {
		b, err := db.OpenBatch(ctx, mark.Batch{Office: office, Counter: "1", Operator: "op"})
		if err != nil {
			t.Fatal(err)
		}
		save(serials[0], mark.Accept)
		return b, save(serials[1], mark.Reject)
	}
	upload := func() {
		t.Helper()
		if _, _, err := u.Once(ctx, true); err != nil {
			t.Fatal(err)
		}
	}
	upload() // the collector's first answer: it takes the receipt's counts

	during, rec := batchOf(1, 2)
	if err := db.OverrideAccept(ctx, rec.ID, "boss", "paid at the counter"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EndBatch(ctx, during.ID, mark.BatchClosed, "op"); err != nil {
		t.Fatal(err)
	}
	after, late := batchOf(3, 4)
	if _, err := db.EndBatch(ctx, after.ID, mark.BatchClosed, "op"); err != nil {
		t.Fatal(err)
	}
	upload()
	if err := db.OverrideAccept(ctx, late.ID, "boss", "paid the next day"); err != nil {
		t.Fatal(err)
	}
	upload()
	for _, id := range []string{rec.ID, late.ID} {
		r, err := col.store.Record(ctx, "office-a", id)
		if err != nil || r.Review != mark.ReviewOverridden {
			t.Errorf("collector review state of %s = %q, %v; want overridden", id, r.Review, err)
		}
	}
	if got, _ := db.PendingBatches(ctx, 10); len(got) != 0 {
		t.Errorf("batches pending after the later override: %+v", got)
	}
	cur, _ := db.GetBatch(ctx, during.ID)
	days, err := col.store.ContractDays(ctx, cur.Contract, at.Add(-48*time.Hour), at.Add(48*time.Hour))
	if err != nil || len(days) != 1 {
		t.Fatalf("collector contract days %+v %v", days, err)
	}
	d := days[0]
	got := fmt.Sprintf("batches %d accepted %d rejected %d handed_back %s", d.Batches, d.Accepted, d.Rejected, count(d.HandedBack))
	if want := "batches 2 accepted 3 rejected 1 handed_back 1"; got != want {
		t.Errorf("collector has %s, want %s", got, want)
	}
}
