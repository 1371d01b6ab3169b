package httpapi

import (
	"bytes"
	"context"
	"encoding/json"

	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"markd/batch"
	"markd/internal/testdata"
	"markd/issuer"
	"markd/mark"
	"markd/pipeline"
	"markd/store"
	"markd/verify"
)

type batchEnv struct {
	ts   *httptest.Server
	srv  *Server
	db   *store.DB
	sign func(serial uint64, contract uint32, weight uint16) string
}

func newBatchEnv(t testing.TB) *batchEnv {
	t.Helper()
	signer := testdata.Signer(t)
	log := slog.New(slog.DiscardHandler)
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "markd.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	h := verify.NewHolder(testdata.Verifier(t))
	pipe := pipeline.New(pipeline.Options{Verifier: h, Store: db, Office: 426000, Counter: "A", Location: time.UTC,
		RescanWindow: 10 * time.Minute, Now: testdata.Now, Log: log})
	srv := New(Options{Store: db, Feed: pipe, Versions: h.Versions, StoreErr: pipe.StoreErr, Location: time.UTC, Log: log,
		Scans: pipe, Counter: "A", Batches: batch.New(batch.Options{Store: db, Office: 426000, Counter: "A", Location: time.UTC, Log: log})})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	day := testdata.Today(nil)
	sign := func(serial uint64, contract uint32, weight uint16) string {
		m := testdata.ValidMark(serial, day)
		m.Contract, m.WeightG, m.TariffKop = contract, weight, 50000
		return signer(m)
	}
	return &batchEnv{ts: ts, srv: srv, db: db, sign: sign}
}

// doRaw sends a request and returns the status and the body.
func (e *batchEnv) doRaw(t testing.TB, method, path, body string) (int, []byte) {
	t.Helper()
	return request(t, e.ts, method, path, body)
}

// request sends a request to ts and returns the status and the body.
func request(t testing.TB, ts *httptest.Server, method, path, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// do sends a request and decodes a JSON answer into v (when not nil).
func (e *batchEnv) do(t *testing.T, method, path, body string, v any) int {
	t.Helper()
	code, b := e.doRaw(t, method, path, body)
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s %s: %d %q: %v", method, path, code, b, err)
		}
	}
	return code
}

func scanBody(text string, weight int, batchID string) string {
	b, _ := json.Marshal(ScanRequest{Text: text, WeightG: weight, Batch: batchID})
	return string(b)
}

