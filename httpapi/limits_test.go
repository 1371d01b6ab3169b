package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"markd/batch"
	"markd/batchlist"
	"markd/issuer"
)

// csvList is a customer's list of n items of class 2 (serials 1..n).
func csvList(n int) string {
	var b strings.Builder
	b.WriteString("n;tracking;mail_class;weight_g;tariff_kop;serial\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "%d;%014d;2;20;50000;%d\n", i, issuer.Tracking(426000, uint64(i)), i)
	}
	return b.String()
}

// TestBodyLimits: a list of 10 000 items is taken whole; a request over
// a limit (a list of more than batchlist.MaxItems items, a body over its
// byte limit) is 413 "too_large" naming the limit (it was a 400 "more
// than N bytes or unreadable", or a 400 at the list's line).
func TestBodyLimits(t *testing.T) {
	e := newBatchEnv(t)
	var st batch.StatusJSON
	if code := e.do(t, "POST", "/api/batches", `{"contract": 77}`, &st); code != http.StatusCreated {
		t.Fatalf("open: %d", code)
	}
	expect := "/api/batches/" + st.ID + "/expect"
	if code := e.do(t, "POST", expect, csvList(10_000), &st); code != http.StatusOK || st.ListItems != 10_000 || len(st.Differences) != 10_000 {
		t.Fatalf("list of 10 000: %d, %d items, %d differences", code, st.ListItems, len(st.Differences))
	}
	tests := []struct {
		name, path, body, limit string
	}{
		{"list of too many items", expect, csvList(batchlist.MaxItems + 1), "100000 items"},
		{"list body", expect, strings.Repeat("x", maxListBody+1), "16777216 bytes"},
		{"scan body", "/api/scans", `{"text": "` + strings.Repeat("x", maxScanBody) + `"}`, "16384 bytes"},
		{"open body", "/api/batches", `{"contract": 77` + strings.Repeat(" ", maxScanBody) + `}`, "16384 bytes"},
	}
	for _, tc := range tests {
		var eb map[string]any
		code := e.do(t, "POST", tc.path, tc.body, &eb)
		if code != http.StatusRequestEntityTooLarge || eb["code"] != "too_large" || !strings.Contains(fmt.Sprint(eb["error"]), tc.limit) || eb["hint"] == nil {
			t.Errorf("%s: %d %v, want 413 too_large naming %s, with a hint", tc.name, code, eb, tc.limit)
		}
	}
	e.do(t, "GET", "/api/batches/"+st.ID, "", &st)
	if st.ListItems != 10_000 {
		t.Errorf("after the refused lists: %d items, want the 10 000 kept", st.ListItems)
	}
}
