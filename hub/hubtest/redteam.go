package hubtest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"markd/hub"
	"markd/mark"
)

// RunRedTeamSuite is the red-team pass of the collector's trust boundary
// (docs/notes/trust.md, "red-team pass, twenty-fourth stop") over real
// HTTP on the backend: a terminal holding valid credentials and a
// stranger without any try what the other suites do not; each attempt
// is refused naming what is wrong, or held as the notes say, and the
// store is unchanged by every refusal.
func RunRedTeamSuite(t *testing.T, open Opener) {
	s := openWithTerminals(t, open, "office-a", "office-b")
	ctx := context.Background()
	// A second terminal of office-a's office: a replay from it is in
	// office, so only the serial check stands between.
	a2 := Terminal("office-a")
	a2.Name, a2.TokenHash = "office-a2", hub.HashToken("tok-office-a2")
	if err := s.AddTerminal(ctx, a2); err != nil {
		t.Fatal(err)
	}
	Publish(t, s)
	hubNow := t0.Add(24 * time.Hour)
	srv := httptest.NewServer(hub.NewServer(s, hub.ServerOptions{Registry: prometheus.NewRegistry(), Now: func() time.Time { return hubNow }}).Handler())
	t.Cleanup(srv.Close)

	send := func(t *testing.T, term string, body []byte, header map[string]string) (int, hub.UploadResponse, hub.ErrorResponse) {
		t.Helper()
		code, _, raw := Post(t, srv.URL, "tok-"+term, "application/json", body, header)
		ok, bad := answerOf(t, code, raw)
		return code, ok, bad
	}
	enc := func(recs ...hub.Record) []byte { b, _ := json.Marshal(hub.UploadRequest{Records: recs}); return b }

	// The store before the refusals: each must leave it as it is.
	if code, _, e := send(t, "office-a", enc(Rec("rt-base", 426000, "1", mark.Accept, 7001)), nil); code != 200 {
		t.Fatalf("base upload: %d %s", code, e.Error)
	}
	before := stats(t, s)
	unchanged := func(t *testing.T) {
		t.Helper()
		if after := stats(t, s); after != before {
			t.Errorf("store changed by a refused upload: %+v, was %+v", after, before)
		}
	}

	t.Run("a compressed body is refused naming Content-Encoding", func(t *testing.T) {
		// No compression is taken, so no bomb can be inflated: a gzip body
		// (a deflate bomb of 8 MiB of zeros here) is refused as such, not
		// as "invalid character '\x1f'" of JSON.
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(enc(Rec("rt-gz", 426000, "1", mark.NotAMark, 0))) //nolint:errcheck // bytes.Buffer
		zw.Write(make([]byte, hub.MaxBody))                        //nolint:errcheck // as above
		zw.Close()
		for _, ce := range []string{"gzip", "deflate", "br", "GZIP", "identity, gzip"} {
			code, _, e := send(t, "office-a", z.Bytes(), map[string]string{"Content-Encoding": ce})
			if code != 400 || e.Field != "Content-Encoding" || !strings.Contains(e.Error, ce) {
				t.Errorf("Content-Encoding %s: %d on %q (%s), want 400 on Content-Encoding naming it", ce, code, e.Field, e.Error)
			}
		}
		if code, _, e := send(t, "office-a", enc(Rec("rt-identity", 426000, "1", mark.NotAMark, 0)),
			map[string]string{"Content-Encoding": "identity"}); code != 200 {
			t.Errorf("Content-Encoding identity: %d %s", code, e.Error)
		}
		before = stats(t, s)
		unchanged(t)
	})

	t.Run("ids a reader cannot tell apart are refused", func(t *testing.T) {
		// An id names a row on the pages, in the logs and the CSV; a
		// control character, a bidirectional override or U+FFFD (what a
		// byte that is not UTF-8 decodes to) makes two ids look alike or
		// reorders what follows. Counters' ids are UUIDs.
		for _, tt := range []struct{ name, id, what string }{
			{"newline", "rt-1\nrt-2", "U+000A"},
			{"escape", "rt-\x1b[31mred", "U+001B"},
			{"DEL", "rt-\x7f", "U+007F"},
			{"C1 CSI", "rt-\u009b2J", "U+009B"},
			{"right-to-left override", "rt-\u202e1-a", "U+202E"},
			{"isolate", "rt-\u20661", "U+2066"},
			{"zero width space", "rt-\u200b1", "U+200B"},
			{"replacement character", "rt-\ufffd", "U+FFFD"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				code, _, e := send(t, "office-a", enc(Rec(tt.id, 426000, "1", mark.NotAMark, 0)), nil)
				if code != 400 || e.Field != "records[0].id" || !strings.Contains(e.Error, tt.what) {
					t.Fatalf("record id %q: %d on %q (%s), want 400 on records[0].id naming %s", tt.id, code, e.Field, e.Error, tt.what)
				}
				q := hub.UploadRequest{Events: []hub.Event{{ID: 1, RecordID: tt.id, Action: hub.ActionConfirm, Actor: "sup", At: t0}}}
				body, _ := json.Marshal(q)
				if code, _, e := send(t, "office-a", body, nil); code != 400 || e.Field != "events[0].record_id" {
					t.Fatalf("event record id %q: %d on %q (%s)", tt.id, code, e.Field, e.Error)
				}
				unchanged(t)
			})
		}
		// Not UTF-8 on the wire: decoded as U+FFFD, refused the same.
		raw := bytes.Replace(enc(Rec("rt-XX", 426000, "1", mark.NotAMark, 0)), []byte("rt-XX"), []byte("rt-\xff\xfe"), 1)
		if code, _, e := send(t, "office-a", raw, nil); code != 400 || e.Field != "records[0].id" || !strings.Contains(e.Error, "U+FFFD") {
			t.Fatalf("id not UTF-8: %d on %q (%s)", code, e.Field, e.Error)
		}
		unchanged(t)
		// Lookalikes of other scripts are ids of their own: the Cyrillic
		// "а" is not the Latin "a", and each is its own record.
		if code, resp, e := send(t, "office-a", enc(Rec("rt-\u0430", 426000, "1", mark.NotAMark, 0), Rec("rt-a", 426000, "1", mark.NotAMark, 0)), nil); code != 200 || resp.Stored != 2 {
			t.Fatalf("lookalike ids: %d %+v %s", code, resp, e.Error)
		}
		before = stats(t, s)
	})

	t.Run("first_accepted is held to the limits of what it names", func(t *testing.T) {
		// A DUPLICATE_SCAN's first acceptance (mark.Acceptance) was stored
		// unchecked: a record id of 100 KiB where ids have 64 bytes, a
		// counter name of 100 KiB where names have 128, an office no
		// postal index is.
		long := strings.Repeat("x", 100<<10)
		for _, tt := range []struct {
			field string
			a     mark.Acceptance
		}{
			{"records[0].first_accepted.record_id", mark.Acceptance{RecordID: long, At: t0, Office: 426000, Counter: "1"}},
			{"records[0].first_accepted.counter", mark.Acceptance{RecordID: "rt-first", At: t0, Office: 426000, Counter: long}},
			{"records[0].first_accepted.office", mark.Acceptance{RecordID: "rt-first", At: t0, Office: 4260000, Counter: "1"}},
		} {
			r := Rec("rt-dup", 426000, "1", mark.DuplicateScan, 7001)
			r.FirstAccepted = &tt.a
			code, _, e := send(t, "office-a", enc(r), nil)
			if code != 400 || e.Field != tt.field {
				t.Errorf("first_accepted %.40q…: %d on %q (%s), want 400 on %s", tt.a.RecordID+"/"+tt.a.Counter, code, e.Field, e.Error, tt.field)
			}
			unchanged(t)
		}
		// What a counter sends: another terminal's record, restored.
		r := Rec("rt-dup-ok", 426000, "1", mark.DuplicateScan, 7001)
		r.FirstAccepted = &mark.Acceptance{RecordID: "0193a1c2-0000-7000-8000-000000000001", At: t0, Office: 101000, Counter: "4"}
		if code, _, e := send(t, "office-a", enc(r), nil); code != 200 {
			t.Fatalf("a counter's first_accepted: %d %s", code, e.Error)
		}
		before = stats(t, s)
	})

	t.Run("numbers and times that are not what they claim", func(t *testing.T) {
		// Each replaces one value of a good record in the JSON itself.
		good := string(enc(Rec("rt-num", 426000, "1", mark.NotAMark, 0)))
		at, _ := json.Marshal(t0)
		for _, tt := range []struct{ name, from, to, field string }{
			{"at_offset beyond int32", `"office":`, `"at_offset":2147483648,"office":`, "records[0].at_offset"},
			{"at_offset a fraction", `"office":`, `"at_offset":3600.5,"office":`, "records[0].at_offset"},
			{"at_offset NaN", `"office":`, `"at_offset":"NaN","office":`, "records[0].at_offset"},
			{"at_offset 1e400", `"office":`, `"at_offset":1e400,"office":`, "records[0].at_offset"},
			{"at_offset a day and more", `"office":`, `"at_offset":90000,"office":`, "records[0].at_offset"},
			{"at_zone without at_offset", `"office":`, `"at_zone":"Europe/Moscow","office":`, "records[0].at_zone"},
			{"at_zone 129 bytes", `"office":`, `"at_offset":0,"at_zone":"` + strings.Repeat("z", 129) + `","office":`, "records[0].at_zone"},
			{"at_zone_data without at_offset", `"office":`, `"at_zone_data":"embedded 2025c","office":`, "records[0].at_zone_data"},
			{"at_zone_data 129 bytes", `"office":`, `"at_offset":0,"at_zone_data":"` + strings.Repeat("z", 129) + `","office":`, "records[0].at_zone_data"},
			{"at_zone_data a number", `"office":`, `"at_offset":0,"at_zone_data":2025,"office":`, "records[0].at_zone_data"},
			{"at in year 275760", string(at), `"+275760-09-13T00:00:00Z"`, "records[0].at"},
			{"at with offset +99:00", string(at), `"2026-11-24T09:00:00+99:00"`, "records[0].at"},
			{"at without zone", string(at), `"2026-11-24T09:00:00"`, "records[0].at"},
			{"at as a number", string(at), `1795510800`, "records[0].at"},
			{"office negative", `"office":426000`, `"office":-426000`, "records[0].office"},
			{"a record naming another terminal", `"office":`, `"terminal":"office-b","office":`, "records[0]"},
			{"a record naming another terminal, in capitals", `"office":`, `"Terminal":"office-b","office":`, "records[0]"},
			{"weight as exponent", `"verdict"`, `"measured_weight_g":1e3,"verdict"`, "records[0].measured_weight_g"},
		} {
			body := strings.Replace(good, tt.from, tt.to, 1)
			if body == good {
				t.Fatalf("%s: %q not in %s", tt.name, tt.from, good)
			}
			code, _, e := send(t, "office-a", []byte(body), nil)
			if code != 400 || e.Field != tt.field {
				t.Errorf("%s: %d on %q (%s), want 400 on %s", tt.name, code, e.Field, e.Error, tt.field)
			}
		}
		unchanged(t)
	})

	t.Run("8 MiB of empty elements is refused before it is decoded", func(t *testing.T) {
		// {"records":[{},{},…]} is 2.8 million records in 8 MiB: decoded
		// first and counted after, it made the collector allocate 6 GiB
		// (384 bytes a Record, the slice doubling) over ~15 s of CPU before
		// the 400, and a few such uploads at once took it down. The arrays
		// are now counted in one pass over the bytes first.
		for _, tt := range []struct{ list, elem, field string }{
			{"records", "{},", "records"},
			{"events", "{},", "events"},
			{"batches", "{},", "batches"},
			{"ack_alerts", "1,", "ack_alerts"},
			{"reasons", `"",`, "records[0].reasons"},
		} {
			n := (hub.MaxBody - 200) / len(tt.elem)
			many := strings.Repeat(tt.elem, n) + strings.TrimSuffix(tt.elem, ",")
			body := `{"` + tt.list + `":[` + many + `]}`
			if tt.list == "reasons" {
				body = `{"records":[{"id":"x","reasons":[` + many + `]}]}`
			}
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			code, _, e := send(t, "office-a", []byte(body), nil)
			runtime.ReadMemStats(&m1)
			if code != 400 || e.Field != tt.field {
				t.Errorf("%s: %d on %q (%s), want 400 on %s", tt.list, code, e.Field, e.Error, tt.field)
			}
			// The server runs in this process: what it allocated is here.
			if mib := (m1.TotalAlloc - m0.TotalAlloc) >> 20; mib > 128 {
				t.Errorf("%s: %d MiB allocated for an 8 MiB body", tt.list, mib)
			}
		}
		unchanged(t)
	})

	t.Run("a refusal does not store or answer what the body named", func(t *testing.T) {
		// A list under a 1 MiB key: the refusal named the key as the
		// field, answered it and kept it on /refused (100 such a terminal).
		key := strings.Repeat("k", 1<<20)
		body := `{"` + key + `":[` + strings.Repeat("1,", 10_000) + `1]}`
		code, _, e := send(t, "office-a", []byte(body), nil)
		if code != 400 || len(e.Field) > 64 || len(e.Error) > 2000 {
			t.Fatalf("list under a 1 MiB key: %d, field of %d bytes, error of %d", code, len(e.Field), len(e.Error))
		}
		// A record id of 1 MiB: refused on records[0].id, and the refusal
		// kept that id whole as the record it names.
		if code, _, e := send(t, "office-a", enc(Rec(key, 426000, "1", mark.NotAMark, 0)), nil); code != 400 || e.Field != "records[0].id" {
			t.Fatalf("1 MiB id: %d on %q", code, e.Field)
		}
		rs, ok := s.(hub.Refusals)
		if !ok {
			t.Fatalf("%T keeps no refusals", s)
		}
		list, err := rs.Refused(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range list {
			if len(r.Field) > 200 || len(r.Why) > 2000 || len(r.RecordID) > 200 {
				t.Errorf("refusal kept with a field of %d bytes, why of %d, record id of %d", len(r.Field), len(r.Why), len(r.RecordID))
			}
		}
		unchanged(t)
	})

	t.Run("one terminal's uploads at once are bounded", func(t *testing.T) {
		testInFlight(t, s, hubNow)
		before = stats(t, s)
	})

	t.Run("a replay of another terminal's record claims nothing quietly", func(t *testing.T) {
		// office-a2 (the same office) sends office-a's signed record as
		// its own: stored as office-a2's, and the serial's reuse alerts
		// both; office-a's record is as it was.
		orig, err := s.Record(ctx, "office-a", "rt-base")
		if err != nil {
			t.Fatal(err)
		}
		code, resp, e := send(t, "office-a2", enc(Rec("rt-base", 426000, "1", mark.Accept, 7001)), nil)
		if code != 200 || resp.Stored != 1 || len(resp.Alerts) != 1 || resp.Alerts[0].OtherTerminal != "office-a" {
			t.Fatalf("replay: %d %+v %s", code, resp, e.Error)
		}
		again, err := s.Record(ctx, "office-a", "rt-base")
		if err != nil || again.Digest != orig.Digest || !again.ReceivedAt.Equal(orig.ReceivedAt) {
			t.Fatalf("office-a's record after the replay: %+v %v", again, err)
		}
		// From another office: refused on the office, as RunTrustSuite holds.
		if code, _, e := send(t, "office-b", enc(Rec("rt-base", 426000, "1", mark.Accept, 7001)), nil); code != 400 || e.Field != "records[0].office" {
			t.Fatalf("replay from another office: %d on %q", code, e.Field)
		}
		before = stats(t, s)
	})

	t.Run("a stranger's large body is not waited for", func(t *testing.T) {
		// No token, a Content-Length of 5 MiB and no body sent: the
		// answer is 401 at once, the collector reads none of it.
		conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, "POST /v1/upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5242880\r\n\r\n{"); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck // a net.Conn
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no answer while the body is held back: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("stranger: %d, want 401", resp.StatusCode)
		}
		unchanged(t)
	})

	t.Run("certificates the collector's CA did not issue for a client", func(t *testing.T) {
		pki, other := NewPKI(t), NewPKI(t)
		ts := httptest.NewUnstartedServer(hub.NewServer(s, hub.ServerOptions{Now: func() time.Time { return hubNow }}).Handler())
		ts.TLS = pki.ServerTLS(t)
		ts.StartTLS()
		t.Cleanup(ts.Close)
		client := func(p *PKI, cn string, server bool) *http.Client {
			cf, kf := p.Issue(t, cn, server)
			cert, err := tls.LoadX509KeyPair(cf, kf)
			if err != nil {
				t.Fatal(err)
			}
			return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.Pool,
				Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}}
		}
		try := func(cl *http.Client, tok string, rec hub.Record) (int, hub.ErrorResponse, error) {
			req, _ := http.NewRequest(http.MethodPost, ts.URL+"/v1/upload", bytes.NewReader(enc(rec)))
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			resp, err := cl.Do(req)
			if err != nil {
				return 0, hub.ErrorResponse{}, err
			}
			defer resp.Body.Close()
			var e hub.ErrorResponse
			_ = json.NewDecoder(resp.Body).Decode(&e)
			return resp.StatusCode, e, nil
		}
		// Another CA's certificate for a registered name, and the right
		// CA's certificate for a server (no client use): the handshake
		// fails, nothing is taken.
		for what, cl := range map[string]*http.Client{
			"another CA's":         client(other, "office-a", false),
			"a server certificate": client(pki, "office-a", true),
		} {
			if code, e, err := try(cl, "", Rec("rt-cert", 426000, "1", mark.NotAMark, 0)); err == nil {
				t.Errorf("%s certificate for office-a: %d %s, want the handshake refused", what, code, e.Error)
			}
		}
		unchanged(t)
		// A verified certificate outranks a token: office-a2's certificate
		// with office-b's token uploads as office-a2, so office-b's record
		// is refused on its office.
		cl := client(pki, "office-a2", false)
		if code, e, err := try(cl, "tok-office-b", Rec("rt-mix", 101000, "4", mark.NotAMark, 0)); err != nil || code != 400 ||
			e.Field != "records[0].office" || !strings.Contains(e.Error, "office-a2") {
			t.Errorf("office-a2's certificate with office-b's token: %d %+v %v", code, e, err)
		}
		unchanged(t)
	})
}