func TestBatchAPI(t *testing.T) {
	e := newBatchEnv(t)
	var st batch.StatusJSON
	if code := e.do(t, "GET", "/api/batches/current", "", nil); code != http.StatusNotFound {
		t.Fatalf("current without a batch: %d, want 404", code)
	}
	if code := e.do(t, "POST", "/api/batches", `{"contract": 77}`, &st); code != http.StatusCreated || st.Contract != 77 || st.State != mark.BatchOpen {
		t.Fatalf("open: %d %+v", code, st)
	}
	id := st.ID
	var errBody map[string]string
	if code := e.do(t, "POST", "/api/batches", ``, &errBody); code != http.StatusConflict || errBody["error"] == "" || errBody["hint"] == "" {
		t.Fatalf("second open: %d %v, want 409 with error and hint", code, errBody)
	}
	// 10 items of contract 77; serial 5 weighs more on the scale than paid.
	for i := uint64(1); i <= 10; i++ {
		var res ScanResult
		weight := 0
		if i == 5 {
			weight = 40
		}
		code := e.do(t, "POST", "/api/scans", scanBody(e.sign(i, 77, 20), weight, id), &res)
		want := mark.Accept
		if i == 5 {
			want = mark.Reject
		}
		if code != http.StatusOK || res.Verdict != want || res.Batch != id || res.ID == "" {
			t.Fatalf("scan %d: %d %s batch %q (%s)", i, code, res.Verdict, res.Batch, res.Error)
		}
	}
	var res ScanResult
	if code := e.do(t, "POST", "/api/scans", scanBody(e.sign(100, 555, 20), 0, ""), &res); code != 200 || res.Verdict != mark.Reject ||
		len(res.Reasons) != 1 || res.Reasons[0] != mark.ReasonOtherContract || res.Batch != id {
		t.Fatalf("other contract: %d %+v", code, res.Record)
	}
	res = ScanResult{}
	if code := e.do(t, "POST", "/api/scans", scanBody(e.sign(101, 77, 20), 0, "some-other-batch"), &res); code != http.StatusConflict ||
		res.Verdict != mark.Error || res.ID != "" || res.Error == "" {
		t.Fatalf("scan for another batch: %d %+v", code, res)
	}
	for _, bad := range []string{`{}`, `{"text": "x", "weight_g": -1}`, `{"text": "x", "extra": 1}`, `not json`,
		`{"text": "xy", "length": 2}`, `{"text": "xy", "length": -5}`} {
		var eb map[string]string
		if code := e.do(t, "POST", "/api/scans", bad, &eb); code != http.StatusBadRequest || eb["error"] == "" {
			t.Errorf("body %s: %d %v, want 400 with error", bad, code, eb)
		}
	}

	// The list: items 1..9 and 11..13 (10 scanned but not listed, 11..13 listed but not scanned), 2 listed 30 g.
	var csv bytes.Buffer
	csv.WriteString("n;tracking;mail_class;weight_g;tariff_kop;serial\n")
	for _, i := range []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13} {
		w := 20
		if i == 2 {
			w = 30
		}
		fmt.Fprintf(&csv, "%d;%014d;2;%d;50000;%d\n", i, issuer.Tracking(426000, i), w, i)
	}
	if code := e.do(t, "POST", "/api/batches/"+id+"/expect", csv.String(), &st); code != 200 || st.ListItems != 12 {
		t.Fatalf("expect: %d %+v", code, st)
	}
	kinds := map[string]int{}
	for _, d := range st.Differences {
		kinds[string(d.Kind)]++
	}
	// 5 was rejected (OVERWEIGHT on the scale) but scanned: not MISSING
	// like 11..13 (BATCH-LIST.md: "on the list, not scanned in the batch"),
	// and its mark is what the list says.
	if kinds["MISSING"] != 3 || kinds["EXTRA"] != 1 || kinds["WEIGHT"] != 1 || len(st.Differences) != 5 {
		t.Errorf("differences %v (%+v)", kinds, st.Differences)
	}
	// ?rows=N: the first N of them (the operator's panel), all counted.
	var first batch.StatusJSON
	if code := e.do(t, "GET", "/api/batches/current?rows=2", "", &first); code != 200 || first.DiffsTotal != 5 ||
		len(first.Differences) != 2 || !reflect.DeepEqual(first.Differences, st.Differences[:2]) {
		t.Errorf("rows=2: %d, %d of %d differences %+v, want the first 2 of 5", code, len(first.Differences), first.DiffsTotal, first.Differences)
	}
	if code := e.do(t, "GET", "/api/batches/current?rows=many", "", nil); code != http.StatusBadRequest {
		t.Errorf("rows=many: %d, want 400", code)
	}
	var le ListError
	if code := e.do(t, "POST", "/api/batches/"+id+"/expect", "n;tracking;mail_class;weight_g;tariff_kop\n1;42600000000015;9;20;100\n", &le); code != 400 ||
		le.Line != 2 || le.Column == 0 || le.Field == "" {
		t.Fatalf("bad list: %d %+v", code, le)
	}
	e.do(t, "GET", "/api/batches/"+id, "", &st)
	if st.ListItems != 12 || st.Totals.Accepted != 9 || st.Totals.Rejected != 2 || st.Totals.PaidKop != 9*50000 || st.Paid != "4\u00a0500,00 ₽" {
		t.Fatalf("after a refused list: %+v", st)
	}
	// The close takes ?rows= too (the panel's close asks for the 500 it
	// draws); one that is wrong is refused before the batch is touched:
	// until 2026-12-04 the batch was closed, then the answer was 400.
	for _, q := range []string{"many", "-1"} {
		if code := e.do(t, "POST", "/api/batches/"+id+"/close?rows="+q, "", nil); code != http.StatusBadRequest {
			t.Errorf("close?rows=%s: %d, want 400", q, code)
		}
		if e.do(t, "GET", "/api/batches/"+id, "", &st); st.State != mark.BatchOpen {
			t.Fatalf("after close?rows=%s refused the batch is %s, want still open", q, st.State)
		}
	}
	if code := e.do(t, "POST", "/api/batches/"+id+"/close?rows=1", "", &st); code != 200 || st.State != mark.BatchClosed ||
		len(st.Differences) != 1 || st.DiffsTotal != 5 {
		t.Fatalf("close?rows=1: %d %s, %d of %d differences, want closed with the first 1 of 5", code, st.State, len(st.Differences), st.DiffsTotal)
	}
	// A close sent again is answered as the first (TestEndBatchRetried);
	// a cancel is refused.
	if code := e.do(t, "POST", "/api/batches/"+id+"/close", "", &st); code != http.StatusOK || st.State != mark.BatchClosed {
		t.Fatalf("close again: %d %+v", code, st)
	}
	var body map[string]string
	if code := e.do(t, "POST", "/api/batches/"+id+"/cancel", "", &body); code != http.StatusConflict ||
		!strings.Contains(body["error"], "is closed") || !strings.Contains(body["hint"], "closed already") {
		t.Fatalf("cancel a closed batch: %d %v, want 409 saying it is closed already", code, body)
	}
	res = ScanResult{}
	if code := e.do(t, "POST", "/api/scans", scanBody(e.sign(200, 555, 20), 0, ""), &res); code != 200 || res.Verdict != mark.Accept || res.Batch != "" {
		t.Fatalf("scan after close: %d %+v", code, res.Record)
	}
	if code := e.do(t, "GET", "/api/batches/nope", "", nil); code != http.StatusNotFound {
		t.Fatalf("unknown batch: %d", code)
	}
}

