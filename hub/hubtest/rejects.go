package hubtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"markd/hub"
	"markd/mark"
)

// RunRejectRankingSuite holds a backend to hub.RejectRanker: the rollup is
// kept by uploads (a repeat adds nothing), an override counts once, and
// the ranking orders offices by reject share with their top reasons,
// within a region, a day range and a minimum of judged marks.
func RunRejectRankingSuite(t *testing.T, open Opener) {
	s := open(t)
	defer s.Close()
	rk, ok := s.(hub.RejectRanker)
	if !ok {
		t.Fatalf("%T does not implement hub.RejectRanker", s)
	}
	ctx := context.Background()
	for _, tm := range []hub.Terminal{{Name: "a", Office: 426000}, {Name: "b", Office: 426001}, {Name: "c", Office: 101000}} {
		tm.Created = t0
		if err := s.AddTerminal(ctx, tm); err != nil {
			t.Fatal(err)
		}
	}
	day1, day2 := t0, t0.Add(24*time.Hour) // 2026-11-24 09:00, 2026-11-25 09:00
	n := 0
	rec := func(office uint32, v mark.Verdict, at time.Time, why ...mark.Reason) hub.Record {
		n++
		serial := uint64(0)
		if v == mark.Accept {
			serial = uint64(5000 + n)
		}
		r := Rec(fmt.Sprintf("r%03d", n), office, "1", v, serial)
		r.At = at
		if len(why) > 0 {
			r.Reasons = why
		}
		return r
	}
	var a, b, c []hub.Record
	for range 3 {
		a = append(a, rec(426000, mark.Accept, day1))
	}
	a = append(a, rec(426000, mark.Reject, day1, mark.ReasonUnderpaid, mark.ReasonExpired),
		rec(426000, mark.Reject, day2.Add(14*time.Hour+59*time.Minute), mark.ReasonUnderpaid), // 23:59 of day 2
		rec(426000, mark.NotAMark, day1))
	b = append(b, rec(426001, mark.Accept, day1))
	for range 3 {
		b = append(b, rec(426001, mark.Reject, day1.Add(-9*time.Hour), mark.ReasonExpired)) // 00:00:00 of day 1
	}
	for range 10 {
		c = append(c, rec(101000, mark.Accept, day1))
	}
	c = append(c, rec(101000, mark.Reject, day1, mark.ReasonRevoked))
	ingest(t, s, "a", hub.UploadRequest{Records: a})
	ingest(t, s, "a", hub.UploadRequest{Records: a[:4]}) // a repeat adds nothing
	ingest(t, s, "b", hub.UploadRequest{Records: b})
	ingest(t, s, "c", hub.UploadRequest{Records: c})
	over := hub.Event{ID: 1, RecordID: a[4].ID, Action: hub.ActionOverride, Actor: "sup", At: day2}
	ingest(t, s, "a", hub.UploadRequest{Events: []hub.Event{over}})
	over.ID = 2 // a second override of the same record counts once
	ingest(t, s, "a", hub.UploadRequest{Events: []hub.Event{over}})

	rank := func(prefix string, from, to time.Time, min int64) []hub.OfficeRejects {
		t.Helper()
		o, err := hub.ParseOfficePrefix(prefix)
		if err != nil {
			t.Fatal(err)
		}
		got, err := rk.RejectRanking(ctx, hub.RejectQuery{Offices: o, From: from, To: to, MinJudged: min, Limit: 10, TopReasons: 2})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	d1 := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	got := rank("", d1, d1.AddDate(0, 0, 2), 0)
	want := []hub.OfficeRejects{
		{Office: 426001, OfficeDayCounts: hub.OfficeDayCounts{Accepted: 1, Rejected: 3}, Reasons: []hub.ReasonCount{{Reason: mark.ReasonExpired, Count: 3}}},
		{Office: 426000, OfficeDayCounts: hub.OfficeDayCounts{Accepted: 3, Rejected: 2, Overridden: 1, Other: 1},
			Reasons: []hub.ReasonCount{{Reason: mark.ReasonUnderpaid, Count: 2}, {Reason: mark.ReasonExpired, Count: 1}}},
		{Office: 101000, OfficeDayCounts: hub.OfficeDayCounts{Accepted: 10, Rejected: 1}, Reasons: []hub.ReasonCount{{Reason: mark.ReasonRevoked, Count: 1}}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ranking:\n got %+v\nwant %+v", got, want)
	}
	if len(got) > 0 && got[0].Share() != 0.75 {
		t.Errorf("share of 426001: %v, want 0.75", got[0].Share())
	}
	for _, tt := range []struct {
		what, prefix string
		from, to     time.Time
		min          int64
		want         []uint32
	}{
		{"region 426", "426", d1, d1.AddDate(0, 0, 2), 0, []uint32{426001, 426000}},
		{"at least 5 judged", "", d1, d1.AddDate(0, 0, 2), 5, []uint32{426000, 101000}},
		{"day 2 only (23:59)", "", d1.AddDate(0, 0, 1), d1.AddDate(0, 0, 2), 0, []uint32{426000}},
		{"day 1 only (00:00)", "4260", d1, d1.AddDate(0, 0, 1), 0, []uint32{426001, 426000}},
		{"before", "", d1.AddDate(0, 0, -3), d1, 0, nil},
	} {
		var offices []uint32
		for _, o := range rank(tt.prefix, tt.from, tt.to, tt.min) {
			offices = append(offices, o.Office)
		}
		if fmt.Sprint(offices) != fmt.Sprint(tt.want) {
			t.Errorf("%s: %v, want %v", tt.what, offices, tt.want)
		}
	}
}

// CheckRejectBackfill checks the rollup a migration filled from the
// records of the first schema's tests: on 2026-11-24 region 426 has one
// ACCEPT and one REJECT (EXPIRED, UNDERPAID; overridden) scanned at
// 23:59:59.5.
func CheckRejectBackfill(t *testing.T, rk hub.RejectRanker) {
	t.Helper()
	d := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	region, _ := hub.ParseOfficePrefix("426")
	got, err := rk.RejectRanking(context.Background(), hub.RejectQuery{Offices: region, From: d, To: d.AddDate(0, 0, 1), Limit: 10, TopReasons: 5})
	want := []hub.OfficeRejects{{Office: 426000, OfficeDayCounts: hub.OfficeDayCounts{Accepted: 1, Rejected: 1, Overridden: 1},
		Reasons: []hub.ReasonCount{{Reason: mark.ReasonExpired, Count: 1}, {Reason: mark.ReasonUnderpaid, Count: 1}}}}
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rollup filled by the migration: %+v %v, want %+v", got, err, want)
	}
}
