package hubtest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"markd/hub"
	"markd/mark"
)

// RunOfficeDaysSuite holds a backend to hub.OfficeDays and the summing of
// its groups into days (hub.DayAdder): verdicts, rejections by reason,
// items and tariffs per contract, whole UTC days at their edges, other
// offices left out.
func RunOfficeDaysSuite(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	od, ok := s.(hub.OfficeDays)
	if !ok {
		t.Fatalf("%T does not implement hub.OfficeDays", s)
	}
	ctx := context.Background()
	for _, n := range []string{"office-a", "office-b"} {
		if err := s.AddTerminal(ctx, Terminal(n)); err != nil {
			t.Fatal(err)
		}
	}
	day1 := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	n := 0
	rec := func(at time.Time, v mark.Verdict, serial uint64, edit func(*hub.Record)) hub.Record {
		n++
		r := Rec("od-"+time.Duration(n).String(), 426000, "1", v, serial)
		r.At = at
		if edit != nil {
			edit(&r)
		}
		return r
	}
	contract := func(c uint32, kop uint32) func(*hub.Record) {
		return func(r *hub.Record) { r.Mark.Contract, r.Mark.TariffKop = c, kop }
	}
	recs := []hub.Record{
		rec(day1.Add(-100*time.Millisecond), mark.Accept, 500, nil), // 23:59:59.9 the day before: left out
		rec(day1, mark.Accept, 501, nil),                            // contract 7, 5000 kop
		rec(day1.Add(9*time.Hour), mark.Accept, 502, nil),
		rec(day1.Add(10*time.Hour), mark.Accept, 503, contract(8, 12000)),
		rec(day1.Add(11*time.Hour), mark.Accept, 504, func(r *hub.Record) { r.Verification, r.Why = hub.Unverified, "bad signature" }),
		rec(day1.Add(12*time.Hour), mark.Reject, 505, nil), // UNDERPAID, pending
		rec(day1.Add(13*time.Hour), mark.Reject, 506, func(r *hub.Record) {
			r.Reasons = []mark.Reason{mark.ReasonExpired, mark.ReasonUnderpaid}
		}),
		rec(day1.Add(14*time.Hour), mark.Reject, 507, func(r *hub.Record) { r.Review = mark.ReviewOverridden }), // counts as accepted
		rec(day1.Add(15*time.Hour), mark.NotAMark, 0, nil),
		rec(day1.Add(24*time.Hour+500*time.Millisecond), mark.Accept, 508, contract(8, 3000)), // 00:00:00.5 of day 2
		rec(day1.Add(24*time.Hour+time.Hour), mark.DuplicateScan, 0, nil),
		rec(day1.Add(48*time.Hour), mark.Accept, 509, nil), // the end of the range: left out
	}
	q := hub.UploadRequest{Records: recs}
	if err := q.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Ingest(ctx, "office-a", &q, day1.Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	other := Rec("od-b", 101000, "1", mark.Accept, 600)
	other.At = day1.Add(time.Hour)
	ingest(t, s, "office-b", hub.UploadRequest{Records: []hub.Record{other}})

	var days []hub.OfficeDay
	add := hub.DayAdder{Emit: func(d hub.OfficeDay) error { days = append(days, d); return nil }}
	if err := od.OfficeDays(ctx, 426000, day1, day1.Add(48*time.Hour), add.Add); err != nil {
		t.Fatal(err)
	}
	if err := add.Flush(); err != nil {
		t.Fatal(err)
	}
	want := []hub.OfficeDay{
		{Day: "2026-11-24", Accepted: 5, Overridden: 1, Rejected: 2, Other: 1,
			Reasons:   []hub.ReasonCount{{Reason: mark.ReasonUnderpaid, Count: 2}, {Reason: mark.ReasonExpired, Count: 1}},
			Contracts: []hub.ContractItems{{Contract: 7, Items: 4, PaidKop: 20000, Unverified: 1}, {Contract: 8, Items: 1, PaidKop: 12000}}},
		{Day: "2026-11-25", Accepted: 1, Other: 1, Contracts: []hub.ContractItems{{Contract: 8, Items: 1, PaidKop: 3000}}},
	}
	if !reflect.DeepEqual(days, want) {
		t.Errorf("office days:\n got %+v\nwant %+v", days, want)
	}
	// An office with nothing, and fn's error stops the scan.
	called := false
	if err := od.OfficeDays(ctx, 190000, day1, day1.Add(48*time.Hour), func(hub.OfficeDayGroup) error { called = true; return nil }); err != nil || called {
		t.Errorf("empty office: called %v, %v", called, err)
	}
	stop := errors.New("stop")
	if err := od.OfficeDays(ctx, 426000, day1, day1.Add(48*time.Hour), func(hub.OfficeDayGroup) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("fn error: %v, want it back", err)
	}
}
