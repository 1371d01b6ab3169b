package web

import (
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"markd/mark"
)

// countedBatch is a closed batch of the cash-desk program in which the
// counts of scans and of envelopes differ: marks 1 and 2 accepted, mark
// 3 of another contract scanned twice (one envelope handed back), and
// mark 1 presented twice more after the re-scan window (refused REUSED:
// the same envelope again, or a copy). It returns the batch id.
func countedBatch(t *testing.T, e *apiEnv) string {
	t.Helper()
	id := e.openBatch(t, 1004417)
	for _, sc := range []struct {
		serial   uint64
		contract uint32
		want     mark.Verdict
		after    time.Duration
	}{
		{1, 1004417, mark.Accept, 0}, {2, 1004417, mark.Accept, 0},
		{3, 777, mark.Reject, 0}, {3, 777, mark.Reject, time.Minute},
		{1, 1004417, mark.Reject, 11 * time.Minute}, {1, 1004417, mark.Reject, 11 * time.Minute},
	} {
		e.clock.Add(sc.after)
		a, res := e.scan(t, sc.serial, sc.contract, id, nil)
		if a.code != http.StatusOK || res.Verdict != sc.want {
			t.Fatalf("scan of %d: %d %s %v, want %s", sc.serial, a.code, res.Verdict, res.Reasons, sc.want)
		}
		if sc.serial == 1 && sc.want == mark.Reject && !slices.Contains(res.Reasons, mark.ReasonReused) {
			t.Fatalf("mark 1 again: %v, want REUSED", res.Reasons)
		}
	}
	if a := e.call(t, "POST", "/api/batches/"+id+"/close", "", nil); a.code != http.StatusOK {
		t.Fatalf("close: %d %s", a.code, a.body)
	}
	return id
}

// TestBatchCountsAgree: the local API's batch status and the batch CSV
// give the receipt's counts under their own names — the envelopes handed
// back (handed_back: the receipt's "Не принято"), the marks accepted and
// presented again and their refusals (presented_again, refused_again: its
// "Предъявлены повторно") — beside the rejected scans (rejected), so no
// two of them contradict each other.
func TestBatchCountsAgree(t *testing.T) {
	e := newAPIEnv(t)
	id := countedBatch(t, e)
	a := e.call(t, "GET", "/api/batches/"+id, "", nil)
	var st struct {
		Totals map[string]any `json:"totals"`
	}
	a.json(t, &st)
	want := map[string]int{"accepted": 2, "rejected": 4, "handed_back": 1, "presented_again": 1, "refused_again": 2}
	for k, w := range want {
		if st.Totals[k] != float64(w) {
			t.Errorf("API totals %s = %v, want %d (all: %v)", k, st.Totals[k], w, st.Totals)
		}
	}
	sup := e.client()
	sup.login(supName, supPass)
	code, body := sup.get("/review/batches/export.csv")
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if code != http.StatusOK || err != nil || len(rows) != 2 {
		t.Fatalf("CSV: %d %v\n%s", code, err, body)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for k, w := range want {
		i, ok := col[k]
		if !ok {
			t.Errorf("CSV has no column %s: %v", k, rows[0])
			continue
		}
		if rows[1][i] != strconv.Itoa(w) {
			t.Errorf("CSV %s = %s, want %d", k, rows[1][i], w)
		}
	}
}
