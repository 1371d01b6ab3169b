package web

import (
	"bufio"
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"markd/mark"
	"markd/store"
)

// every route of the pages and the API behind them.
var allRoutes = []struct{ method, path string }{
	{"GET", "/"},
	{"GET", "/operator/recent"},
	{"GET", "/operator/live"},
	{"GET", "/review"},
	{"GET", "/review/export.csv"},
	{"GET", "/review/days"},
	{"GET", "/review/r1"},
	{"GET", "/review/r1/frame.jpg"},
	{"POST", "/review/r1/confirm"},
	{"POST", "/review/r1/override"},
	{"POST", "/logout"},
	{"GET", "/api/scans"},
	{"POST", "/api/scans"},
}

func TestRoutesNeedLogin(t *testing.T) {
	e := newEnv(t, nil)
	e.rejected("r1", 1, mark.ReasonUnderpaid)
	c := e.client()
	for _, rt := range allRoutes {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			code, _, hdr := c.do(rt.method, rt.path, url.Values{}, nil)
			if rt.method == "GET" {
				if code != http.StatusSeeOther || !strings.HasPrefix(hdr.Get("Location"), "/login?next=") {
					t.Fatalf("browser GET without login: %d to %q, want 303 to /login", code, hdr.Get("Location"))
				}
			} else if code != http.StatusUnauthorized {
				t.Fatalf("POST without login: %d, want 401", code)
			}
			code, _, _ = c.do(rt.method, rt.path, url.Values{}, map[string]string{"Accept": "application/json"})
			if code != http.StatusUnauthorized {
				t.Fatalf("API call without login: %d, want 401", code)
			}
		})
	}
	if code, body := c.get("/healthz"); code != http.StatusOK || !strings.Contains(body, "ok") {
		t.Fatalf("public /healthz: %d %q", code, body)
	}
	if code, _ := c.get("/static/app.css"); code != http.StatusOK {
		t.Fatalf("static files: %d", code)
	}
}

func TestRoles(t *testing.T) {
	e := newEnv(t, nil)
	e.rejected("r1", 1, mark.ReasonUnderpaid)
	e.rejected("r2", 2, mark.ReasonUnderpaid)
	op, sup := e.client(), e.client()
	op.login(opName, opPass)
	sup.login(supName, supPass)
	tests := []struct {
		method, path   string
		opWant, supWnt int
	}{
		{"GET", "/", 200, 200},
		{"GET", "/operator/recent", 200, 200},
		{"GET", "/api/scans", 200, 200},
		{"GET", "/review", 403, 200},
		{"GET", "/review?reason=UNDERPAID&page=1", 403, 200},
		{"GET", "/review/export.csv", 403, 200},
		{"GET", "/review/days", 403, 200},
		{"GET", "/review/r1", 403, 200},
		{"GET", "/review/r1/frame.jpg", 403, 404},
		{"POST", "/review/r1/confirm", 403, 303},
		{"POST", "/review/r2/override", 403, 303},
		{"GET", "/review/nope", 403, 404},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			for _, who := range []struct {
				c    *client
				want int
			}{{op, tc.opWant}, {sup, tc.supWnt}} {
				var code int
				if tc.method == "POST" {
					code, _ = who.c.post(tc.path, url.Values{"note": {"checked"}})
				} else {
					code, _ = who.c.get(tc.path)
				}
				if code != who.want {
					t.Fatalf("%s: %d, want %d", who.c.csrfOwner(), code, who.want)
				}
			}
		})
	}
	// The operator's attempts changed nothing: r1 was confirmed by the supervisor only.
	audit, _ := e.db.AuditFor(context.Background(), "r1")
	if len(audit) != 1 || audit[0].Actor != supName {
		t.Fatalf("audit of r1: %+v", audit)
	}
	e.opMu.Lock()
	defer e.opMu.Unlock()
	if len(e.opNames) == 0 || e.opNames[0] != opName {
		t.Fatalf("SetOperator calls %v: the operator's login must name them", e.opNames)
	}
}

func (c *client) csrfOwner() string {
	u, _ := url.Parse(c.e.ts.URL)
	for _, ck := range c.hc.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			if s, ok := c.e.srv.sess.get(ck.Value); ok {
				return s.User
			}
		}
	}
	return "anonymous"
}

