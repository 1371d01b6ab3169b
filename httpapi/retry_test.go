package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"markd/batch"
	"markd/store"
)

// TestEndBatchRetried: a cash desk that lost the answer to its close (a
// timeout) and sends it again gets 200 and the batch as the first close
// left it: one close in the audit, the same closed_at, the same receipt
// (it was a 409 the program had to tell from a real refusal). Ending it
// the other way is still 409.
func TestEndBatchRetried(t *testing.T) {
	e := newBatchEnv(t)
	ctx := context.Background()
	for _, tc := range []struct{ verb, other string }{{"close", "cancel"}, {"cancel", "close"}} {
		var st batch.StatusJSON
		if code := e.do(t, "POST", "/api/batches", `{"contract": 77}`, &st); code != http.StatusCreated {
			t.Fatalf("open: %d", code)
		}
		id := st.ID
		var first, again batch.StatusJSON
		if code := e.do(t, "POST", "/api/batches/"+id+"/"+tc.verb, "", &first); code != http.StatusOK {
			t.Fatalf("%s: %d", tc.verb, code)
		}
		var pdf []byte
		if tc.verb == "close" {
			_, pdf = e.doRaw(t, "GET", "/api/batches/"+id+"/receipt.pdf", "")
		}
		if code := e.do(t, "POST", "/api/batches/"+id+"/"+tc.verb, "", &again); code != http.StatusOK ||
			again.State != first.State || !again.Closed.Equal(first.Closed) {
			t.Errorf("%s again: %d %s %v, want 200 %s %v", tc.verb, code, again.State, again.Closed, first.State, first.Closed)
		}
		if tc.verb == "close" {
			if _, pdf2 := e.doRaw(t, "GET", "/api/batches/"+id+"/receipt.pdf", ""); string(pdf2) != string(pdf) {
				t.Errorf("the receipt changed with the second close")
			}
		}
		var eb map[string]string
		if code := e.do(t, "POST", "/api/batches/"+id+"/"+tc.other, "", &eb); code != http.StatusConflict || eb["hint"] == "" {
			t.Errorf("%s after %s: %d %v, want 409 with a hint", tc.other, tc.verb, code, eb)
		}
		audit, err := e.db.RecentAudit(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, a := range audit {
			if strings.HasSuffix(a.Detail, id) && (a.Action == store.ActionBatchClose || a.Action == store.ActionBatchCancel) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s twice: %d end lines in the audit, want 1", tc.verb, n)
		}
	}
}
