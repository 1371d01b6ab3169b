package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"markd/internal/testdata"
	"markd/mark"
	"markd/pipeline"
	"markd/store"
	"markd/store/storetest"
	"markd/verify"
)

type env struct {
	ts   *httptest.Server
	db   *store.DB
	pipe *pipeline.Pipeline
	sign func(serial uint64) string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	v := testdata.Verifier(t)
	signer := testdata.Signer(t)
	db := storetest.Open(t, store.Options{})
	m := NewMetrics(nil)
	h := verify.NewHolder(v)
	pipe := pipeline.New(pipeline.Options{Verifier: h, Store: db, Office: 426000, Counter: "A", Location: time.UTC,
		RescanWindow: 10 * time.Minute, Observe: m.Observe, Now: testdata.Now})
	srv := New(Options{Store: db, Feed: pipe, Versions: h.Versions, StoreErr: pipe.StoreErr, Metrics: m,
		Location: time.UTC, Keepalive: 50 * time.Millisecond,
		Sources: func() []mark.SourceHealth { return []mark.SourceHealth{{Name: "stdin0", Kind: "stdin", Up: true}} }})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	day := testdata.Today(nil)
	sign := func(serial uint64) string {
		m := testdata.ValidMark(serial, day)
		m.Contract = 77
		return signer(m)
	}
	return &env{ts: ts, db: db, pipe: pipe, sign: sign}
}

func (e *env) get(t *testing.T, path string, v any) int {
	t.Helper()
	resp, err := http.Get(e.ts.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: decode: %v", path, err)
		}
	}
	return resp.StatusCode
}

func TestScansAPI(t *testing.T) {
	e := newEnv(t)
	base := testdata.Now()
	day, next := base.Format(time.DateOnly), base.AddDate(0, 0, 1).Format(time.DateOnly)
	const n = 60
	for i := 0; i < n; i++ {
		text := e.sign(uint64(i))
		if i%4 == 0 {
			text = "not a mark " + fmt.Sprint(i)
		}
		counter := "A"
		if i%2 == 1 {
			counter = "B"
		}
		e.pipe.SetOperator("op" + counter)
		e.pipe.Process(context.Background(), mark.Scan{Text: text, Source: "t", Counter: counter, At: base.Add(time.Duration(i) * time.Minute)})
	}
	// a reused mark: serial 1 again at counter A
	e.pipe.SetOperator("opA")
	e.pipe.Process(context.Background(), mark.Scan{Text: e.sign(1), Source: "t", Counter: "A", At: base.Add(2 * time.Hour)})
	tests := []struct {
		query string
		want  int
	}{
		{"", n + 1},
		{"verdict=NOT_A_MARK", n / 4},
		{"verdict=accept,not_a_mark", n},
		{"reason=REUSED", 1},
		{"counter=B", n / 2},
		{"operator=opA", n/2 + 1},
		{"contract=77", n - n/4 + 1},
		{"from=" + base.Add(10*time.Minute).Format(time.RFC3339) + "&to=" + base.Add(20*time.Minute).Format(time.RFC3339), 10},
		{"from=" + day + "&to=" + next, n + 1},
		{"review=pending", 1},
		{"order=desc", n + 1},
	}
	for _, tc := range tests {
		seen := map[string]bool{}
		q := tc.query
		for pages := 0; ; pages++ {
			if pages > n {
				t.Fatalf("%q: paging does not end", tc.query)
			}
			var page ScansPage
			path := "/api/scans?limit=7"
			if q != "" {
				path += "&" + q
			}
			if code := e.get(t, path, &page); code != http.StatusOK {
				t.Fatalf("GET %s: %d", path, code)
			}
			for _, r := range page.Scans {
				if seen[r.ID] {
					t.Fatalf("%q: %s twice", tc.query, r.ID)
				}
				seen[r.ID] = true
				if len(r.ReasonsText) != len(r.Reasons) || r.VerdictText.RU == "" {
					t.Errorf("%q: texts missing in %+v", tc.query, r)
				}
			}
			if page.Next == "" {
				break
			}
			q = tc.query + "&cursor=" + url.QueryEscape(page.Next)
		}
		if len(seen) != tc.want {
			t.Errorf("%q: %d records, want %d", tc.query, len(seen), tc.want)
		}
	}
	var page ScansPage
	e.get(t, "/api/scans?reason=REUSED", &page)
	if len(page.Scans) != 1 || page.Scans[0].FirstAccepted == nil || page.Scans[0].Mark == nil || page.Scans[0].Mark.Serial != 1 {
		t.Fatalf("reused record: %+v", page.Scans)
	}
	var one RecordJSON
	if code := e.get(t, "/api/scans/"+page.Scans[0].ID, &one); code != 200 || one.ID != page.Scans[0].ID {
		t.Errorf("GET one: %d %+v", code, one)
	}
	for path, want := range map[string]int{
		"/api/scans/nope":           http.StatusNotFound,
		"/api/scans?verdict=MAYBE":  http.StatusBadRequest,
		"/api/scans?limit=100000":   http.StatusBadRequest,
		"/api/scans?from=yesterday": http.StatusBadRequest,
		"/api/scans?cursor=%21%21":  http.StatusBadRequest,
	} {
		var body map[string]string
		if code := e.get(t, path, &body); code != want || body["error"] == "" {
			t.Errorf("GET %s: %d %v, want %d with an error", path, code, body, want)
		}
	}
}