func TestCSRF(t *testing.T) {
	e := newEnv(t, nil)
	e.rejected("r1", 1, mark.ReasonUnderpaid)
	c := e.client()
	c.login(supName, supPass)
	tests := []struct {
		name string
		form url.Values
		hdr  map[string]string
		want int
	}{
		{"no token", url.Values{"note": {"x"}}, nil, 403},
		{"wrong token", url.Values{"note": {"x"}, "csrf": {"AAAA"}}, nil, 403},
		{"right token, other origin", url.Values{"note": {"x"}, "csrf": {""}}, map[string]string{"Origin": "http://evil.example"}, 403},
		{"token in header (fetch)", url.Values{"note": {"x"}}, map[string]string{"X-CSRF-Token": ""}, 303},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if v, ok := tc.form["csrf"]; ok && v[0] == "" {
				tc.form.Set("csrf", c.csrf)
			}
			if v, ok := tc.hdr["X-CSRF-Token"]; ok && v == "" {
				tc.hdr["X-CSRF-Token"] = c.csrf
			}
			code, _, _ := c.do("POST", "/review/r1/confirm", tc.form, tc.hdr)
			if code != tc.want {
				t.Fatalf("%d, want %d", code, tc.want)
			}
		})
	}
	// The login form is protected too (double-submit cookie): a post
	// without the token from the form is refused even with a right password.
	fresh := e.client()
	code, _, _ := fresh.do("POST", "/login", url.Values{"user": {supName}, "password": {supPass}}, nil)
	if code != http.StatusForbidden {
		t.Fatalf("login without form token: %d, want 403", code)
	}
	if audit, _ := e.db.AuditFor(context.Background(), "r1"); len(audit) != 1 {
		t.Fatalf("only the request with a token may act: audit %+v", audit)
	}
}

func TestOverride(t *testing.T) {
	e := newEnv(t, nil)
	e.rejected("r1", 1, mark.ReasonExpired)
	e.rejected("r2", 1, mark.ReasonExpired) // same serial, a second scan
	c := e.client()
	c.login(supName, supPass)
	c.get("/review/r1")
	code, body := c.post("/review/r1/override", url.Values{"note": {"   "}})
	if code != http.StatusBadRequest || !strings.Contains(body, "note is required") {
		t.Fatalf("override without note: %d", code)
	}
	if code, _ := c.post("/review/r1/override", url.Values{"note": {"customer showed the receipt"}}); code != http.StatusSeeOther {
		t.Fatalf("override with note: %d, want 303", code)
	}
	code, body = c.get("/review/r1?done=override")
	if code != 200 || !strings.Contains(body, "customer showed the receipt") || !strings.Contains(body, store.ActionOverride) ||
		!strings.Contains(body, `id="review-state" data-state="overridden"`) {
		t.Fatalf("detail after override does not show the audit line and state: %d", code)
	}
	if strings.Contains(body, `id="override-form"`) {
		t.Fatal("an overridden record still offers the override form")
	}
	if code, _ := c.post("/review/r1/override", url.Values{"note": {"again"}}); code != http.StatusConflict {
		t.Fatalf("second override: %d, want 409", code)
	}
	code, body = c.post("/review/r2/override", url.Values{"note": {"other scan"}})
	if code != http.StatusConflict || !strings.Contains(body, "already used by record r1") {
		t.Fatalf("override of another record with the same serial: %d", code)
	}
	var holder string
	if err := e.db.SQL().QueryRow(`SELECT record_id FROM used_serials WHERE serial = 1`).Scan(&holder); err != nil || holder != "r1" {
		t.Fatalf("used_serials: %q %v", holder, err)
	}
	if audit, _ := e.db.AuditFor(context.Background(), "r2"); len(audit) != 0 {
		t.Fatalf("refused override left audit lines: %+v", audit)
	}
}

func TestAuditAppendOnlyThroughStore(t *testing.T) {
	e := newEnv(t, nil)
	e.rejected("r1", 1, mark.ReasonExpired)
	if err := e.db.ConfirmRejection(context.Background(), "r1", supName, "seen"); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{`UPDATE audit SET note = 'x'`, `DELETE FROM audit`} {
		if _, err := e.db.SQL().Exec(stmt); err == nil {
			t.Fatalf("%s succeeded on the audit table", stmt)
		}
	}
	if a, _ := e.db.AuditFor(context.Background(), "r1"); len(a) != 1 || a[0].Note != "seen" {
		t.Fatalf("audit changed: %+v", a)
	}
}

