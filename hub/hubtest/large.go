package hubtest

import (
	"fmt"
	"testing"

	"markd/hub"
	"markd/mark"
)

// batch is n accepted records of office's terminal with ids prefix-i and
// serials from, from+1, ….
func batch(prefix string, office uint32, from uint64, n int) []hub.Record {
	recs := make([]hub.Record, n)
	for i := range recs {
		recs[i] = Rec(fmt.Sprintf("%s-%03d", prefix, i), office, "1", mark.Accept, from+uint64(i))
	}
	return recs
}

// testLargeBatches: batches the size counters send when they drain a
// backlog (which a store may insert optimistically, all rows new) behave
// as small ones when they are not all new: a repeat after a lost answer
// mixed with new records, a serial another terminal used, a serial used
// twice in the batch.
func testLargeBatches(t *testing.T, s hub.Store) {
	a := batch("a", 426000, 1000, 100)
	if r := ingest(t, s, "office-a", hub.UploadRequest{Records: a}); r.Stored != 100 || r.Duplicates != 0 || len(r.Alerts) != 0 {
		t.Fatalf("first batch: %+v", r)
	}
	// The answer was lost: half of it again with 60 new records.
	again := append(append([]hub.Record{}, a[:50]...), batch("a2", 426000, 1100, 60)...)
	if r := ingest(t, s, "office-a", hub.UploadRequest{Records: again}); r.Stored != 60 || r.Duplicates != 50 || len(r.Alerts) != 0 {
		t.Fatalf("repeat with new records: %+v", r)
	}
	// Another office accepts serial 1005 among 100 new ones.
	b := batch("b", 101000, 2000, 100)
	b[40] = Rec("b-reuse", 101000, "1", mark.Accept, 1005)
	r := ingest(t, s, "office-b", hub.UploadRequest{Records: b})
	if r.Stored != 100 || len(r.Alerts) != 1 || r.Alerts[0].RecordID != "b-reuse" || r.Alerts[0].Other.RecordID != "a-005" {
		t.Fatalf("batch reusing a serial: %+v", r)
	}
	// One serial twice in a batch of 100.
	c := batch("c", 190000, 3000, 100)
	c[99] = Rec("c-twice", 190000, "1", mark.Accept, 3000)
	if r := ingest(t, s, "office-c", hub.UploadRequest{Records: c}); r.Stored != 100 || len(r.Alerts) != 2 {
		t.Fatalf("batch with a serial twice: %+v", r)
	}
	// Serials: a's 160, b's 99 new, c's 99 distinct.
	if st := stats(t, s); st.Records != 360 || st.UsedSerials != 160+99+99 || st.Alerts != 4 {
		t.Fatalf("stats = %+v", st)
	}
}
