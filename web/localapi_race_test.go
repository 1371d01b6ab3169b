package web

import (
	"net/http"
	"sync"
	"testing"

	"markd/batch"
	"markd/mark"
)

// TestScreenAndProgramOnOneBatch: the operator closes the batch on the
// counter screen while the cash-desk program is still sending scans for
// it, and both end it at once. Every scan is either in the batch (200,
// counted in the closed batch's totals) or refused with 409 and not
// recorded; no scan joins it after the close; the two closes are one.
func TestScreenAndProgramOnOneBatch(t *testing.T) {
	e := newAPIEnv(t)
	op := e.client()
	op.login(opName, opPass)
	closeOnScreen := func(id string) int {
		code, _, _ := op.do("POST", "/api/batches/"+id+"/close", nil, map[string]string{"X-CSRF-Token": op.csrf, "Accept": "application/json"})
		return code
	}
	id := e.openBatch(t, 77)
	const n = 40
	type answer struct {
		code int
		res  struct {
			ID, Batch string
			Verdict   mark.Verdict
		}
	}
	answers := make([]answer, n)
	var wg sync.WaitGroup
	// The closes start once the first 10 scans are answered, the other
	// scans still coming.
	const before = 10
	answered := make(chan struct{}, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, res := e.scan(t, uint64(100+i), 77, id, nil)
			answers[i].code = a.code
			answers[i].res.ID, answers[i].res.Batch, answers[i].res.Verdict = res.ID, res.Batch, res.Verdict
			answered <- struct{}{}
		}()
	}
	for range before {
		<-answered
	}
	closes := make([]int, 2)
	wg.Add(2)
	go func() { defer wg.Done(); closes[0] = closeOnScreen(id) }()
	go func() {
		defer wg.Done()
		closes[1] = e.call(t, "POST", "/api/batches/"+id+"/close", "", nil).code
	}()
	wg.Wait()
	if closes[0] != http.StatusOK || closes[1] != http.StatusOK {
		t.Errorf("closes from the screen and the program at once: %v, want both 200", closes)
	}
	inBatch := 0
	for i, a := range answers {
		switch {
		case a.code == http.StatusOK && a.res.Verdict == mark.Accept && a.res.Batch == id:
			inBatch++
		case a.code == http.StatusConflict && a.res.ID == "":
		default:
			t.Errorf("scan %d: %d %+v, want 200 in the batch or 409 not recorded", i, a.code, a.res)
		}
	}
	t.Logf("%d of %d scans in the batch, the rest refused", inBatch, n)
	if inBatch < before {
		t.Errorf("%d scans in the batch, want at least the %d answered before the close", inBatch, before)
	}
	var st batch.StatusJSON
	e.call(t, "GET", "/api/batches/"+id, "", nil).json(t, &st)
	if st.State != mark.BatchClosed || st.Totals.Scans != inBatch || st.Totals.Accepted != inBatch {
		t.Errorf("closed batch: %s, %d scans %d accepted; %d scans were answered in it", st.State, st.Totals.Scans, st.Totals.Accepted, inBatch)
	}
	audit, err := e.db.RecentAudit(t.Context(), 200)
	if err != nil {
		t.Fatal(err)
	}
	ends := 0
	for _, a := range audit {
		if a.Action == "batch_close" && a.Detail == "batch "+id {
			ends++
		}
	}
	if ends != 1 {
		t.Errorf("%d closes in the audit, want 1", ends)
	}
}