// TestPostScanStoreDown: a scan the store cannot write is 503 with
// verdict ERROR, and the next one after the store recovers is recorded.
func TestPostScanStoreDown(t *testing.T) {
	e := newBatchEnv(t)
	e.db.FailWrite = func() error { return syscall.ENOSPC }
	var res ScanResult
	if code := e.do(t, "POST", "/api/scans", scanBody(e.sign(1, 77, 20), 0, ""), &res); code != http.StatusServiceUnavailable ||
		res.Verdict != mark.Error || res.ID != "" || res.Hint == "" {
		t.Fatalf("store down: %d %+v", code, res)
	}
	e.db.FailWrite = nil
	res = ScanResult{}
	if code := e.do(t, "POST", "/api/scans", scanBody(e.sign(1, 77, 20), 0, ""), &res); code != 200 || res.Verdict != mark.Accept {
		t.Fatalf("store back: %d %+v", code, res)
	}
	if _, err := e.db.Get(context.Background(), res.ID); err != nil {
		t.Fatalf("accepted scan not stored: %v", err)
	}
}

// TestPostScanCutByClient: a scan the client cut (the browser wedge keeps
// 4096 bytes of a longer burst) is recorded NOT_A_MARK with its real
// length; a text over 4096 bytes is still refused (the client cuts).
func TestPostScanCutByClient(t *testing.T) {
	e := newBatchEnv(t)
	body, _ := json.Marshal(ScanRequest{Text: strings.Repeat("7", mark.MaxInputSize), Length: 9000, Source: SourceBrowserWedge})
	var res ScanResult
	if code := e.do(t, "POST", "/api/scans", string(body), &res); code != 200 || res.Verdict != mark.NotAMark || res.ID == "" ||
		len(res.Text) != mark.MaxInputSize || !strings.Contains(res.Message, "line of 9000 bytes") {
		t.Fatalf("cut scan: %d %s %q (%s)", code, res.Verdict, res.Message, res.Error)
	}
	// The refusal names the limit and the way docs/local-api.md gives:
	// cut it and send length.
	body, _ = json.Marshal(ScanRequest{Text: strings.Repeat("7", mark.MaxInputSize+1)})
	res = ScanResult{}
	if code := e.do(t, "POST", "/api/scans", string(body), &res); code != http.StatusBadRequest ||
		!strings.Contains(res.Error, "more than 4096") || !strings.Contains(res.Hint, "length") {
		t.Fatalf("text over 4096 bytes: %d %q (hint %q), want 400 naming the limit and length", code, res.Error, res.Hint)
	}
}

