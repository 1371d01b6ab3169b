package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"markd/internal/httperr"
	"markd/internal/testdata"
	"markd/mark"
	"markd/store"
	"markd/store/storetest"
)

// TestOperatorScope: an operator reads through /api/scans what the
// operator screen shows (this counter, today); other days, other counters
// and the review filters are the supervisors' (403 with a JSON error that
// names the parameter). A supervisor reads everything.
func TestOperatorScope(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	now := testdata.Now()
	db := storetest.Open(t, store.Options{})
	rec := func(id string, at time.Time, counter string) *mark.Record {
		return &mark.Record{ID: id, At: at, Office: 426000, Counter: counter, Operator: "ivan", Source: "stdin",
			Text: "tracking " + id, Verdict: mark.NotAMark}
	}
	y := now.In(loc)
	dayStart := time.Date(y.Year(), y.Month(), y.Day(), 0, 0, 0, 0, loc)
	storetest.Save(t, db, 0,
		rec("yesterday", dayStart.Add(-time.Minute), "A"),
		rec("early", dayStart, "A"),
		rec("now", now.Add(-time.Minute), "A"),
		rec("other-counter", now.Add(-2*time.Minute), "B"),
	)
	srv := New(Options{Store: db, Location: loc, Counter: "A", Now: testdata.Now})
	scoped := func(sc Scope) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			srv.Handler().ServeHTTP(w, r.WithContext(WithScope(r.Context(), sc)))
		})
	}
	op := httptest.NewServer(scoped(ScopeCounterToday))
	defer op.Close()
	sup := httptest.NewServer(scoped(ScopeAll))
	defer sup.Close()

	today := dayStart.Format(time.DateOnly)
	yesterday := dayStart.AddDate(0, 0, -1).Format(time.DateOnly)
	tomorrow := dayStart.AddDate(0, 0, 1).Format(time.DateOnly)
	tests := []struct {
		name    string
		srv     *httptest.Server
		path    string
		code    int
		ids     []string // the scans answered, in order
		errWord string   // the 403 error names this
	}{
		{"operator: today at this counter", op, "/api/scans", 200, []string{"early", "now"}, ""},
		{"operator: newest first, one page", op, "/api/scans?order=desc&limit=1", 200, []string{"now"}, ""},
		{"operator: today by date", op, "/api/scans?from=" + today + "&to=" + tomorrow, 200, []string{"early", "now"}, ""},
		{"operator: own counter named", op, "/api/scans?counter=A", 200, []string{"early", "now"}, ""},
		{"operator: yesterday", op, "/api/scans?from=" + yesterday, 403, nil, "from=" + yesterday},
		{"operator: up to yesterday", op, "/api/scans?to=" + today + "T00:00:00%2B04:00", 403, nil, "to="},
		{"operator: another counter", op, "/api/scans?counter=B", 403, nil, "counter=B"},
		{"operator: verdict filter", op, "/api/scans?verdict=REJECT", 403, nil, "verdict"},
		{"operator: reason filter", op, "/api/scans?reason=UNDERPAID", 403, nil, "reason"},
		{"operator: review filter", op, "/api/scans?review=pending", 403, nil, "review"},
		{"operator: operator filter", op, "/api/scans?operator=ivan", 403, nil, "operator"},
		{"operator: contract filter", op, "/api/scans?contract=77", 403, nil, "contract"},
		{"operator: unknown parameter", op, "/api/scans?since=" + yesterday, 403, nil, "since"},
		{"operator: today's scan", op, "/api/scans/now", 200, []string{"now"}, ""},
		{"operator: yesterday's scan", op, "/api/scans/yesterday", 403, nil, "yesterday"},
		{"operator: another counter's scan", op, "/api/scans/other-counter", 403, nil, "other-counter"},
		{"supervisor: everything", sup, "/api/scans", 200, []string{"yesterday", "early", "other-counter", "now"}, ""},
		{"supervisor: yesterday", sup, "/api/scans?to=" + today, 200, []string{"yesterday"}, ""},
		{"supervisor: another counter", sup, "/api/scans?counter=B", 200, []string{"other-counter"}, ""},
		{"supervisor: yesterday's scan", sup, "/api/scans/yesterday", 200, []string{"yesterday"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := http.Get(tc.srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if res.StatusCode != tc.code {
				t.Fatalf("GET %s: %d, want %d", tc.path, res.StatusCode, tc.code)
			}
			if tc.code != 200 {
				var b httperr.Body
				if err := json.NewDecoder(res.Body).Decode(&b); err != nil {
					t.Fatalf("403 body is not JSON: %v", err)
				}
				if !strings.Contains(b.Error, tc.errWord) || b.Hint == "" {
					t.Fatalf("403 error %q (hint %q): want it to name %q and a hint", b.Error, b.Hint, tc.errWord)
				}
				return
			}
			var ids []string
			if strings.HasPrefix(tc.path, "/api/scans/") {
				var one RecordJSON
				if err := json.NewDecoder(res.Body).Decode(&one); err != nil {
					t.Fatal(err)
				}
				ids = []string{one.ID}
			} else {
				var page ScansPage
				if err := json.NewDecoder(res.Body).Decode(&page); err != nil {
					t.Fatal(err)
				}
				for _, s := range page.Scans {
					ids = append(ids, s.ID)
				}
			}
			if !slices.Equal(ids, tc.ids) {
				t.Fatalf("GET %s: %v, want %v", tc.path, ids, tc.ids)
			}
		})
	}
	// An operator's cursor never leads out of today at this counter.
	var page ScansPage
	res, err := http.Get(op.URL + "/api/scans?limit=1")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(res.Body).Decode(&page)
	res.Body.Close()
	for page.Next != "" {
		res, err := http.Get(op.URL + "/api/scans?limit=1&cursor=" + url.QueryEscape(page.Next))
		if err != nil {
			t.Fatal(err)
		}
		page = ScansPage{}
		json.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		for _, s := range page.Scans {
			if s.ID == "yesterday" || s.ID == "other-counter" {
				t.Fatalf("paging as an operator reached %s", s.ID)
			}
		}
	}
}

