package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"markd/batch"
	"markd/internal/testdata"
	"markd/mark"
	"markd/store"
	"markd/store/storetest"
)

// TestOperatorBatchScope: an operator reads and acts on their counter's
// batches that are open (whatever day they were opened) or ended today,
// as the operator screen shows them; another counter's batch and one
// ended on another day are the supervisors' (403 naming the batch and
// why, nothing changed). A supervisor reads every batch.
func TestOperatorBatchScope(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	now := testdata.Now()
	start, _ := mark.DayBounds(now, loc)
	var clock atomic.Int64 // the store's and the API's clock, moved by the test
	at := func(t time.Time) { clock.Store(t.UnixNano()) }
	nowFn := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	at(start.Add(-14 * time.Hour)) // yesterday, 10:00 in Moscow
	db := storetest.Open(t, store.Options{Now: nowFn})
	ctx := context.Background()
	open := func(counter string) mark.Batch {
		t.Helper()
		b, err := db.OpenBatch(ctx, mark.Batch{Office: 426000, Counter: counter, Operator: "ivan"})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	end := func(b mark.Batch, state mark.BatchState) {
		t.Helper()
		if _, err := db.EndBatch(ctx, b.ID, state, "ivan"); err != nil {
			t.Fatal(err)
		}
	}
	closedYesterday := open("A")
	end(closedYesterday, mark.BatchClosed)
	cancelledYesterday := open("A")
	end(cancelledYesterday, mark.BatchCancelled)
	openSinceYesterday := open("A") // forgotten overnight: still the counter's to close
	at(now)
	otherCounter := open("B")

	srv := New(Options{Store: db, Location: loc, Counter: "A", Now: nowFn,
		Batches: batch.New(batch.Options{Store: db, Office: 426000, Counter: "A", Location: loc})})
	scoped := func(sc Scope) *httptest.Server {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			srv.Handler().ServeHTTP(w, r.WithContext(WithScope(r.Context(), sc)))
		}))
		t.Cleanup(ts.Close)
		return ts
	}
	op, sup := scoped(ScopeCounterToday), scoped(ScopeAll)
	call := func(ts *httptest.Server, method, path string) (int, string) {
		t.Helper()
		code, body := request(t, ts, method, path, "")
		return code, string(body)
	}
	state := func(id string) mark.BatchState {
		t.Helper()
		b, err := db.GetBatch(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return b.State
	}

	b := "/api/batches/"
	tests := []struct {
		name    string
		ts      *httptest.Server
		method  string
		path    string
		code    int
		errWord string // a 403's error names this
	}{
		{"operator: batch closed yesterday", op, "GET", b + closedYesterday.ID, 403, "not today"},
		{"operator: its receipt", op, "GET", b + closedYesterday.ID + "/receipt.pdf", 403, closedYesterday.ID},
		{"operator: batch cancelled yesterday", op, "GET", b + cancelledYesterday.ID, 403, "cancelled"},
		{"operator: another counter's batch", op, "GET", b + otherCounter.ID, 403, "counter B"},
		{"operator: another counter's batch cancelled", op, "POST", b + otherCounter.ID + "/cancel", 403, "counter B"},
		{"operator: another counter's batch closed", op, "POST", b + otherCounter.ID + "/close", 403, "counter B"},
		{"operator: a list for another counter's batch", op, "POST", b + otherCounter.ID + "/expect", 403, "counter B"},
		{"operator: open since yesterday", op, "GET", b + openSinceYesterday.ID, 200, ""},
		{"operator: unknown batch", op, "GET", b + "0193aaaa-0000-7000-8000-000000000000", 404, ""},
		{"supervisor: batch closed yesterday", sup, "GET", b + closedYesterday.ID, 200, ""},
		{"supervisor: its receipt", sup, "GET", b + closedYesterday.ID + "/receipt.pdf", 200, ""},
		{"supervisor: another counter's batch", sup, "GET", b + otherCounter.ID, 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := call(tc.ts, tc.method, tc.path)
			if code != tc.code {
				t.Fatalf("%s %s: %d %s, want %d", tc.method, tc.path, code, body, tc.code)
			}
			if code != 403 {
				return
			}
			var e struct{ Code, Error, Hint string }
			if err := json.Unmarshal([]byte(body), &e); err != nil {
				t.Fatalf("403 body %q: %v", body, err)
			}
			if e.Code != "forbidden" || !strings.Contains(e.Error, tc.errWord) || e.Hint == "" {
				t.Errorf("403 body %+v: want code forbidden, an error naming %q, a hint", e, tc.errWord)
			}
		})
	}
	if s := state(otherCounter.ID); s != mark.BatchOpen {
		t.Errorf("another counter's batch after the operator's refused cancel and close: %s, want open", s)
	}

	// The batch open since yesterday, closed today by the operator, stays
	// theirs to read and print today.
	if code, body := call(op, "POST", b+openSinceYesterday.ID+"/close"); code != 200 {
		t.Fatalf("operator closes the batch open since yesterday: %d %s", code, body)
	}
	for _, path := range []string{b + openSinceYesterday.ID, b + openSinceYesterday.ID + "/receipt.pdf"} {
		if code, body := call(op, "GET", path); code != 200 {
			t.Errorf("operator: GET %s of a batch closed today: %d %.200s", path, code, body)
		}
	}
}

// TestOperatorBatchDayEdges: OperatorBatch at the edges of the day.
func TestOperatorBatchDayEdges(t *testing.T) {
	loc := time.FixedZone("MSK", 3*3600)
	start, end := mark.DayBounds(time.Date(2027, 3, 10, 12, 0, 0, 0, loc), loc)
	closed := func(at time.Time) mark.Batch {
		return mark.Batch{ID: "b", Counter: "A", State: mark.BatchClosed, Closed: at}
	}
	for _, tc := range []struct {
		name string
		b    mark.Batch
		ok   bool
	}{
		{"closed at the day's first instant", closed(start), true},
		{"closed a nanosecond before", closed(start.Add(-1)), false},
		{"closed at the day's last instant", closed(end.Add(-1)), true},
		{"closed at the next day's first instant", closed(end), false},
		{"open, opened last year", mark.Batch{ID: "b", Counter: "A", State: mark.BatchOpen, Opened: start.AddDate(-1, 0, 0)}, true},
		{"open at another counter", mark.Batch{ID: "b", Counter: "B", State: mark.BatchOpen, Opened: start}, false},
	} {
		err := OperatorBatch(tc.b, "A", start, end)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v, want allowed=%v", tc.name, err, tc.ok)
		}
	}
}