func TestCSVExport(t *testing.T) {
	e := newEnv(t, nil)
	nasty := []struct{ id, operator, text string }{
		{"c1", "=HYPERLINK(\"http://x\")", "+SUM(A1:A9)"},
		{"c2", "@cmd", "-2+3"},
		{"c3", "ivan, \"the\" operator", "line1\nline2"},
		{"c4", "\tTAB", "EPM1:PLAIN"},
	}
	for i, n := range nasty {
		e.insert(mark.Record{ID: n.id, At: e.clock.Now().Add(time.Duration(i) * time.Second), Office: 426000, Counter: "B",
			Operator: n.operator, Text: n.text, Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonUnderpaid}, Mark: testMark(uint64(10 + i))})
	}
	e.insert(mark.Record{ID: "acc", At: e.clock.Now(), Counter: "B", Text: "EPM1:OK", Verdict: mark.Accept})
	c := e.client()
	c.login(supName, supPass)
	code, body, hdr := c.do("GET", "/review/export.csv?counter=B", nil, nil)
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") || !strings.Contains(hdr.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %v", code, hdr)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatalf("export is not valid CSV: %v", err)
	}
	if len(rows) != 1+len(nasty) {
		t.Fatalf("%d rows, want header + %d rejected (no ACCEPT)", len(rows), len(nasty))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	want := map[string][2]string{
		"c1": {"'=HYPERLINK(\"http://x\")", "'+SUM(A1:A9)"},
		"c2": {"'@cmd", "'-2+3"},
		"c3": {"ivan, \"the\" operator", "line1\nline2"},
		"c4": {"'\tTAB", "EPM1:PLAIN"},
	}
	for _, r := range rows[1:] {
		w, ok := want[r[col["id"]]]
		if !ok {
			t.Fatalf("unexpected row %v", r)
		}
		if r[col["operator"]] != w[0] || r[col["raw_text"]] != w[1] {
			t.Fatalf("row %s: operator %q raw %q, want %q %q", r[0], r[col["operator"]], r[col["raw_text"]], w[0], w[1])
		}
		if r[col["reasons"]] != "UNDERPAID" || r[col["paid_rub"]] != "50.00" || r[col["contract"]] != "1004417" {
			t.Fatalf("row %s: %v", r[0], r)
		}
	}
}

func TestReviewListFiltersAndPaging(t *testing.T) {
	e := newEnv(t, nil)
	for i := 0; i < 7; i++ {
		e.clock.Add(time.Minute)
		e.rejected("p"+string(rune('a'+i)), uint64(100+i), mark.ReasonUnderpaid)
	}
	e.rejected("q1", 200, mark.ReasonWrongOffice)
	c := e.client()
	c.login(supName, supPass)
	tests := []struct {
		query  string
		code   int
		rows   int
		substr string
	}{
		{"", 200, 8, `(8)`},
		{"?reason=WRONG_OFFICE", 200, 1, "q1"},
		{"?per=3", 200, 3, `id="next"`},
		{"?per=3&page=3", 200, 2, `id="prev"`},
		{"?from=2026-11-25&to=2026-11-25", 200, 8, "(8)"},
		{"?from=2026-11-26", 200, 0, "(0)"},
		{"?contract=1004417&operator=ivan&counter=A&state=pending", 200, 8, "(8)"},
		{"?reason=NOPE", 400, 0, "unknown reason"},
		{"?from=25.11.2026&to=25.11.2026", 200, 8, `value="25.11.2026"`}, // the Russian way, as the field shows it
		{"?from=2026-11-25&to=2026-11-25", 200, 8, `value="25.11.2026"`},
		{"?from=11/25/2026", 400, 0, "not a date dd.mm.yyyy"},
		{"?from=31.02.2026", 400, 0, "filter from"},
		{"?contract=abc", 400, 0, "contract"},
		{"?page=0", 400, 0, "page"},
		// (page-1)×per overflowed to a negative offset: page 1's rows
		// under the number asked for.
		{"?per=3&page=3074457345618258604", 400, 0, "page 3074457345618258604: beyond any list"},
		{"?page=9000000000000000000", 400, 0, "beyond any list"},
		{"?per=3&page=715827882", 200, 0, `id="prev"`}, // deep, and empty, not refused
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			code, body := c.get("/review" + tc.query)
			if code != tc.code || !strings.Contains(body, tc.substr) {
				t.Fatalf("%d (want %d), want %q in the page", code, tc.code, tc.substr)
			}
			if code == 200 {
				if n := strings.Count(body, `class="open"`); n != tc.rows {
					t.Fatalf("%d rows, want %d", n, tc.rows)
				}
			}
		})
	}
}

