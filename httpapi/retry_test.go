package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"markd/batch"
	"markd/mark"
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

// postKeyed posts a scan with an Idempotency-Key to ts.
func postKeyed(t *testing.T, url, key, body string) (int, http.Header, ScanResult) {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/api/scans", strings.NewReader(body))
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, nil, ScanResult{}
	}
	defer resp.Body.Close()
	var res ScanResult
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		t.Errorf("decode: %v", err)
	}
	return resp.StatusCode, resp.Header, res
}

// TestScanRetriedWithKey: a scan sent again with the same Idempotency-Key
// (a cash desk's retry after a timeout, at once or from several tries in
// flight, or after markd restarted) is answered with the first record and
// counted once (without a key the retry is a second scan, DUPLICATE_SCAN
// or a second REJECT in the batch's totals). A scan the store could not
// record is not remembered: its retry is judged. The same key for another
// scan is 409.
func TestScanRetriedWithKey(t *testing.T) {
	e := newBatchEnv(t)
	var st batch.StatusJSON
	if code := e.do(t, "POST", "/api/batches", `{"contract": 77}`, &st); code != http.StatusCreated {
		t.Fatalf("open: %d", code)
	}
	one := scanBody(e.sign(1, 77, 20), 0, st.ID)
	code, _, first := postKeyed(t, e.ts.URL, "kassa-7-0001", one)
	if code != 200 || first.Verdict != mark.Accept || first.ID == "" {
		t.Fatalf("first: %d %+v", code, first)
	}
	code, hdr, again := postKeyed(t, e.ts.URL, "kassa-7-0001", one)
	if code != 200 || again.ID != first.ID || again.Verdict != mark.Accept || hdr.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry: %d %s %s (%q), want the first record %s ACCEPT", code, again.ID, again.Verdict, hdr.Get("Idempotent-Replayed"), first.ID)
	}
	// Several tries of one scan in flight at once.
	two := scanBody(e.sign(2, 77, 20), 0, st.ID)
	ids := make(chan string, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, _, res := postKeyed(t, e.ts.URL, "kassa-7-0002", two)
			if code != 200 || res.Verdict != mark.Accept {
				t.Errorf("try in flight: %d %+v", code, res)
			}
			ids <- res.ID
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		seen[id] = true
	}
	if len(seen) != 1 {
		t.Errorf("8 tries of one key: records %v, want one", seen)
	}
	// A new server on the same store (markd restarted) still knows the key.
	srv2 := New(Options{Store: e.db, Scans: e.srv.opt.Scans, Counter: "A", Batches: e.srv.opt.Batches, Location: time.UTC})
	ts2 := httptest.NewServer(srv2.Handler())
	defer ts2.Close()
	if code, _, res := postKeyed(t, ts2.URL, "kassa-7-0001", one); code != 200 || res.ID != first.ID {
		t.Errorf("retry after a restart: %d %s, want %s", code, res.ID, first.ID)
	}
	// Not recorded, not remembered.
	three := scanBody(e.sign(3, 77, 20), 0, st.ID)
	e.db.FailWrite = func() error { return syscall.ENOSPC }
	if code, hdr, res := postKeyed(t, e.ts.URL, "kassa-7-0003", three); code != http.StatusServiceUnavailable || res.Verdict != mark.Error ||
		hdr.Get("Retry-After") != "5" {
		t.Errorf("store full: %d Retry-After %q %+v, want 503 with Retry-After 5", code, hdr.Get("Retry-After"), res)
	}
	e.db.FailWrite = nil
	if code, _, res := postKeyed(t, e.ts.URL, "kassa-7-0003", three); code != 200 || res.Verdict != mark.Accept || res.ID == "" {
		t.Errorf("retry once the store works: %d %+v", code, res)
	}
	if code, _, res := postKeyed(t, e.ts.URL, "kassa-7-0001", three); code != http.StatusConflict || res.Code != "conflict" || res.Hint == "" || res.ID != "" {
		t.Errorf("the key of another scan: %d %+v, want 409 with a hint", code, res)
	}
	for _, bad := range []string{strings.Repeat("k", 201), "two words", "ключ"} {
		if code, _, res := postKeyed(t, e.ts.URL, bad, three); code != http.StatusBadRequest || res.Error == "" {
			t.Errorf("key %.20q: %d %+v, want 400", bad, code, res)
		}
	}
	e.do(t, "GET", "/api/batches/"+st.ID, "", &st)
	if st.Totals.Scans != 3 || st.Totals.Accepted != 3 {
		t.Errorf("totals %+v, want 3 scans, 3 accepted", st.Totals)
	}
}
