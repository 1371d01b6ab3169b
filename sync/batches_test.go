package sync

import (
	"context"
	"testing"
	"time"

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
