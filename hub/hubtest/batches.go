package hubtest

import (
	"context"
	"testing"
	"time"

	"markd/hub"
	"markd/mark"
)

// testBatches: ended batches are stored once per (terminal, id), and
// ContractDays sums the closed ones of a contract per day and office.
func testBatches(t *testing.T, s hub.Store) {
	day := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	b := func(id string, office uint32, contract uint32, state mark.BatchState, closed time.Time, accepted int) hub.Batch {
		return hub.Batch{ID: id, Office: office, Counter: "1", Operator: "op", Contract: contract, State: state,
			Opened: closed.Add(-time.Hour), Closed: closed, Accepted: accepted, Rejected: 1, PaidKop: int64(accepted) * 10500}
	}
	a1 := b("b1", 101000, 1004417, mark.BatchClosed, day, 500)
	a2 := b("b2", 101000, 1004417, mark.BatchClosed, day.Add(2*time.Hour), 20)
	a3 := b("b3", 101000, 1004417, mark.BatchCancelled, day, 7)
	a4 := b("b4", 101000, 555, mark.BatchClosed, day, 3)
	resp := ingest(t, s, "office-a", hub.UploadRequest{Records: []hub.Record{}, Events: []hub.Event{}, AckAlerts: []int64{},
		Batches: []hub.Batch{a1, a2, a3, a4}})
	if resp.Batches != 4 {
		t.Fatalf("stored %d batches, want 4", resp.Batches)
	}
	again := ingest(t, s, "office-a", hub.UploadRequest{Records: []hub.Record{}, Events: []hub.Event{}, AckAlerts: []int64{},
		Batches: []hub.Batch{a1}})
	if again.Batches != 0 {
		t.Fatalf("a repeated batch was stored again (%d)", again.Batches)
	}
	ingest(t, s, "office-b", hub.UploadRequest{Records: []hub.Record{}, Events: []hub.Event{}, AckAlerts: []int64{},
		Batches: []hub.Batch{b("b1", 102000, 1004417, mark.BatchClosed, day.Add(24*time.Hour), 40)}})
	got, err := s.ContractDays(context.Background(), 1004417, day.Add(-24*time.Hour), day.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := []hub.ContractDay{
		{Day: "2026-11-25", Office: 101000, Batches: 2, Accepted: 520, PaidKop: 520 * 10500, Rejected: 2},
		{Day: "2026-11-26", Office: 102000, Batches: 1, Accepted: 40, PaidKop: 40 * 10500, Rejected: 1},
	}
	if !sameDays(got, want) {
		t.Fatalf("contract days\n%s\nwant\n%s", showDays(got), showDays(want))
	}
}