func TestHealthAndMetrics(t *testing.T) {
	e := newEnv(t)
	var h struct {
		OK    bool `json:"ok"`
		Store struct {
			OK   bool   `json:"ok"`
			Hint string `json:"hint"`
		} `json:"store"`
		Sources  []mark.SourceHealth `json:"sources"`
		Versions mark.Versions       `json:"versions"`
	}
	if code := e.get(t, "/healthz", &h); code != 200 || !h.OK || len(h.Sources) != 1 || h.Versions.Keyring == "" {
		t.Fatalf("healthz: %d %+v", code, h)
	}
	e.pipe.Process(context.Background(), mark.Scan{Text: e.sign(1), Source: "t"})
	e.db.FailWrite = func() error { return syscall.ENOSPC }
	if r := e.pipe.Process(context.Background(), mark.Scan{Text: e.sign(2), Source: "t"}); r.Verdict != mark.Error {
		t.Fatalf("verdict on full disk: %s", r.Verdict)
	}
	if code := e.get(t, "/healthz", &h); code != http.StatusServiceUnavailable || h.OK || h.Store.Hint == "" {
		t.Errorf("healthz while the store fails: %d %+v", code, h)
	}
	// Readiness follows the store; liveness does not.
	for path, want := range map[string]int{"/healthz/ready": http.StatusServiceUnavailable, "/healthz/live": 200} {
		if code := e.get(t, path, nil); code != want {
			t.Errorf("%s while the store fails: %d, want %d", path, code, want)
		}
	}
	e.db.FailWrite = nil
	e.pipe.Process(context.Background(), mark.Scan{Text: e.sign(2), Source: "t"})
	if code := e.get(t, "/healthz", &h); code != 200 || !h.OK {
		t.Errorf("healthz after recovery: %d %+v", code, h)
	}
	for _, path := range []string{"/healthz/ready", "/healthz/live"} {
		if code := e.get(t, path, nil); code != 200 {
			t.Errorf("%s after recovery: %d", path, code)
		}
	}
	resp, err := http.Get(e.ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`markd_scans_total{verdict="ACCEPT"} 2`,
		`markd_scans_total{verdict="ERROR"} 1`,
		`markd_store_errors_total 1`,
		`markd_scan_seconds_count 3`,
		`markd_source_up{kind="stdin",source="stdin0"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestEvents(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.ts.URL+"/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	br := bufio.NewReader(resp.Body)
	// the subscription exists once the first comment arrived
	if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, ":") {
		t.Fatalf("first line %q %v", line, err)
	}
	texts := []string{e.sign(1), e.sign(1), "hello"}
	want := []mark.Verdict{mark.Accept, mark.DuplicateScan, mark.NotAMark}
	go func() {
		for _, tx := range texts {
			e.pipe.Process(context.Background(), mark.Scan{Text: tx, Source: "t"})
		}
	}()
	var got []RecordJSON
	keepalive := false
	event := ""
	for len(got) < len(want) || !keepalive {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("after %d events: %v", len(got), err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == ": keepalive":
			keepalive = true
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			if event != "verdict" {
				t.Fatalf("data of event %q", event)
			}
			var r RecordJSON
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &r); err != nil {
				t.Fatal(err)
			}
			got = append(got, r)
		}
	}
	for i, r := range got {
		if r.Verdict != want[i] || r.ID == "" {
			t.Errorf("event %d: %s %q, want %s", i, r.Verdict, r.ID, want[i])
		}
	}
	if got[1].FirstAccepted == nil || got[1].FirstAccepted.RecordID != got[0].ID {
		t.Errorf("duplicate scan event without first acceptance: %+v", got[1])
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, q := range []string{"verdict=ACCEPT,REJECT&reason=REUSED", "from=2026-11-25&to=2026-11-26T00:00:00Z",
		"limit=5&order=desc&cursor=abc", "contract=12&review=pending", "limit=-1", "verdict="} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		vals, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		fl, err := ParseFilter(vals, time.UTC)
		if err != nil {
			if !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("%q: error %v is not ErrInvalid", q, err)
			}
			return
		}
		if fl.Limit < 0 || fl.Limit > store.MaxLimit {
			t.Fatalf("%q: limit %d out of bounds", q, fl.Limit)
		}
	})
}

// TestViewTimesInUTC: the API gives every time in UTC ("Z"), whatever the
// zone of the clock that made it: a scan just posted said "+03:00" on a
// Moscow PC while the same record read back said "Z".
func TestViewTimesInUTC(t *testing.T) {
	msk := time.FixedZone("MSK", 3*3600)
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, msk)
	b, err := json.Marshal(View(mark.Record{ID: "r", At: at, Verdict: mark.DuplicateScan,
		FirstAccepted: &mark.Acceptance{RecordID: "q", At: at.Add(-time.Minute)}}))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"at":"2026-11-25T07:00:00Z"`, `"at":"2026-11-25T06:59:00Z"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("record %s: want %s", b, want)
		}
	}
}