// TestExpectCompactJSON: the list as a program sends it, JSON on one line,
// is imported (it was a 503 "temporarily unavailable": every item is on
// line 1).
func TestExpectCompactJSON(t *testing.T) {
	e := newBatchEnv(t)
	var st batch.StatusJSON
	if code := e.do(t, "POST", "/api/batches", `{"contract": 77}`, &st); code != http.StatusCreated {
		t.Fatalf("open: %d", code)
	}
	var res ScanResult
	if code := e.do(t, "POST", "/api/scans", scanBody(e.sign(1, 77, 20), 0, st.ID), &res); code != 200 || res.Verdict != mark.Accept {
		t.Fatalf("scan: %d %+v", code, res)
	}
	list, _ := json.Marshal(map[string]any{"contract": 77, "items": []map[string]any{
		{"n": 1, "serial": 1, "tracking": fmt.Sprintf("%014d", issuer.Tracking(426000, 1)), "mail_class": 2, "weight_g": 20, "tariff_kop": 50000},
		{"n": 2, "serial": 2, "tracking": fmt.Sprintf("%014d", issuer.Tracking(426000, 2)), "mail_class": 2, "weight_g": 20, "tariff_kop": 50000},
	}})
	if code := e.do(t, "POST", "/api/batches/"+st.ID+"/expect", string(list), &st); code != http.StatusOK || st.ListItems != 2 ||
		len(st.Differences) != 1 || st.Differences[0].Kind != "MISSING" || st.Differences[0].N != 2 {
		t.Fatalf("one-line JSON list: %d %+v", code, st)
	}
}

// TestErrorBodiesHaveCode: every error answer carries its code, as
// docs/local-api.md says: the list that cannot be read (it had none) and
// the scan refused or not recorded (none either).
func TestErrorBodiesHaveCode(t *testing.T) {
	e := newBatchEnv(t)
	var st batch.StatusJSON
	if code := e.do(t, "POST", "/api/batches", `{"contract": 77}`, &st); code != http.StatusCreated {
		t.Fatalf("open: %d", code)
	}
	var le map[string]any
	if code := e.do(t, "POST", "/api/batches/"+st.ID+"/expect", "n;tracking;mail_class;weight_g;tariff_kop\n1;42600000000015;9;20;100\n", &le); code != 400 ||
		le["code"] != "invalid" {
		t.Errorf("bad list: %d %v, want code invalid", code, le)
	}
	var res ScanResult
	if code := e.do(t, "POST", "/api/scans", scanBody(e.sign(1, 77, 20), 0, "other"), &res); code != http.StatusConflict || res.Code != "conflict" {
		t.Errorf("scan for another batch: %d %+v, want code conflict", code, res)
	}
	e.db.FailWrite = func() error { return syscall.ENOSPC }
	res = ScanResult{}
	if code := e.do(t, "POST", "/api/scans", scanBody(e.sign(1, 77, 20), 0, ""), &res); code != http.StatusServiceUnavailable || res.Code != "unavailable" {
		t.Errorf("store down: %d %+v, want code unavailable", code, res)
	}
	e.db.FailWrite = nil
	res = ScanResult{}
	if code := e.do(t, "POST", "/api/scans", scanBody(e.sign(1, 77, 20), 0, ""), &res); code != 200 || res.Code != "" {
		t.Errorf("accepted scan: %d code %q, want none", code, res.Code)
	}
}

