package web

import (
	"bytes"
	"encoding/csv"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzReviewQuery: the filter parser never panics, and a filter it accepts
// survives its own encoding (the paging links) unchanged.
func FuzzReviewQuery(f *testing.F) {
	for _, s := range []string{"", "reason=UNDERPAID", "from=2026-11-01&to=2026-11-30&page=2&per=10",
		"contract=1004417&counter=A&operator=%D0%98%D0%B2%D0%B0%D0%BD", "state=overridden", "page=-1", "from=2026-02-30", "per=9999"} {
		f.Add(s)
	}
	s := &Server{opt: Options{Location: time.UTC}}
	f.Fuzz(func(t *testing.T, raw string) {
		req := httptest.NewRequest("GET", "/review", nil)
		req.URL.RawQuery = raw
		q, flt, err := s.parseReviewQuery(req)
		if err != nil {
			return
		}
		req2 := httptest.NewRequest("GET", "/review", nil)
		req2.URL.RawQuery = strings.TrimPrefix(q.PageURL(q.Page), "/review?")
		q2, flt2, err := s.parseReviewQuery(req2)
		if err != nil {
			t.Fatalf("re-parse of %q (from %q): %v", req2.URL.RawQuery, raw, err)
		}
		if q2 != q || flt2 != flt {
			t.Fatalf("round trip changed the filter: %+v -> %+v", flt, flt2)
		}
	})
}

// FuzzCSVSafe: a defused cell never starts with a formula character, and
// CSV quoting brings back exactly the defused text.
func FuzzCSVSafe(f *testing.F) {
	for _, s := range []string{"", "=1+1", "+cmd", "-2", "@SUM(A1)", "\t=x", "plain, \"quoted\"\nline", "EPM1:ABC"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cell string) {
		safe := csvSafe(cell)
		if safe != "" && strings.ContainsRune("=+-@\t\r", rune(safe[0])) {
			t.Fatalf("csvSafe(%q) = %q still starts with a formula character", cell, safe)
		}
		if safe != cell && safe != "'"+cell {
			t.Fatalf("csvSafe(%q) = %q changed more than a leading quote", cell, safe)
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		_ = w.Write([]string{safe, "x"})
		w.Flush()
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil || len(rows) != 1 || len(rows[0]) != 2 {
			t.Fatalf("cell %q: %v %v", safe, rows, err)
		}
		// (encoding/csv turns \r\n inside a quoted field into \n on reading.)
		if !strings.ContainsRune(safe, '\r') && rows[0][0] != safe {
			t.Fatalf("cell %q came back as %q", safe, rows[0][0])
		}
	})
}
