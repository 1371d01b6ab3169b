package pipeline

import (
	"context"
	"slices"
	"testing"
	"time"
	_ "time/tzdata" // the zones named here on any machine

	"markd/internal/testdata"
	"markd/mark"
	"markd/store"
	"markd/store/storetest"
	"markd/verify"
)

// TestDatesInOfficeZone: MARK-FORMAT §2 "dates are calendar days in the
// acceptance office's local time zone". A mark valid until day D is
// accepted until the last instant of D in the office's zone and EXPIRED
// from its midnight on; one issued on D is NOT_YET_VALID until that
// midnight. Zones far east and west of UTC, with a 45-minute offset, with
// DST on its change days, and Russia's from Kaliningrad to Kamchatka; the
// scans carry their instant, the pipeline the zone (no wall clock).
func TestDatesInOfficeZone(t *testing.T) {
	v, err := verify.LoadFiles(testdata.Path(t, "keyring.yaml"), testdata.Path(t, "tariffs.yaml"), "")
	if err != nil {
		t.Fatal(err)
	}
	signer := testdata.Signer(t)
	days := []string{"2026-11-25", "2026-12-31", "2027-02-28"}
	berlinDST := []string{"2026-03-28", "2026-03-29", "2026-10-24", "2026-10-25"} // D or D+1 a change day
	zones := map[string][]string{
		"Asia/Kamchatka": days, "Pacific/Auckland": days, "Pacific/Kiritimati": days, "Pacific/Pago_Pago": days,
		"Asia/Kathmandu": days, "Europe/Berlin": berlinDST, "Europe/Kaliningrad": days, "Europe/Moscow": days,
		"Europe/Samara": days, "Asia/Yekaterinburg": days, "Asia/Omsk": days, "Asia/Novosibirsk": days,
		"Asia/Krasnoyarsk": days, "Asia/Irkutsk": days, "Asia/Yakutsk": days, "Asia/Vladivostok": days,
		"Asia/Magadan": days, "Asia/Srednekolymsk": days, "Asia/Anadyr": days, "America/Havana": {"2026-03-07"}, // midnight skipped on 03-08
	}
	serial := uint64(7_000_000)
	for name, ds := range zones {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		db := storetest.Open(t, store.Options{Now: func() time.Time { return now }})
		p := New(Options{Verifier: verify.NewHolder(v), Store: db, Office: 426000, Counter: "A",
			Location: loc, RescanWindow: 10 * time.Minute})
		for _, ds := range ds {
			d, err := mark.ParseDay(ds)
			if err != nil {
				t.Fatal(err)
			}
			y, m, dd := d.Time().Date()
			next := time.Date(y, m, dd+1, 0, 0, 0, 0, loc) // the first instant of D+1 there
			if next.Format(time.DateOnly) != (d + 1).String() {
				next = next.Add(time.Hour) // midnight skipped (DST): Go names the hour before it
			}
			if got := next.In(loc).Format(time.DateOnly); got != (d + 1).String() {
				t.Fatalf("%s: the day after %s starts on %s", name, d, got)
			}
			last := next.Add(-time.Nanosecond)
			scan := func(issued, until mark.Day, at time.Time) mark.Record {
				serial++
				mk := testdata.ValidMark(serial, issued+1)
				mk.ValidUntil = until
				return p.Process(context.Background(), mark.Scan{Text: signer(mk), Source: "t", At: at})
			}
			check := func(what string, r mark.Record, want mark.Verdict, reason mark.Reason) {
				t.Helper()
				if r.Verdict != want || (reason != "" && !slices.Contains(r.Reasons, reason)) || (reason == "" && len(r.Reasons) > 0) {
					t.Errorf("%s, %s: %s at %s: %s %v, want %s %s", name, ds, what, r.At.In(loc).Format(time.RFC3339Nano), r.Verdict, r.Reasons, want, reason)
				}
			}
			check("valid until D, last instant of D", scan(d-10, d, last), mark.Accept, "")
			check("valid until D, midnight of D+1", scan(d-10, d, next), mark.Reject, mark.ReasonExpired)
			check("issued D+1, last instant of D", scan(d+1, d+30, last), mark.Reject, mark.ReasonNotYetValid)
			check("issued D+1, midnight of D+1", scan(d+1, d+30, next), mark.Accept, "")
		}
	}
}

// TestRescanWindowAcrossMidnightAndDST: the re-scan window is real time
// between the two scans, not wall-clock figures: the same mark again 5
// minutes later across the office's midnight, or across Berlin's clocks
// going back (02:58 CEST, then 02:03 CET) is DUPLICATE_SCAN; 11 minutes
// later across the change (wall clock 02:55 → 02:06 CET) it is REUSED.
func TestRescanWindowAcrossMidnightAndDST(t *testing.T) {
	v, err := verify.LoadFiles(testdata.Path(t, "keyring.yaml"), testdata.Path(t, "tariffs.yaml"), "")
	if err != nil {
		t.Fatal(err)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	signer := testdata.Signer(t)
	db := storetest.Open(t, store.Options{Now: func() time.Time { return now }})
	p := New(Options{Verifier: verify.NewHolder(v), Store: db, Office: 426000, Counter: "A",
		Location: berlin, RescanWindow: 10 * time.Minute})
	tests := []struct {
		name      string
		first     time.Time
		again     time.Duration
		want      mark.Verdict
		wantLocal string // the wall clock of the second scan
	}{
		{"5 min across midnight", time.Date(2026, 11, 25, 23, 58, 0, 0, berlin), 5 * time.Minute, mark.DuplicateScan, "2026-11-26 00:03 CET"},
		{"5 min across the clocks going back", time.Date(2026, 10, 25, 0, 58, 0, 0, time.UTC), 5 * time.Minute, mark.DuplicateScan, "2026-10-25 02:03 CET"},
		{"11 min across the clocks going back", time.Date(2026, 10, 25, 0, 55, 0, 0, time.UTC), 11 * time.Minute, mark.Reject, "2026-10-25 02:06 CET"},
		{"5 min across the clocks going forward", time.Date(2026, 3, 29, 0, 58, 0, 0, time.UTC), 5 * time.Minute, mark.DuplicateScan, "2026-03-29 03:03 CEST"},
	}
	for i, tt := range tests {
		mk := testdata.ValidMark(uint64(7_100_000+i), mark.DayOf(tt.first.In(berlin)))
		text := signer(mk)
		if r := p.Process(context.Background(), mark.Scan{Text: text, Source: "t", At: tt.first}); r.Verdict != mark.Accept {
			t.Fatalf("%s: first scan %s %v", tt.name, r.Verdict, r.Reasons)
		}
		at := tt.first.Add(tt.again)
		if got := at.In(berlin).Format("2006-01-02 15:04 MST"); got != tt.wantLocal {
			t.Fatalf("%s: second scan at %s, want %s", tt.name, got, tt.wantLocal)
		}
		r := p.Process(context.Background(), mark.Scan{Text: text, Source: "t", At: at})
		if r.Verdict != tt.want || (tt.want == mark.Reject && !slices.Contains(r.Reasons, mark.ReasonReused)) {
			t.Errorf("%s: again %v later: %s %v, want %s", tt.name, tt.again, r.Verdict, r.Reasons, tt.want)
		}
	}
}
