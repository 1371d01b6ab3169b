package hubtest

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"markd/hub"
	"markd/mark"
)

// RunUntrustedInputSuite holds the upload API, over real HTTP on the
// backend, to what a compromised or broken counter may send beyond the
// server and trust suites: every such request is either stored as the
// backend can hold it or refused with 400 naming the field at fault (which
// the counter sets aside), never answered as the collector's own fault
// (503, retried for ever), never stored other than it was checked.
func RunUntrustedInputSuite(t *testing.T, open Opener) {
	s := openWithTerminals(t, open, "office-a")
	ctx := context.Background()
	Publish(t, s)
	hubNow := t0.Add(24 * time.Hour)
	srv := httptest.NewServer(hub.NewServer(s, hub.ServerOptions{Registry: prometheus.NewRegistry(), Now: func() time.Time { return hubNow }}).Handler())
	t.Cleanup(srv.Close)

	post := func(t *testing.T, ctype string, q hub.UploadRequest) (int, hub.UploadResponse, hub.ErrorResponse) {
		t.Helper()
		body, err := json.Marshal(q)
		if err != nil {
			t.Fatal(err)
		}
		code, _, raw := Post(t, srv.URL, "tok-office-a", ctype, body, nil)
		ok, bad := answerOf(t, code, raw)
		return code, ok, bad
	}
	const office = 426000
	rec := func(id string, v mark.Verdict, serial uint64, change func(*hub.Record)) hub.UploadRequest {
		r := Rec(id, office, "1", v, serial)
		if change != nil {
			change(&r)
		}
		return hub.UploadRequest{Records: []hub.Record{r}}
	}
	batch := func(id string, change func(*hub.Batch)) hub.UploadRequest {
		b := hub.Batch{ID: id, Office: office, Counter: "1", Contract: 7, State: mark.BatchClosed,
			Opened: t0, Closed: t0.Add(time.Hour), Accepted: 3, Rejected: 1, PaidKop: 15000}
		change(&b)
		return hub.UploadRequest{Batches: []hub.Batch{b}}
	}
	event := func(recordID string, at time.Time) hub.UploadRequest {
		return hub.UploadRequest{Events: []hub.Event{{ID: 1, RecordID: recordID, Action: hub.ActionConfirm, Actor: "sup", At: at}}}
	}
	far := time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC)
	long := time.Date(1970, 1, 2, 0, 0, 0, 0, time.UTC)
	const ctJSON = "application/json"

	tests := []struct {
		name, ctype string
		q           hub.UploadRequest
		code        int
		field       string
	}{
		// PostgreSQL's text holds no NUL: an id with one is refused, …
		{"NUL in a record id", ctJSON, rec("u-nul\x00", mark.NotAMark, 0, nil), 400, "records[0].id"},
		{"NUL in a batch id", ctJSON, batch("b-nul\x00", func(*hub.Batch) {}), 400, "batches[0].id"},
		{"NUL in an event's record id", ctJSON, event("u-1\x00", t0), 400, "events[0].record_id"},
		// … other text is stored with U+FFFD for it (below).
		{"NUL in the text and names", ctJSON, rec("u-text", mark.NotAMark, 0, func(r *hub.Record) {
			r.Text, r.Message, r.Operator, r.Counter = "noise\x00on the line", "m\x00", "op\x00", "1\x00"
		}), 200, ""},
		{"NUL in a batch's names", ctJSON, batch("b-names", func(b *hub.Batch) { b.Counter, b.Operator = "1\x00", "op\x00" }), 200, ""},
		// Values an INTEGER column cannot hold (PostgreSQL stored the weight
		// wrapped, and refused the batch as its own fault).
		{"weight above the column", ctJSON, rec("u-w1", mark.NotAMark, 0, func(r *hub.Record) { r.MeasuredWeightG = 3_000_000_000 }), 400, "records[0].measured_weight_g"},
		{"negative weight", ctJSON, rec("u-w2", mark.NotAMark, 0, func(r *hub.Record) { r.MeasuredWeightG = -5 }), 400, "records[0].measured_weight_g"},
		{"batch count above the column", ctJSON, batch("b-big", func(b *hub.Batch) { b.Accepted = 3_000_000_000 }), 400, "batches[0].accepted"},
		// A verdict that contradicts its reasons (MARK-FORMAT §7).
		{"ACCEPT naming a reason", ctJSON, rec("u-v1", mark.Accept, 8001, func(r *hub.Record) { r.Reasons = []mark.Reason{mark.ReasonExpired} }), 400, "records[0].reasons"},
		{"REJECT without a reason", ctJSON, rec("u-v2", mark.Reject, 8002, func(r *hub.Record) { r.Reasons = []mark.Reason{} }), 400, "records[0].reasons"},
		{"a reason twice", ctJSON, rec("u-v3", mark.Reject, 8003, func(r *hub.Record) { r.Reasons = []mark.Reason{mark.ReasonUnderpaid, mark.ReasonUnderpaid} }), 400, "records[0].reasons[1]"},
		// Times of decisions and batches, as those of scans.
		{"event in 2999", ctJSON, event("u-text", far), 400, "events[0].at"},
		{"event in 1970", ctJSON, event("u-text", long), 400, "events[0].at"},
		{"batch closed in 2999", ctJSON, batch("b-far", func(b *hub.Batch) { b.Closed = far }), 400, "batches[0].closed_at"},
		{"batch opened in 1970", ctJSON, batch("b-long", func(b *hub.Batch) { b.Opened = long }), 400, "batches[0].opened_at"},
		// A day ahead at most: a clock minutes ahead is no reason to set a
		// batch or decision aside (a record stamped so waits instead).
		{"batch closed 25 h ahead", ctJSON, batch("b-ahead", func(b *hub.Batch) { b.Closed = hubNow.Add(25 * time.Hour) }), 400, "batches[0].closed_at"},
		{"batch closed 2 h ahead", ctJSON, batch("b-ahead-ok", func(b *hub.Batch) { b.Closed = hubNow.Add(2 * time.Hour) }), 200, ""},
		{"event 2 h ahead", ctJSON, event("u-text", hubNow.Add(2*time.Hour)), 200, ""},
		// Media types are case-insensitive (RFC 9110 §8.3.1); only JSON.
		{"content type in capitals", "Application/JSON", rec("u-ct1", mark.NotAMark, 0, nil), 200, ""},
		{"content type with charset", "application/json; charset=utf-8", rec("u-ct2", mark.NotAMark, 0, nil), 200, ""},
		{"content type application/jsonp", "application/jsonp", rec("u-ct3", mark.NotAMark, 0, nil), 400, "Content-Type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, e := post(t, tt.ctype, tt.q)
			if code != tt.code || e.Field != tt.field {
				t.Fatalf("%d on %q (%s), want %d on %q", code, e.Field, e.Error, tt.code, tt.field)
			}
		})
	}
	t.Run("NUL stored as U+FFFD, a repeat is a repeat", func(t *testing.T) {
		r, err := s.Record(ctx, "office-a", "u-text")
		if err != nil {
			t.Fatal(err)
		}
		if r.Text != "noise\uFFFDon the line" || r.Message != "m\uFFFD" || r.Operator != "op\uFFFD" || r.Counter != "1\uFFFD" {
			t.Fatalf("stored %q %q %q %q", r.Text, r.Message, r.Operator, r.Counter)
		}
		code, resp, e := post(t, ctJSON, tests[3].q)
		if code != 200 || resp.Duplicates != 1 || resp.Stored != 0 {
			t.Fatalf("repeat: %d %+v %s", code, resp, e.Error)
		}
	})
	// A supervisor's note comes to the collector with its decision: the
	// review forms' rule (webtext.CheckNote) holds on the API too, so a
	// note is refused naming the character instead of being neutralised
	// only when the questioned feed or a page shows it.
	t.Run("an event's note with control, bidirectional or zero width characters is refused naming it", func(t *testing.T) {
		for i, tt := range []struct{ note, what string }{
			{"checked\x00", "U+0000"},
			{"ok \u202eevil", "U+202E"},
			{"a\u200bb", "U+200B"},
			{"\x1b[31mred", "U+001B"},
			{"a\u2028b", "U+2028"},
		} {
			q := event("u-text", t0.Add(time.Hour))
			q.Events[0].ID, q.Events[0].Note = int64(10+i), tt.note
			code, _, e := post(t, ctJSON, q)
			if code != 400 || e.Field != "events[0].note" || !strings.Contains(e.Error, tt.what) {
				t.Errorf("note %q: %d on %q (%s); want 400 on events[0].note naming %s", tt.note, code, e.Field, e.Error, tt.what)
			}
		}
		q := event("u-text", t0.Add(time.Hour))
		q.Events[0].ID, q.Events[0].Note = 2, "часы исправлены\r\nпроверено\tдважды"
		for range 2 { // the second is a repeat of the first
			if code, _, e := post(t, ctJSON, q); code != 200 {
				t.Fatalf("event with line breaks and a tab in its note: %d %s", code, e.Error)
			}
		}
	})
	// The supervisor's name on the event: the note's rule and one line
	// (webtext.BadNameChar); until 2026-12-04 only its length was checked,
	// a NUL was stored as U+FFFD and the rest passed to the pages and CSV.
	t.Run("an event's actor with control, bidirectional, zero width characters or a line break is refused naming it", func(t *testing.T) {
		for i, tt := range []struct{ actor, what string }{
			{"sup\x00", "character 4 is U+0000"},
			{"s\u202eup", "character 2 is U+202E"},
			{"\u200bsup", "character 1 is U+200B"},
			{"sup\nchief", "character 4 is U+000A"},
			{"sup\tchief", "character 4 is U+0009"},
		} {
			q := event("u-text", t0.Add(time.Hour))
			q.Events[0].ID, q.Events[0].Actor = int64(20+i), tt.actor
			code, _, e := post(t, ctJSON, q)
			if code != 400 || e.Field != "events[0].actor" || !strings.Contains(e.Error, tt.what) {
				t.Errorf("actor %q: %d on %q (%s); want 400 on events[0].actor naming %s", tt.actor, code, e.Field, e.Error, tt.what)
			}
		}
		q := event("u-text", t0.Add(time.Hour))
		q.Events[0].ID, q.Events[0].Actor = 30, "Петрова-2.ivan_x"
		if code, _, e := post(t, ctJSON, q); code != 200 {
			t.Fatalf("event by an account name in Cyrillic with '.', '_', '-': %d %s", code, e.Error)
		}
	})
	t.Run("a new token: the old one is refused", func(t *testing.T) {
		// Last: the suite's uploads use the first token.
		if err := s.SetToken(ctx, "office-a", hub.HashToken("tok-office-a-2")); err != nil {
			t.Fatal(err)
		}
		for tok, want := range map[string]int{"tok-office-a": 401, "tok-office-a-2": 200, "": 401} {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/upload", strings.NewReader(`{}`))
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("token %q: %d, want %d", tok, resp.StatusCode, want)
			}
		}
		if err := s.SetToken(ctx, "ghost", hub.HashToken("x")); !errors.Is(err, mark.ErrNotFound) {
			t.Errorf("token of no terminal: %v", err)
		}
	})
	t.Run("a revoked terminal is refused, by token and by certificate", func(t *testing.T) {
		if err := s.AddTerminal(ctx, hub.Terminal{Name: "office-cert", Office: office, Created: t0}); err != nil {
			t.Fatal(err)
		}
		pki := NewPKI(t)
		ts := httptest.NewUnstartedServer(hub.NewServer(s, hub.ServerOptions{Now: func() time.Time { return hubNow }}).Handler())
		ts.TLS = pki.ServerTLS(t)
		ts.StartTLS()
		t.Cleanup(ts.Close)
		cf, kf := pki.Issue(t, "office-cert", false)
		cert, err := tls.LoadX509KeyPair(cf, kf)
		if err != nil {
			t.Fatal(err)
		}
		byCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.Pool,
			Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}}
		byToken := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.Pool, MinVersion: tls.VersionTLS12}}}
		try := func(cl *http.Client, tok string) (int, hub.ErrorResponse) {
			req, _ := http.NewRequest(http.MethodPost, ts.URL+"/v1/upload", strings.NewReader(`{}`))
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			resp, err := cl.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e hub.ErrorResponse
			_ = json.NewDecoder(resp.Body).Decode(&e)
			return resp.StatusCode, e
		}
		if code, _ := try(byCert, ""); code != 200 {
			t.Fatalf("certificate before the revocation: %d", code)
		}
		for _, name := range []string{"office-cert", "office-a"} {
			if err := s.Revoke(ctx, name, hubNow); err != nil {
				t.Fatal(err)
			}
		}
		for what, code := range map[string]func() (int, hub.ErrorResponse){
			"certificate": func() (int, hub.ErrorResponse) { return try(byCert, "") },
			"token":       func() (int, hub.ErrorResponse) { return try(byToken, "tok-office-a-2") },
		} {
			if c, e := code(); c != 403 || !strings.Contains(e.Error, "revoked") {
				t.Errorf("%s of a revoked terminal: %d %+v", what, c, e)
			}
		}
		// A new token admits the terminal again.
		if err := s.SetToken(ctx, "office-a", hub.HashToken("tok-office-a-3")); err != nil {
			t.Fatal(err)
		}
		if c, e := try(byToken, "tok-office-a-3"); c != 200 {
			t.Errorf("new token after the revocation: %d %+v", c, e)
		}
		if err := s.Revoke(ctx, "ghost", hubNow); !errors.Is(err, mark.ErrNotFound) {
			t.Errorf("revoke no terminal: %v", err)
		}
		// A new certificate readmits the certificate terminal; the revoked
		// one (the same CN, the same CA) stays refused.
		ncf, nkf := pki.Issue(t, "office-cert", false)
		ncert, err := tls.LoadX509KeyPair(ncf, nkf)
		if err != nil {
			t.Fatal(err)
		}
		byNewCert := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.Pool,
			Certificates: []tls.Certificate{ncert}, MinVersion: tls.VersionTLS12}}}
		if err := s.ReadmitCert(ctx, "office-cert", hub.CertSHA256(ncert.Certificate[0])); err != nil {
			t.Fatal(err)
		}
		if c, e := try(byNewCert, ""); c != 200 {
			t.Errorf("new certificate after the readmission: %d %+v", c, e)
		}
		if c, e := try(byCert, ""); c != 403 || !strings.Contains(e.Error, "not the one terminal office-cert was readmitted with") ||
			!strings.Contains(e.Hint, "markhub terminal readmit office-cert --cert") {
			t.Errorf("the revoked certificate after the readmission: %d %+v", c, e)
		}
		if tm, err := s.Terminal(ctx, "office-cert"); err != nil || !tm.Revoked.IsZero() || tm.CertSHA256 != hub.CertSHA256(ncert.Certificate[0]) {
			t.Errorf("readmitted terminal: %+v %v", tm, err)
		}
		if err := s.ReadmitCert(ctx, "ghost", "00"); !errors.Is(err, mark.ErrNotFound) {
			t.Errorf("readmit no terminal: %v", err)
		}
	})
	t.Run("nothing refused was stored", func(t *testing.T) {
		for _, id := range []string{"u-w1", "u-w2", "u-v1", "u-v2", "u-v3", "u-ct3"} {
			if _, err := s.Record(ctx, "office-a", id); err == nil {
				t.Errorf("refused record %s stored", id)
			}
		}
	})
}