func TestDayView(t *testing.T) {
	e := newEnv(t, nil)
	e.rejected("d1", 1, mark.ReasonUnderpaid, mark.ReasonExpired)
	e.insert(mark.Record{ID: "d2", At: e.clock.Now(), Counter: "A", Text: "x", Verdict: mark.NotAMark})
	e.insert(mark.Record{ID: "d3", At: e.clock.Now().AddDate(0, 0, -1), Counter: "A", Text: "y", Verdict: mark.Accept, Mark: testMark(9)})
	c := e.client()
	c.login(supName, supPass)
	code, body := c.get("/review/days")
	if code != 200 || !strings.Contains(body, "<svg") {
		t.Fatalf("days: %d", code)
	}
	// 3 bar segments: ACCEPT (24th), REJECT and NOT_A_MARK (25th): one per
	// verdict and day, however many reasons the rejection had.
	if n := strings.Count(body, "<rect x="); n != 3 {
		t.Fatalf("%d bar segments, want 3", n)
	}
	if !strings.Contains(body, `id="period-total"><span class="ru">Всего сканов за период:</span><span class="en">Scans in the period:</span> <strong>3</strong>`) {
		t.Fatal("the period total is not the number of scans (3)")
	}
	for _, s := range []string{`data-code="UNDERPAID"`, `data-code="EXPIRED"`, "Оплачено меньше тарифа", "Не марка", "Принято",
		"24.11.2026", "25.11.2026"} {
		if !strings.Contains(body, s) {
			t.Fatalf("day view lacks %q", s)
		}
	}
	if code, _ := c.get("/review/days?from=2026-11-30&to=2026-11-01"); code != 400 {
		t.Fatalf("reversed range: %d, want 400", code)
	}
}

func TestDetailAndFrame(t *testing.T) {
	e := newEnv(t, nil)
	jpeg := []byte{0xff, 0xd8, 0xff, 0xe0, 'J', 'F', 'I', 'F'}
	e.insert(mark.Record{ID: "f1", At: e.clock.Now(), Office: 426000, Counter: "A", Text: "EPM1:<script>alert(1)</script>",
		Verdict: mark.Reject, Reasons: []mark.Reason{mark.ReasonReused}, Mark: testMark(5), Frame: jpeg})
	c := e.client()
	c.login(supName, supPass)
	code, body := c.get("/review/f1")
	if code != 200 {
		t.Fatalf("detail: %d", code)
	}
	for _, s := range []string{"Марка уже использована", "The mark has already been used", "50,00 ₽", "42600000000015",
		"заказное письмо", `src="/review/f1/frame.jpg"`, "EPM1:&lt;script&gt;"} {
		if !strings.Contains(body, s) {
			t.Fatalf("detail page lacks %q", s)
		}
	}
	if strings.Contains(body, "<script>alert") {
		t.Fatal("raw text is not escaped")
	}
	code, img, hdr := c.do("GET", "/review/f1/frame.jpg", nil, nil)
	if code != 200 || hdr.Get("Content-Type") != "image/jpeg" || img != string(jpeg) {
		t.Fatalf("frame: %d %q", code, hdr.Get("Content-Type"))
	}
}

