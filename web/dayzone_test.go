package web

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zone named here on any machine

	"markd/mark"
)

// TestDayViewSkippedMidnight: an office in a zone whose clocks jump from
// 00:00 to 01:00 (Havana, 2026-03-08). Asked for the days 07.03–09.03 the
// page once listed 07.03 twice and no 09.03 row, and asked for 08.03 alone
// it counted the last hour of 07.03 and was titled 07.03 (time.Date's
// midnight of a day that has none is an hour of the day before). Each
// day is now a row once, from its first instant, and a scan counts in its
// own day.
func TestDayViewSkippedMidnight(t *testing.T) {
	havana, err := time.LoadLocation("America/Havana")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(o *Options) { o.Location = havana })
	for id, at := range map[string]string{
		"h1": "2026-03-08T04:30:00Z", // 07.03 23:30 CST
		"h2": "2026-03-08T05:30:00Z", // 08.03 01:30 CDT
		"h3": "2026-03-09T04:30:00Z", // 09.03 00:30 CDT
	} {
		ts, err := time.Parse(time.RFC3339, at)
		if err != nil {
			t.Fatal(err)
		}
		e.insert(mark.Record{ID: id, At: ts, Counter: "A", Text: "x" + id, Verdict: mark.NotAMark})
	}
	c := e.client()
	c.login(supName, supPass)
	total := func(n string) string {
		return `id="period-total"><span class="ru">Всего сканов за период:</span><span class="en">Scans in the period:</span> <strong>` + n + `</strong>`
	}
	code, body := c.get("/review/days?from=07.03.2026&to=09.03.2026")
	if code != 200 || !strings.Contains(body, total("3")) {
		t.Fatalf("07.03–09.03: %d, want 200 and 3 scans", code)
	}
	for _, day := range []string{"07.03.2026", "08.03.2026", "09.03.2026"} {
		if n := strings.Count(body, "<th scope=\"row\" class=\"nowrap\">"+day); n != 1 {
			t.Errorf("07.03–09.03: row %s %d times, want once", day, n)
		}
	}
	code, body = c.get("/review/days?from=08.03.2026&to=08.03.2026")
	if code != 200 || !strings.Contains(body, total("1")) || strings.Contains(body, "07.03.2026") {
		t.Fatalf("08.03 alone: %d, want 200, 1 scan and no 07.03", code)
	}
}
