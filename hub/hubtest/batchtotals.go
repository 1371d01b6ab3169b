package hubtest

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"markd/hub"
)

// RunBatchTotalsSuite: a batch uploaded with the receipt's totals
// (handed_back, presented_again, refused_again) is kept with them; one
// from an older counter without them is taken and its totals are unknown,
// and so is a day that has such a batch; totals that cannot be a batch's
// (more envelopes handed back than rejected scans, more marks presented
// again than accepted, …) are 400 naming the field. Over the real HTTP
// API and the backend's store.
func RunBatchTotalsSuite(t *testing.T, open Opener) {
	s := openWithTerminals(t, open, "office-a")
	ctx := context.Background()
	day := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	// The collector's clock is after the last batch's closing (day + 25 h):
	// a batch closed after it is refused as stamped ahead.
	api := hub.NewServer(s, hub.ServerOptions{Registry: prometheus.NewRegistry(), Now: func() time.Time { return day.Add(48 * time.Hour) }})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	post := func(body string) (int, hub.ErrorResponse, []byte) {
		code, _, raw := postUpload(t, srv.URL, "office-a", []byte(body))
		return code, refusalOf(t, code, raw), raw
	}
	// batch is the JSON of one batch as a counter sends it: the totals
	// given in extra after the older ones.
	batch := func(id string, closed time.Time, accepted, rejected int, extra string) string {
		return fmt.Sprintf(`{"id":%q,"office":%d,"counter":"1","operator":"op","contract":1004417,"state":"closed",`+
			`"opened_at":%q,"closed_at":%q,"accepted":%d,"rejected":%d,"paid_kop":%d%s}`,
			id, Offices["office-a"], closed.Add(-time.Hour).Format(time.RFC3339), closed.Format(time.RFC3339),
			accepted, rejected, accepted*10500, extra)
	}
	upload := func(bs ...string) string { return `{"records":[],"batches":[` + strings.Join(bs, ",") + `]}` }

	// Day 1: two batches with the receipt's totals. Day 2: one with them
	// and one from an older counter.
	for _, b := range []string{
		batch("b1", day, 500, 4, `,"handed_back":1,"presented_again":1,"refused_again":2`),
		batch("b2", day.Add(time.Hour), 20, 3, `,"handed_back":2,"presented_again":0,"refused_again":0`),
		batch("b3", day.Add(24*time.Hour), 40, 1, `,"handed_back":1,"presented_again":0,"refused_again":0`),
		batch("b4", day.Add(25*time.Hour), 7, 2, ``),
	} {
		if code, e, raw := post(upload(b)); code != 200 {
			t.Fatalf("upload %s: %d %s %s", b, code, e.Field, raw)
		}
	}

	bad := []struct {
		name, extra string
		accepted    int
		rejected    int
		field       string
	}{
		{"more envelopes handed back than rejected scans", `,"handed_back":5,"presented_again":0,"refused_again":0`, 10, 4, "batches[0].handed_back"},
		{"refusals and envelopes beyond the rejected scans", `,"handed_back":3,"presented_again":1,"refused_again":2`, 10, 4, "batches[0].refused_again"},
		{"more marks presented again than accepted", `,"handed_back":0,"presented_again":3,"refused_again":4`, 2, 4, "batches[0].presented_again"},
		{"more marks presented again than refusals", `,"handed_back":0,"presented_again":2,"refused_again":1`, 10, 4, "batches[0].presented_again"},
		{"refusals of no mark presented again", `,"handed_back":0,"presented_again":0,"refused_again":1`, 10, 4, "batches[0].presented_again"},
		{"negative", `,"handed_back":-1,"presented_again":0,"refused_again":0`, 10, 4, "batches[0].handed_back"},
		{"one of the three missing", `,"handed_back":1,"presented_again":0`, 10, 4, "batches[0].refused_again"},
		{"null", `,"handed_back":null,"presented_again":0,"refused_again":0`, 10, 4, "batches[0].handed_back"},
	}
	for i, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			code, e, raw := post(upload(batch(fmt.Sprintf("bad-%d", i), day, tt.accepted, tt.rejected, tt.extra)))
			if code != 400 || e.Field != tt.field {
				t.Fatalf("%d on %q, want 400 on %s: %s", code, e.Field, tt.field, raw)
			}
		})
	}
	// A repeat with other totals changes nothing: the first is kept.
	if code, _, raw := post(upload(batch("b4", day.Add(25*time.Hour), 7, 2, `,"handed_back":2,"presented_again":0,"refused_again":0`))); code != 200 {
		t.Fatalf("repeat of b4: %d %s", code, raw)
	}

	got, err := s.ContractDays(ctx, 1004417, day.Add(-24*time.Hour), day.Add(72*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	n := func(v int) *int { return &v }
	want := []hub.ContractDay{
		{Day: "2026-11-25", Office: 426000, Batches: 2, Accepted: 520, PaidKop: 520 * 10500, Rejected: 7,
			HandedBack: n(3), PresentedAgain: n(1), RefusedAgain: n(2)},
		{Day: "2026-11-26", Office: 426000, Batches: 2, Accepted: 47, PaidKop: 47 * 10500, Rejected: 3},
	}
	if !sameDays(got, want) {
		t.Fatalf("contract days\n%s\nwant\n%s", showDays(got), showDays(want))
	}
}

// sameDays compares contract days, their receipt counts by value.
func sameDays(a, b []hub.ContractDay) bool {
	return showDays(a) == showDays(b)
}

// showDays prints contract days with their receipt counts, "unknown" for nil.
func showDays(ds []hub.ContractDay) string {
	var b bytes.Buffer
	count := func(v *int) string {
		if v == nil {
			return "unknown"
		}
		return fmt.Sprint(*v)
	}
	for _, d := range ds {
		fmt.Fprintf(&b, "%s %06d batches %d accepted %d paid %d rejected %d handed_back %s presented_again %s refused_again %s\n",
			d.Day, d.Office, d.Batches, d.Accepted, d.PaidKop, d.Rejected, count(d.HandedBack), count(d.PresentedAgain), count(d.RefusedAgain))
	}
	return b.String()
}

// CheckBatchBefore053 checks that a batch stored before migration 053
// (the backend's batchBefore053: b0 of office 426000, contract 1004417,
// closed 2026-11-25, 20 accepted, 3 rejected scans) is shown with its
// receipt counts unknown, not 0.
func CheckBatchBefore053(t *testing.T, s hub.Store) {
	t.Helper()
	day := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	got, err := s.ContractDays(context.Background(), 1004417, day, day.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := []hub.ContractDay{{Day: "2026-11-25", Office: 426000, Batches: 1, Accepted: 20, PaidKop: 210000, Rejected: 3}}
	if !sameDays(got, want) {
		t.Fatalf("a batch stored before migration 053:\n%s\nwant\n%s", showDays(got), showDays(want))
	}
}