func TestOperatorLive(t *testing.T) {
	e := newEnv(t, func(o *Options) {})
	e.srv.heartbit = 50 * time.Millisecond
	c := e.client()
	c.login(opName, opPass)
	req, _ := http.NewRequest("GET", e.ts.URL+"/operator/live", nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := c.hc.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("live: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	br := bufio.NewReader(res.Body)
	readEvent := func() (string, string) {
		var kind, data string
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("stream ended: %v", err)
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case strings.HasPrefix(line, "event: "):
				kind = line[7:]
			case strings.HasPrefix(line, "data: "):
				data = line[6:]
			case line == "" && kind != "":
				return kind, data
			}
		}
	}
	kind, data := readEvent()
	if kind != "health" || !strings.Contains(data, `"name":"cam"`) || !strings.Contains(data, `"up":false`) {
		t.Fatalf("first event %s %s", kind, data)
	}
	for e.feed.publish(mark.Record{ID: "live1", At: e.clock.Now(), Counter: "A", Verdict: mark.Reject,
		Reasons: []mark.Reason{mark.ReasonUnderpaid}, Mark: testMark(77)}) == 0 {
		t.Fatal("no subscriber")
	}
	for {
		kind, data = readEvent()
		if kind == "scan" {
			break
		}
	}
	for _, s := range []string{`"verdict":"REJECT"`, `"verdict_ru":"ОТКАЗ"`, `"code":"UNDERPAID"`, `"ru":"Оплачено меньше тарифа"`, `"paid":"50,00 ₽"`} {
		if !strings.Contains(data, s) {
			t.Fatalf("scan event lacks %s: %s", s, data)
		}
	}
}

func TestOperatorRecent(t *testing.T) {
	e := newEnv(t, nil)
	for i := 0; i < 25; i++ {
		e.clock.Add(time.Second)
		e.insert(mark.Record{ID: "s" + string(rune('A'+i)), At: e.clock.Now(), Counter: "A", Text: "x", Verdict: mark.NotAMark})
	}
	c := e.client()
	c.login(opName, opPass)
	code, body, _ := c.do("GET", "/operator/recent", nil, map[string]string{"Accept": "application/json"})
	if code != 200 || strings.Count(body, `"verdict":"NOT_A_MARK"`) != recentN || !strings.Contains(body, `"id":"sY"`) || strings.Contains(body, `"id":"sA"`) {
		t.Fatalf("recent: %d %s", code, body)
	}
	code, page := c.get("/")
	if code != 200 || !strings.Contains(page, `src="/static/operator.js"`) || !strings.Contains(page, `id="current"`) {
		t.Fatalf("operator page: %d", code)
	}
}

func TestReuseAlertsShown(t *testing.T) {
	e := newEnv(t, nil)
	e.insert(mark.Record{ID: "here1", At: e.clock.Now(), Office: 426000, Counter: "A", Text: "EPM1:X", Verdict: mark.Accept, Mark: testMark(31)})
	alert := mark.ReuseAlert{ID: 901, RecordID: "here1", Serial: 31, OtherTerminal: "office-101000-1",
		Other: mark.Acceptance{RecordID: "there9", At: e.clock.Now().Add(-time.Hour), Office: 101000, Counter: "7"}, Detected: e.clock.Now()}
	if err := e.db.CompleteUpload(context.Background(), store.UploadDone{Alerts: []mark.ReuseAlert{alert}}); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	c.login(supName, supPass)
	code, body := c.get("/review")
	if code != 200 || !strings.Contains(body, `id="alerts"`) || !strings.Contains(body, "101000") || !strings.Contains(body, `href="/review/here1"`) {
		t.Fatalf("review list does not show the collector's alert: %d", code)
	}
	code, body = c.get("/review/here1")
	if code != 200 || !strings.Contains(body, `id="record-alerts"`) || !strings.Contains(body, "office-101000-1") {
		t.Fatalf("detail page does not show the alert: %d", code)
	}
	if strings.Contains(body, `id="override-form"`) {
		t.Fatal("an accepted record offers review actions")
	}
}

// TestDetailTitleNamesWhatItShows: the detail page of a rejection is
// titled so, that of an accepted record (reached from "first accepted")
// is not called a rejection.
func TestDetailTitleNamesWhatItShows(t *testing.T) {
	e := newEnv(t, nil)
	e.rejected("r1", 1, mark.ReasonExpired)
	e.insert(mark.Record{ID: "a1", At: e.clock.Now(), Office: 426000, Counter: "A", Operator: opName,
		Text: "EPM1:a1", Verdict: mark.Accept, Reasons: []mark.Reason{}, Mark: testMark(2)})
	c := e.client()
	c.login(supName, supPass)
	for id, want := range map[string]string{"r1": `data-ru="Отказ r1 — markd" data-en="Rejection r1 — markd"`,
		"a1": `data-ru="Запись a1 — markd" data-en="Record a1 — markd"`} {
		if code, body := c.get("/review/" + id); code != 200 || !strings.Contains(body, want) {
			t.Errorf("/review/%s: %d, title not %q", id, code, want)
		}
	}
}
