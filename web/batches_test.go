package web

import (
	"context"
	"encoding/csv"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"markd/batch"
	"markd/internal/browsertest"
	"markd/mark"
)

// batchEnv is the web env with the batch service and one closed batch of
// 3 accepted items and one OTHER_CONTRACT rejection, and one open batch at
// counter B.
func batchEnv(t *testing.T) (*env, string) {
	t.Helper()
	var svc *batch.Service
	e := newEnv(t, func(o *Options) {
		svc = batch.New(batch.Options{Store: o.Store, Office: 426000, Counter: "A", Location: o.Location})
		o.Batches = svc
	})
	ctx := context.Background()
	b, err := svc.Open(ctx, 1004417, opName)
	if err != nil {
		t.Fatal(err)
	}
	for i := uint64(1); i <= 4; i++ {
		m := testMark(200 + i)
		m.Contract = 1004417
		if i == 4 {
			m.Contract = 777
		}
		rec := &mark.Record{At: e.clock.Now(), Office: 426000, Counter: "A", Operator: opName, Source: "t",
			Text: "EPM1:B" + string(rune('0'+i)), Verdict: mark.Accept, Mark: m}
		if err := e.db.Save(ctx, rec, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.Close(ctx, b.ID, opName); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.OpenBatch(ctx, mark.Batch{Office: 426000, Counter: "B", Contract: 555}); err != nil {
		t.Fatal(err)
	}
	return e, b.ID
}

func TestBatchPages(t *testing.T) {
	e, id := batchEnv(t)
	sup := e.client()
	sup.login(supName, supPass)
	code, body := sup.get("/review/batches")
	if code != 200 || !strings.Contains(body, id) || !strings.Contains(body, "1004417") || !strings.Contains(body, "/batches/"+id+"/receipt") {
		t.Fatalf("batch list: %d\n%s", code, body)
	}
	for _, tc := range []struct {
		query string
		code  int
		rows  int
	}{
		{"", 200, 2},
		{"contract=1004417", 200, 1},
		{"counter=B", 200, 1},
		{"state=closed", 200, 1},
		{"day=2026-11-25", 200, 2},
		{"day=2026-11-24", 200, 0},
		{"day=25.11.2026", 200, 2},
		{"day=2026-13-45", 400, 0},
		{"contract=abc", 400, 0},
		{"state=lost", 400, 0},
	} {
		code, body := sup.get("/review/batches/export.csv?" + tc.query)
		if code != tc.code {
			t.Errorf("CSV %q: %d, want %d", tc.query, code, tc.code)
			continue
		}
		if code != 200 {
			continue
		}
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
		if err != nil || len(rows) != tc.rows+1 {
			t.Errorf("CSV %q: %d rows (%v)\n%s", tc.query, len(rows)-1, err, body)
		}
		if tc.query == "contract=1004417" && len(rows) == 2 {
			col := map[string]int{}
			for i, h := range rows[0] {
				col[h] = i
			}
			if r := rows[1]; r[col["accepted"]] != "3" || r[col["rejected"]] != "1" || r[col["paid_kop"]] != "15000" || r[col["state"]] != "closed" {
				t.Errorf("CSV row %v", r)
			}
		}
	}
	code, _, hdr := sup.do("GET", "/batches/"+id+"/receipt", nil, nil)
	if code != 200 || !strings.Contains(hdr.Get("Content-Security-Policy"), "script-src") && !strings.Contains(hdr.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("receipt page: %d CSP %q", code, hdr.Get("Content-Security-Policy"))
	}
	op := e.client()
	op.login(opName, opPass)
	if code, _ := op.get("/review/batches"); code != http.StatusForbidden {
		t.Errorf("operator on the batch list: %d, want 403", code)
	}
	if code, body := op.get("/batches/" + id + "/receipt"); code != 200 || !strings.Contains(body, id) {
		t.Errorf("operator reprints the receipt: %d", code)
	}
	// The next day the batch is no longer the operator screen's: its
	// receipt is the supervisors' to print (httpapi.OperatorBatch).
	e.clock.Add(24 * time.Hour)
	op = e.client()
	op.login(opName, opPass)
	if code, body := op.get("/batches/" + id + "/receipt"); code != http.StatusForbidden || !strings.Contains(body, "not today") {
		t.Errorf("operator, the next day, on the receipt: %d, want 403 naming the day\n%.400s", code, body)
	}
	sup = e.client()
	sup.login(supName, supPass)
	if code, body := sup.get("/batches/" + id + "/receipt"); code != 200 || !strings.Contains(body, id) {
		t.Errorf("supervisor, the next day, on the receipt: %d", code)
	}
}

// TestBrowserBatchListAccessibility holds /review/batches to WCAG 2.1 AA
// in both languages at every view.
func TestBrowserBatchListAccessibility(t *testing.T) {
	e, _ := batchEnv(t)
	ctx := browsertest.New(t)
	step(t, ctx, "log in as supervisor",
		loginTasks(e.ts.URL, supName, supPass),
	)
	for _, lang := range []string{"ru", "en"} {
		checkA11y(t, e, ctx, a11yPage{name: "review-batches", path: "/review/batches", ready: "#batch-list"}, lang)
	}
}

// FuzzBatchQuery: any query of the batch list is a filter or a refusal
// that is mark.ErrInvalid (a 400 naming the field), never a panic.
func FuzzBatchQuery(f *testing.F) {
	s := &Server{opt: Options{Location: time.UTC}}
	for _, q := range []string{"", "day=2026-11-25", "day=25.11.2026&contract=1004417", "state=open&counter=A", "contract=-1", "day=%zz"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		r, err := http.NewRequest("GET", "/review/batches?"+q, nil)
		if err != nil {
			return
		}
		_, bf, err := s.parseBatchQuery(r)
		if err != nil && !errors.Is(err, mark.ErrInvalid) {
			t.Fatalf("%q: %v is not ErrInvalid", q, err)
		}
		if err == nil && !bf.From.IsZero() && !bf.To.After(bf.From) {
			t.Fatalf("%q: day range %v..%v", q, bf.From, bf.To)
		}
	})
}

// TestBatchCSVForSpreadsheets: the batch CSV is read by spreadsheet
// programs as the review CSV is: a BOM so Russian names are read as UTF-8,
// and cells that would start a formula defused.
func TestBatchCSVForSpreadsheets(t *testing.T) {
	e, _ := batchEnv(t)
	ctx := context.Background()
	for _, b := range []mark.Batch{{Office: 426000, Counter: "C", Operator: "Иванова"}, {Office: 426000, Counter: "D", Operator: `=HYPERLINK("http://x")`}} {
		if _, err := e.db.OpenBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	sup := e.client()
	sup.login(supName, supPass)
	code, body := sup.get("/review/batches/export.csv")
	if code != 200 || !strings.HasPrefix(body, "\ufeff") {
		t.Fatalf("CSV: %d, starts %q: want a UTF-8 BOM", code, body[:min(len(body), 8)])
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]string{}
	for _, r := range rows[1:] {
		ops[r[4]] = r[5]
	}
	for _, tc := range []struct{ counter, operator string }{{"C", "Иванова"}, {"D", `'=HYPERLINK("http://x")`}} {
		if ops[tc.counter] != tc.operator {
			t.Errorf("counter %s: operator cell %q, want %q", tc.counter, ops[tc.counter], tc.operator)
		}
	}
}
