package pipeline

import (
	"context"
	"slices"
	"testing"
	"time"
	_ "time/tzdata" // the zones named here on any machine

	"markd/internal/storetest"
	"markd/internal/testdata"
	"markd/mark"
	"markd/store"
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
