package sync

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	gosync "sync/atomic"
	"testing"
	"time"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/internal/testdata"
	"markd/mark"
)

// olderCollector answers as a markhub from before the receipt counts
// while rolledBack is set: no X-Markhub-Takes header, and a batch with
// the receipt's counts refused with 400 as that version's strict
// decoding refuses an unknown field. Otherwise it is the real collector.
// counted: requests with the counts the collector passed on.
func olderCollector(t *testing.T, col *collector, rolledBack *gosync.Bool, counted *gosync.Int32) string {
	t.Helper()
	h := col.api.Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		withCounts := bytes.Contains(body, []byte(`"handed_back"`))
		if !rolledBack.Load() {
			if withCounts {
				counted.Add(1)
			}
			h.ServeHTTP(w, r)
			return
		}
		if withCounts {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"code":"invalid","error":"unknown field \"handed_back\"","field":"batches[0]"}`))
			return
		}
		h.ServeHTTP(withoutHeader{w, hub.HeaderTakes}, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestBatchAfterCollectorRolledBack: the counter learnt from an answer
// that the collector takes a batch's receipt counts; the collector is
// then rolled back to a version that does not. The batch ended after
// that is refused once (400 on batches[0]) and goes again without the
// counts, taken there with the counts unknown; it is not set aside.
// Once an answer of the collector names them again, the next batch goes
// with its counts.
func TestBatchAfterCollectorRolledBack(t *testing.T) {
	ctx := context.Background()
	col := newCollector(t, "office-a")
	var rolledBack gosync.Bool
	var counted gosync.Int32
	url := olderCollector(t, col, &rolledBack, &counted)
	db := openCounter(t)
	office := hubtest.Offices["office-a"]
	u := NewUploader(db, newClient(t, url, "office-a"), UploaderOptions{BatchSize: 10}, nil, nil)
	at := testdata.Now().Add(-time.Hour)
	if _, _, err := u.Once(ctx, true); err != nil { // learns that the collector takes the counts
		t.Fatal(err)
	}
	endBatch := func(serial uint64, at time.Time) string {
		t.Helper()
		b, err := db.OpenBatch(ctx, mark.Batch{Office: office, Counter: "1", Operator: "op"})
		if err != nil {
			t.Fatal(err)
		}
		m := hubtest.TestMark(serial, office)
		rec := &mark.Record{At: at, Office: office, Counter: "1", Source: "t", Text: hubtest.Sign(m), Verdict: mark.Accept, Mark: &m}
		if err := db.Save(ctx, rec, time.Minute); err != nil {
			t.Fatal(err)
		}
		if _, err := db.EndBatch(ctx, b.ID, mark.BatchClosed, "op"); err != nil {
			t.Fatal(err)
		}
		return b.ID
	}
	rolledBack.Store(true)
	first := endBatch(1, at)
	for i := 0; i < 3; i++ {
		if _, _, err := u.Once(ctx, true); err != nil {
			t.Fatalf("upload %d to the rolled back collector: %v", i, err)
		}
	}
	if b, _ := db.GetBatch(ctx, first); b.Upload != mark.UploadDone {
		t.Fatalf("batch ended while the collector was rolled back: upload state %q, want %q", b.Upload, mark.UploadDone)
	}
	rolledBack.Store(false)
	if _, _, err := u.Once(ctx, true); err != nil { // a heartbeat: learns the counts are taken again
		t.Fatal(err)
	}
	second := endBatch(2, at.Add(-24*time.Hour))
	for i := 0; i < 2; i++ {
		if _, _, err := u.Once(ctx, true); err != nil {
			t.Fatalf("upload %d to the collector rolled forward: %v", i, err)
		}
	}
	if b, _ := db.GetBatch(ctx, second); b.Upload != mark.UploadDone {
		t.Fatalf("batch ended after the roll forward: upload state %q", b.Upload)
	}
	if n := counted.Load(); n != 1 {
		t.Fatalf("%d requests with the receipt counts to the collector rolled forward, want the second batch's one", n)
	}
	b, _ := db.GetBatch(ctx, first)
	days, err := col.store.ContractDays(ctx, b.Contract, at.Add(-72*time.Hour), at.Add(72*time.Hour))
	if err != nil || len(days) != 1 || days[0].Batches != 2 || days[0].HandedBack != nil {
		t.Fatalf("collector contract days %+v %v, want both batches, the counts unknown (one went without)", days, err)
	}
}