// FuzzOperatorScope: whatever the query, an operator's filter is either
// refused or narrowed to this counter and today.
func FuzzOperatorScope(f *testing.F) {
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		f.Fatal(err)
	}
	srv := New(Options{Store: storetest.Open(f, store.Options{}), Location: loc, Counter: "A", Now: testdata.Now})
	start, end := srv.today()
	for _, q := range []string{"", "from=2026-11-25", "to=2026-11-26", "counter=A", "counter=B", "limit=5&order=desc",
		"from=2026-11-24T21:00:00Z&to=2026-11-25T21:00:00Z", "from=2026-11-24T20:59:59Z", "verdict=ACCEPT", "cursor=abc",
		"counter=A&counter=B", "counter=B&counter=A", "from=2026-11-25&from=2020-01-01", "to=2099-01-01", "counter="} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		r := httptest.NewRequest("GET", "/api/scans", nil)
		r.URL.RawQuery = q.Encode()
		r = r.WithContext(WithScope(r.Context(), ScopeCounterToday))
		fl, err := ParseFilter(r.URL.Query(), loc)
		if err != nil {
			return
		}
		fl, err = srv.limitScope(r, fl)
		if err != nil {
			return
		}
		if fl.Counter != "A" || fl.From.Before(start) || fl.To.After(end) || fl.From.IsZero() || fl.To.IsZero() {
			t.Fatalf("%q: operator's filter %+v leaves counter A, %v..%v", raw, fl, start, end)
		}
		if len(fl.Verdicts)+len(fl.Reasons)+len(fl.Review) > 0 || fl.Operator != "" || fl.Contract != 0 {
			t.Fatalf("%q: operator's filter %+v keeps a review filter", raw, fl)
		}
	})
}
