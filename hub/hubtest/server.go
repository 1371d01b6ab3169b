package hubtest

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"markd/hub"
	"markd/mark"
)

// RunServerSuite runs the HTTP API on a real loopback server over a store
// of the backend.
func RunServerSuite(t *testing.T, open Opener) {
	s := openWithTerminals(t, open, "office-a", "office-b")
	ctx := context.Background()
	Publish(t, s) // bundle 1: the keyring of Rec's marks
	hubNow := t0.Add(24 * time.Hour)
	api := hub.NewServer(s, hub.ServerOptions{Registry: prometheus.NewRegistry(), Now: func() time.Time { return hubNow }})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)

	post := func(token, ctype string, body []byte) (int, hub.ErrorResponse, []byte) {
		code, _, raw := Post(t, srv.URL, token, ctype, body, nil)
		return code, refusalOf(t, code, raw), raw
	}
	enc := func(v any) []byte { b, _ := json.Marshal(v); return b }
	good := hub.UploadRequest{Records: []hub.Record{Rec("a-1", 426000, "1", mark.Accept, 42)}}
	badVerdict := good
	badVerdict.Records = []hub.Record{Rec("a-2", 426000, "1", "MAYBE", 0)}
	noMark := hub.UploadRequest{Records: []hub.Record{Rec("a-3", 426000, "1", mark.Accept, 0)}}
	tooMany := hub.UploadRequest{Records: make([]hub.Record, hub.MaxRecords+1)}
	at := func(id string, t time.Time) []byte {
		r := Rec(id, 426000, "1", mark.Accept, 4242)
		r.At = t
		return enc(hub.UploadRequest{Records: []hub.Record{r}})
	}
	huge := []byte(`{"records":[{"id":"` + strings.Repeat("x", hub.MaxBody) + `"}]}`)

	tests := []struct {
		name, token, ctype string
		body               []byte
		code               int
		field              string
	}{
		{"no token", "", "application/json", enc(good), 401, ""},
		{"wrong token", "tok-nobody", "application/json", enc(good), 401, ""},
		{"ok", "tok-office-a", "application/json", enc(good), 200, ""},
		{"retry is fine", "tok-office-a", "application/json", enc(good), 200, ""},
		{"bad verdict", "tok-office-a", "application/json", enc(badVerdict), 400, "records[0].verdict"},
		{"accept without mark", "tok-office-a", "application/json", enc(noMark), 400, "records[0].mark"},
		{"unknown field", "tok-office-a", "application/json", []byte(`{"recordz":[]}`), 400, ""},
		// encoding/json read "ID" as id, "Record_ID" as record_id: refused, naming the row
		{"key in another case", "tok-office-a", "application/json", []byte(`{"records":[{"ID":"a-9"}]}`), 400, "records[0]"},
		{"event key in another case", "tok-office-a", "application/json", []byte(`{"events":[{"Record_ID":"a-1"}]}`), 400, "events[0]"},
		{"wrong type", "tok-office-a", "application/json", []byte(`{"records":[{"office":"x"}]}`), 400, "records[0].office"},
		{"not json", "tok-office-a", "application/json", []byte(`{`), 400, ""},
		{"trailing data", "tok-office-a", "application/json", []byte(`{} {}`), 400, ""},
		{"too many records", "tok-office-a", "application/json", enc(tooMany), 400, "records"},
		{"body too large", "tok-office-a", "application/json", huge, 413, ""},
		{"wrong content type", "tok-office-a", "text/plain", enc(good), 400, "Content-Type"},
		{"at 1970", "tok-office-a", "application/json", at("t-1970", time.Unix(0, 0)), 400, "records[0].at"},
		{"at 2999", "tok-office-a", "application/json", at("t-2999", time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC)), 400, "records[0].at"},
		{"at 0001-01-01", "tok-office-a", "application/json", at("t-0001", time.Time{}), 400, "records[0].at"},
		{"at before the issue date", "tok-office-a", "application/json", at("t-issue", time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)), 400, "records[0].at"},
		{"at 11 min ahead of the hub", "tok-office-a", "application/json", at("t-ahead", hubNow.Add(11*time.Minute)), 400, "records[0].at"},
		{"at 9 min ahead of the hub", "tok-office-a", "application/json", at("t-ahead-ok", hubNow.Add(9*time.Minute)), 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, e, raw := post(tt.token, tt.ctype, tt.body)
			if code != tt.code {
				t.Fatalf("status %d, want %d: %s", code, tt.code, raw)
			}
			if e.Field != tt.field {
				t.Fatalf("field %q, want %q (%s)", e.Field, tt.field, e.Error)
			}
			if code != 200 && e.Error == "" {
				t.Fatalf("error response without a message")
			}
			if tt.name == "unknown field" && !strings.Contains(e.Error, "recordz") {
				t.Fatalf("unknown field not named: %q", e.Error)
			}
		})
	}
	t.Run("refusals kept", func(t *testing.T) {
		rs, ok := s.(hub.Refusals)
		if !ok {
			t.Fatalf("%T does not keep refusals", s)
		}
		if code, _, _ := post("tok-office-a", "application/json", enc(badVerdict)); code != 400 { // the same again: counted
			t.Fatalf("bad verdict again: %d", code)
		}
		list, err := rs.Refused(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]hub.Refusal{}
		for _, r := range list {
			if r.Terminal != "office-a" || r.Office != 426000 || !r.Last.Equal(hubNow) {
				t.Errorf("refusal %v: want office-a of 426000 at %v", r, hubNow)
			}
			got[r.Field+" "+r.RecordID] = r
		}
		if r := got["records[0].verdict a-2"]; r.Status != 400 || r.Times != 2 || !strings.Contains(r.Why, "MAYBE") || !r.RecordAt.Equal(t0) {
			t.Errorf("bad verdict refusal: %v", r)
		}
		if r := got["records[0].at t-issue"]; r.Serial != 4242 || r.Times != 1 {
			t.Errorf("scan time refusal: %v, want serial 4242", r)
		}
		for _, key := range []string{"Content-Type ", "records[0].mark a-3", "records ", "records[0].office ", "records[0].at t-1970"} {
			if _, ok := got[key]; !ok {
				t.Errorf("no refusal %q in %v", key, list)
			}
		}
		if len(list) != 15 { // the table's 15 refusals (401 and 413 are not kept; the repeat counts on its row)
			for _, r := range list {
				t.Log(r)
			}
			t.Errorf("%d refusals kept", len(list))
		}
	})
	t.Run("response", func(t *testing.T) {
		q := hub.UploadRequest{Records: []hub.Record{Rec("b-1", 101000, "1", mark.Accept, 42), Rec("b-2", 101000, "1", mark.Reject, 43)}}
		code, _, raw := post("tok-office-b", "application/json", enc(q))
		var r hub.UploadResponse
		if err := json.Unmarshal(raw, &r); code != 200 || err != nil {
			t.Fatalf("%d %s", code, raw)
		}
		if r.Stored != 2 || len(r.Alerts) != 1 || r.Alerts[0].OtherTerminal != "office-a" {
			t.Fatalf("response = %+v", r)
		}
	})
	t.Run("bundle", func(t *testing.T) {
		get := func(after, token string) (*http.Response, []byte) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/bundle?after="+after, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp, b
		}
		if r, _ := get("1", "tok-office-a"); r.StatusCode != 204 {
			t.Fatalf("no newer bundle: %d", r.StatusCode)
		}
		if err := s.PutBundle(ctx, 3, []byte(`{"signed":true}`), t0); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			after, token string
			code         int
		}{{"0", "tok-office-a", 200}, {"2", "tok-office-b", 200}, {"3", "tok-office-a", 204}, {"9", "tok-office-a", 204},
			{"x", "tok-office-a", 400}, {"0", "bad", 401}}
		for _, tt := range tests {
			r, b := get(tt.after, tt.token)
			if r.StatusCode != tt.code {
				t.Fatalf("after=%s: %d, want %d (%s)", tt.after, r.StatusCode, tt.code, b)
			}
			if tt.code == 200 && (r.Header.Get("X-Bundle-Version") != "3" || string(b) != `{"signed":true}`) {
				t.Fatalf("bundle answer %q %q", r.Header.Get("X-Bundle-Version"), b)
			}
		}
	})
	t.Run("terminal clock noted", func(t *testing.T) {
		for _, skew := range []time.Duration{3 * time.Minute, -2 * 24 * time.Hour} {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/upload", strings.NewReader(`{}`))
			req.Header.Set("Authorization", "Bearer tok-office-b")
			req.Header.Set("Date", hubNow.Add(skew).Format(http.TimeFormat))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			term, err := s.Terminal(ctx, "office-b")
			if err != nil {
				t.Fatal(err)
			}
			if d := term.ClockSkew - skew; d < 0 || d > time.Second || !term.SeenAt.Equal(hubNow) {
				t.Fatalf("skew %v seen %v, want %v at %v", term.ClockSkew, term.SeenAt, skew, hubNow)
			}
		}
	})
	t.Run("records waiting reported", func(t *testing.T) {
		send := func(waiting []string) (int, hub.ErrorResponse) {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/upload", strings.NewReader(`{}`))
			req.Header.Set("Authorization", "Bearer tok-office-b")
			for _, w := range waiting {
				req.Header.Add(hub.HeaderWaiting, w)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e hub.ErrorResponse
			if resp.StatusCode != 200 {
				json.NewDecoder(resp.Body).Decode(&e) //nolint:errcheck // checked by the caller's field test
			}
			return resp.StatusCode, e
		}
		waiting := func() (int64, time.Time) {
			term, err := s.Terminal(ctx, "office-b")
			if err != nil {
				t.Fatal(err)
			}
			return term.Waiting, term.WaitingAt
		}
		if code, _ := send(nil); code != 200 {
			t.Fatalf("no header: %d", code)
		}
		if n, at := waiting(); n != 0 || !at.IsZero() {
			t.Fatalf("never reported: %d at %v, want unknown (zero time)", n, at)
		}
		for _, tt := range []struct {
			value []string
			code  int
			want  int64
		}{{[]string{"1234"}, 200, 1234}, {[]string{"0"}, 200, 0}, {[]string{" 17 "}, 200, 17},
			{[]string{"x"}, 400, 17}, {[]string{"-1"}, 400, 17}, {[]string{"2000000000000"}, 400, 17},
			{[]string{"1", "2"}, 400, 17}, {nil, 200, 17}} {
			code, e := send(tt.value)
			if code != tt.code || (code == 400 && e.Field != hub.HeaderWaiting) {
				t.Fatalf("%q: %d on %q, want %d", tt.value, code, e.Field, tt.code)
			}
			if n, at := waiting(); n != tt.want || !at.Equal(hubNow) {
				t.Fatalf("after %q: %d at %v, want %d at %v", tt.value, n, at, tt.want, hubNow)
			}
		}
	})
	t.Run("Date is the hub's clock", func(t *testing.T) {
		resp, err := http.Get(srv.URL + "/healthz/live")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if d, err := http.ParseTime(resp.Header.Get("Date")); err != nil || !d.Equal(hubNow) {
			t.Fatalf("Date %q, want %v", resp.Header.Get("Date"), hubNow)
		}
	})
	t.Run("metrics and health", func(t *testing.T) {
		for path, want := range map[string]string{
			"/healthz": "ok",
			"/metrics": `markhub_requests_total{code="401",route="upload"} 2`,
		} {
			resp, err := http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
				t.Fatalf("%s: %d, missing %q in\n%s", path, resp.StatusCode, want, b)
			}
		}
	})
	t.Run("mTLS", func(t *testing.T) { testMTLS(t, s) })
}

func testMTLS(t *testing.T, s hub.Store) {
	pki := NewPKI(t)
	ts := httptest.NewUnstartedServer(hub.NewServer(s, hub.ServerOptions{}).Handler())
	ts.TLS = pki.ServerTLS(t)
	ts.StartTLS()
	t.Cleanup(ts.Close)
	tests := []struct {
		cn   string
		code int
	}{{"office-a", 200}, {"office-zz", 403}, {"", 401}}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("cn=%q", tt.cn), func(t *testing.T) {
			cfg := &tls.Config{RootCAs: pki.Pool, MinVersion: tls.VersionTLS12}
			if tt.cn != "" {
				cf, kf := pki.Issue(t, tt.cn, false)
				c, err := tls.LoadX509KeyPair(cf, kf)
				if err != nil {
					t.Fatal(err)
				}
				cfg.Certificates = []tls.Certificate{c}
			}
			cl := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
			resp, err := cl.Post(ts.URL+"/v1/upload", "application/json", strings.NewReader(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.code {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.code)
			}
		})
	}
}