// TestExpectUnknownOrEndedBatch: a list sent to an unknown batch is 404,
// to a closed one 409, whatever the list holds (it was a 400 about the
// list's header: the program corrected a file that was not at fault).
func TestExpectUnknownOrEndedBatch(t *testing.T) {
	e := newBatchEnv(t)
	const bad = "n;tracking\n1;x\n"
	var eb map[string]any
	if code := e.do(t, "POST", "/api/batches/nope/expect", bad, &eb); code != http.StatusNotFound || eb["code"] != "not_found" {
		t.Errorf("unknown batch: %d %v, want 404", code, eb)
	}
	var st batch.StatusJSON
	e.do(t, "POST", "/api/batches", ``, &st)
	e.do(t, "POST", "/api/batches/"+st.ID+"/cancel", ``, nil)
	eb = nil
	if code := e.do(t, "POST", "/api/batches/"+st.ID+"/expect", bad, &eb); code != http.StatusConflict || !strings.Contains(fmt.Sprint(eb["error"]), "cancelled") {
		t.Errorf("cancelled batch: %d %v, want 409 saying it is cancelled", code, eb)
	}
}

// TestBodyWithMoreAfterObject: a body with more after its JSON object
// (two scans run together, stray text) is refused whole, nothing
// recorded (the first object was taken and the rest dropped without a
// word: a second scan lost).
func TestBodyWithMoreAfterObject(t *testing.T) {
	e := newBatchEnv(t)
	two := scanBody(e.sign(1, 77, 20), 0, "") + scanBody(e.sign(2, 77, 20), 0, "")
	for _, tc := range []struct{ path, body string }{
		{"/api/scans", two},
		{"/api/scans", scanBody(e.sign(3, 77, 20), 0, "") + " x"},
		{"/api/batches", `{"contract": 77} {"contract": 78}`},
	} {
		var eb map[string]any
		if code := e.do(t, "POST", tc.path, tc.body, &eb); code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(eb["error"]), "after") {
			t.Errorf("POST %s %.60q…: %d %v, want 400 naming what follows", tc.path, tc.body, code, eb)
		}
	}
	var page ScansPage
	e.do(t, "GET", "/api/scans", "", &page)
	if len(page.Scans) != 0 {
		t.Errorf("%d scans recorded, want none", len(page.Scans))
	}
	if code := e.do(t, "GET", "/api/batches/current", "", nil); code != http.StatusNotFound {
		t.Errorf("a batch was opened: %d", code)
	}
	if code := e.do(t, "POST", "/api/scans", scanBody(e.sign(4, 77, 20), 0, "")+"\r\n", nil); code != http.StatusOK {
		t.Errorf("a body ending in a newline: %d, want 200", code)
	}
}

// TestUnknownRouteJSON: a path of /api/ the server does not have, or a
// method a route does not take, is answered in JSON like every error of
// the API (it was Go's plain-text "404 page not found" and "Method Not
// Allowed"), 405 with the Allow header.
func TestUnknownRouteJSON(t *testing.T) {
	e := newBatchEnv(t)
	for _, tc := range []struct {
		method, path string
		code         int
		allow        string
	}{
		{"GET", "/api/batch/current", http.StatusNotFound, ""},
		{"POST", "/api/scan", http.StatusNotFound, ""},
		{"PUT", "/api/scans", http.StatusMethodNotAllowed, "GET, HEAD, POST"},
		{"GET", "/api/batches", http.StatusMethodNotAllowed, "POST"},
		{"GET", "/api/batches/x/close", http.StatusMethodNotAllowed, "POST"},
		{"DELETE", "/api/batches/x", http.StatusMethodNotAllowed, "GET, HEAD"},
	} {
		req, _ := http.NewRequest(tc.method, e.ts.URL+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var eb map[string]string
		derr := json.NewDecoder(resp.Body).Decode(&eb)
		resp.Body.Close()
		if resp.StatusCode != tc.code || derr != nil || eb["error"] == "" || eb["hint"] == "" || resp.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d %v (%v) Allow %q, want %d JSON with a hint, Allow %q", tc.method, tc.path, resp.StatusCode, eb, derr,
				resp.Header.Get("Allow"), tc.code, tc.allow)
		}
	}
}
