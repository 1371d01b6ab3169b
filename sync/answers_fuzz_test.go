package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"markd/hub"
	"markd/hub/hubtest"
	"markd/internal/jsonkey"
	"markd/mark"
)

// The fuzz tests of the parsers of what the collector (or whatever
// answers in its place) sends: the proxy setting, Retry-After, error
// bodies, the upload answer, the pages of used serials and of questions.
// Their seeds are real answers, recorded from a markhub on a real SQLite
// store (realAnswers), and the pages of proxies that answer in its place.

// recorded is one answer as the counter read it.
type recorded struct {
	path   string
	status int
	body   []byte
}

// realAnswers runs a real markhub behind a recording front, uploads
// through it a counter's questionable rejections and accepts, and asks
// it for its serials and questions and for what it refuses; it returns
// every answer.
func realAnswers(f *testing.F) []recorded {
	f.Helper()
	ctx := context.Background()
	c := newCollector(f, "office-a")
	c.now = func() time.Time { return time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC) }
	var mu gosync.Mutex
	var out []recorded
	h := c.api.Handler()
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		mu.Lock()
		out = append(out, recorded{r.URL.Path, rec.Code, bytes.Clone(rec.Body.Bytes())})
		mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes()) //nolint:errcheck // test server
	}))
	f.Cleanup(front.Close)
	db := openCounter(f)
	scan := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	for i := range 3 {
		addQuestionable(f, db, hubtest.Offices["office-a"], uint64(2100+i), scan.Add(time.Duration(i)*time.Minute))
		addScan(f, db, "1", hubtest.Offices["office-a"], mark.Accept, uint64(2200+i), scan.Add(time.Duration(i)*time.Minute))
	}
	if err := NewUploader(db, newClient(f, front.URL, "office-a"), UploaderOptions{BatchSize: 3}, quiet, nil).Drain(ctx); err != nil {
		f.Fatal(err)
	}
	for _, q := range []struct{ method, path, token, body string }{
		{"GET", "/v1/serials?after=0", "tok-office-a", ""},
		{"GET", "/v1/serials?after=2201", "tok-office-a", ""},
		{"GET", "/v1/serials?after=x", "tok-office-a", ""},
		{"GET", "/v1/questioned?after=0", "tok-office-a", ""},
		{"GET", "/v1/questioned?after=0&limit=1", "tok-office-a", ""},
		{"GET", "/v1/serials?after=0", "tok-wrong", ""},
		{"POST", "/v1/upload", "tok-office-a", `{"records":[{"id":"x"}]}`},
		{"POST", "/v1/upload", "tok-office-a", `{"records":[],"events":[]}`},
		{"PUT", "/v1/upload", "tok-office-a", ""},
	} {
		req, err := http.NewRequest(q.method, front.URL+q.path, strings.NewReader(q.body))
		if err != nil {
			f.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+q.token)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			f.Fatal(err)
		}
		io.Copy(io.Discard, res.Body) //nolint:errcheck // recorded by the front
		res.Body.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	for path, want := range map[string]string{"/v1/questioned": `"record_id"`, "/v1/serials": `"serial"`, "/v1/upload": `"stored"`} {
		found := false
		for _, a := range out {
			found = found || (a.path == path && a.status == http.StatusOK && bytes.Contains(a.body, []byte(want)))
		}
		if !found {
			f.Fatalf("markhub gave no answer on %s with %s to seed with", path, want)
		}
	}
	return out
}

// seedAnswers adds the bodies of the real answers on path (any path for
// ""; errors only: a status not 2xx), and pages of what answers in
// markhub's place.
func seedAnswers(f *testing.F, path string, errorsOnly bool, add func([]byte)) {
	f.Helper()
	n := 0
	for _, a := range realAnswers(f) {
		if (path == "" || a.path == path) && (a.status/100 != 2) == errorsOnly {
			add(a.body)
			n++
		}
	}
	if n == 0 {
		f.Fatalf("no real answer on %q (errors %v) to seed with", path, errorsOnly)
	}
	for _, s := range []string{"", "{}", "null", `{"status":"ok"}`, "[]",
		"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
		"<!DOCTYPE html><html><head><TITLE>ERROR: The requested URL could not be retrieved</TITLE></head><body>squid</body></html>",
		"upstream connect error or disconnect/reset before headers. reset reason: connection failure",
		`{"message":"Internal server error"}`, "\xff\xfe{\x00}", `{"code":"x","error":"` + strings.Repeat("я", 200) + `"}`} {
		add([]byte(s))
	}
}

// FuzzErrorBody: any error answer gives an error text, valid UTF-8 and
// short when it is not markhub's; the StatusError reads.
func FuzzErrorBody(f *testing.F) {
	seedAnswers(f, "", true, func(b []byte) { f.Add(b) })
	f.Fuzz(func(t *testing.T, raw []byte) {
		b := errorBody(raw)
		if b.Error == "" {
			t.Fatalf("%q: no error text", raw)
		}
		if !utf8.ValidString(b.Error) {
			t.Fatalf("%q: error text %q not UTF-8", raw, b.Error)
		}
		if strings.HasSuffix(b.Error, "not from markhub (a proxy in between?)") && len(b.Error) > 2000 {
			t.Fatalf("%q: a text of %d bytes for an answer not markhub's", raw, len(b.Error))
		}
		for _, code := range []int{301, 400, 401, 429, 502} {
			if s := (&StatusError{Code: code, Body: b}).Error(); !strings.HasPrefix(s, "collector answered "+strconv.Itoa(code)) {
				t.Fatalf("%q: %s", raw, s)
			}
		}
	})
}

// FuzzUploadAnswer: an upload answer is taken only when it is JSON
// naming stored, duplicates and events, none of its keys in another
// letter case than markhub's; anything else is an outage
// (mark.ErrUnavailable) or unconfirmed, never an acknowledgement.
func FuzzUploadAnswer(f *testing.F) {
	seedAnswers(f, "/v1/upload", false, func(b []byte) {
		f.Add(b)
		for _, v := range caseVariants(b) {
			f.Add(v)
		}
	})
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, err := uploadAnswer(raw)
		var ue *UnconfirmedError
		switch {
		case err != nil && !errors.Is(err, mark.ErrUnavailable) && !errors.As(err, &ue):
			t.Fatalf("%q: error %v is neither an outage nor unconfirmed", raw, err)
		case err == nil && out == nil:
			t.Fatalf("%q: no answer and no error", raw)
		case err == nil:
			var keys map[string]json.RawMessage // as encoding/json matches keys (any case)
			if json.Unmarshal(raw, &keys) != nil {
				t.Fatalf("%q: taken, not a JSON object", raw)
			}
			named := map[string]bool{}
			for k, v := range keys {
				if string(v) != "null" {
					named[jsonkey.Fold(k)] = true
				}
			}
			for _, k := range []string{"STORED", "DUPLICATES", "EVENTS"} {
				if !named[k] {
					t.Fatalf("%q: taken as an acknowledgement without %s", raw, strings.ToLower(k))
				}
			}
			noCaseKey(t, raw, &hub.UploadResponse{})
		}
	})
}

// trailing is what seeds run on after a real answer: whitespace (taken)
// and data after the JSON value (refused).
var trailing = []string{"\n", " \r\n\t", " {}", "<html>502</html>", "]", "\x00"}

// seedPages adds each real answer on path (seedAnswers) with the cursors
// c0 and c1, and run on by each of trailing and in each of its
// caseVariants with c0.
func seedPages[C uint64 | int64](f *testing.F, path string, c0, c1 C) {
	seedAnswers(f, path, false, func(b []byte) {
		f.Add(b, c0)
		f.Add(b, c1)
		for _, tail := range trailing {
			f.Add(append(bytes.Clone(b), tail...), c0)
		}
		for _, v := range caseVariants(b) {
			f.Add(v, c0)
		}
	})
}

// caseVariants are b with one of markhub's keys in another letter case
// (refused: encoding/json would read it as the key) and with a key the
// counter does not know (a newer markhub's: taken), for seeds.
func caseVariants(b []byte) [][]byte {
	var out [][]byte
	for _, r := range [][2]string{{`"stored":`, `"Stored":`}, {`"events":`, `"EVENTS":`}, {`"serials":`, `"Serials":`},
		{`"serial":`, `"SERIAL":`}, {`"items":`, `"Items":`}, {`"record_id":`, `"Record_ID":`}, {`"next":`, `"Next":`},
		{`{`, `{"from_a_newer_markhub":{"Items":1},`}} {
		if bytes.Contains(b, []byte(r[0])) {
			out = append(out, bytes.Replace(b, []byte(r[0]), []byte(r[1]), 1))
		}
	}
	return out
}

// noCaseKey fails t when raw, taken as an answer into v, has a key that
// is one of v's in another letter case.
func noCaseKey(t *testing.T, raw []byte, v any) {
	t.Helper()
	if ke := jsonkey.Exact(raw, v, jsonkey.CaseOnly); ke != nil {
		t.Fatalf("%q: taken with the key %q for %q (%s)", raw, ke.Key, ke.Known, ke.Path)
	}
}

// FuzzSerialsAnswer: a page of used serials either ends the restore or
// moves the cursor on (a page that does neither would be asked for
// ever), every serial it gives is after the cursor and not past its
// next, and nothing but whitespace follows its JSON value; anything else
// is an error.
func FuzzSerialsAnswer(f *testing.F) {
	seedPages(f, "/v1/serials", uint64(0), uint64(2150))
	f.Add([]byte(`{"office":426000,"serials":[{"serial":5},{"serial":9}],"next":7,"done":false}`), uint64(2))
	f.Add([]byte(`{"office":426000,"serials":[{"serial":9}],"next":3,"done":true}`), uint64(2))
	f.Fuzz(func(t *testing.T, raw []byte, cursor uint64) {
		page, err := serialsAnswer(bytes.NewReader(raw))
		if err != nil {
			if !errors.Is(err, mark.ErrUnavailable) {
				t.Fatalf("%q: error %v is not an outage", raw, err)
			}
			return
		}
		rows, next, err := serialsOf(page, cursor)
		if err != nil {
			if !errors.Is(err, ErrNotCollector) && !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("%q after %d: error %v", raw, cursor, err)
			}
			return
		}
		if page.Office == 0 || next < cursor || (!page.Done && next == cursor) || len(rows) != len(page.Serials) {
			t.Fatalf("%q after %d: taken (office %d, next %d, done %v, %d rows)", raw, cursor, page.Office, next, page.Done, len(rows))
		}
		if !json.Valid(raw) {
			t.Fatalf("%q: taken, not one JSON value (data after it?)", raw)
		}
		noCaseKey(t, raw, &hub.SerialsPage{})
		for _, r := range rows {
			if r.Serial <= cursor || r.Serial > page.Next || r.Office != page.Office {
				t.Fatalf("%q after %d: row %+v", raw, cursor, r)
			}
		}
	})
}

// FuzzQuestionedAnswer: a page of questions is stored only when its
// items lie after the cursor and not past its next and nothing but
// whitespace follows its JSON value; a page saying more wait moves the
// cursor on, so the pull cannot ask the same page for ever; a reviewer's
// name or note is kept bounded and without controls or format characters.
func FuzzQuestionedAnswer(f *testing.F) {
	seedPages(f, "/v1/questioned", int64(0), int64(1))
	f.Add([]byte(`{"items":[{"seq":3,"record_id":"r1","reasons":["UNDERPAID"],"why":"x","state":"reviewed",`+
		`"review_by":"bo\u202ess","review_note":"fixed\r\n\u2066x\u0007"}],"next":3,"done":true,"notes":true}`), int64(0))
	f.Add([]byte(`{"items":[{"seq":3,"record_id":"r1","reasons":["UNDERPAID"],"why":"x","state":"open",`+
		`"review_note":"`+strings.Repeat("x", 2001)+`"}],"next":3,"done":true,"notes":true}`), int64(0))
	f.Fuzz(func(t *testing.T, raw []byte, after int64) {
		page, err := questionedAnswer(bytes.NewReader(raw))
		if err != nil {
			if !errors.Is(err, mark.ErrUnavailable) {
				t.Fatalf("%q: error %v is not an outage", raw, err)
			}
			return
		}
		qs, err := questionsOf(page, after)
		if err != nil {
			if !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("%q after %d: error %v", raw, after, err)
			}
			return
		}
		if page.Next < after || len(qs) != len(page.Items) || (!page.Done && len(qs) > 0 && page.Next == after) {
			t.Fatalf("%q after %d: taken (next %d, done %v, %d items)", raw, after, page.Next, page.Done, len(qs))
		}
		if !json.Valid(raw) {
			t.Fatalf("%q: taken, not one JSON value (data after it?)", raw)
		}
		noCaseKey(t, raw, &hub.QuestionedPage{})
		for _, q := range qs {
			if q.Seq <= after || q.Seq > page.Next {
				t.Fatalf("%q after %d: item %+v outside (%d, %d]", raw, after, q, after, page.Next)
			}
			if len(q.ReviewNote) > hub.MaxDisputeNote || len(q.ReviewBy) > hub.MaxReviewerName ||
				!utf8.ValidString(q.ReviewNote) || strings.ContainsFunc(q.ReviewNote+q.ReviewBy, func(c rune) bool {
				return c != '\n' && c != '\t' && (unicode.IsControl(c) || unicode.Is(unicode.Cf, c))
			}) {
				t.Fatalf("%q after %d: the reviewer's name %q or note %q kept as sent", raw, after, q.ReviewBy, q.ReviewNote)
			}
		}
	})
}

// FuzzParseProxy: a sync.proxy value is an http(s) URL with a host, none,
// or unset, else refused with mark.ErrInvalid; the refusal never shows
// the password.
func FuzzParseProxy(f *testing.F) {
	for _, s := range []string{"", "none", "http://proxy.local:3128", "https://proxy.local", "http://ivan:s3cret@proxy.local:8080",
		"http://ivan:s3cret@proxy.local:99999", "socks5://proxy:1080", "proxy.local:3128", "http://ivan:s3cret@proxy.local/path",
		"http://[::1]:3128", "http://ivan:p%40ss@proxy:1", "http://ivan:s3cret@pro xy:1", "ftp://ivan:s3cret@proxy:21"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseProxy(s)
		if err != nil {
			if !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("%q: error %v is not mark.ErrInvalid", s, err)
			}
			if p, perr := url.Parse(s); perr == nil && p.User != nil {
				pw, ok := p.User.Password()
				leak := p.User.String() + "@"
				if ok && pw != "" && pw != "xxxxx" && !strings.Contains(p.Host+p.Path+p.RawQuery+p.Fragment, pw) &&
					strings.Contains(err.Error(), leak) {
					t.Fatalf("%q: the refusal shows the password: %v", s, err)
				}
			}
			return
		}
		if s == "" || s == ProxyNone {
			if u != nil {
				t.Fatalf("%q: proxy %v, want none", s, u)
			}
			return
		}
		if u == nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
			t.Fatalf("%q: taken as %v", s, u)
		}
	})
}

// FuzzParseRetryAfter: a Retry-After is a wait of 0 or more: seconds as
// given (capped at a year), or the time to an HTTP date after the
// answer's own Date; anything else is none.
func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "0", "-5", " 30 ", "1.5", "99999999999999999999", "Wed, 25 Nov 2026 09:02:00 GMT",
		"Wednesday, 25-Nov-26 09:02:00 GMT", "Wed Nov 25 09:02:00 2026", "Tue, 24 Nov 2026 09:00:00 GMT", "", "soon"} {
		f.Add(s)
	}
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d := parseRetryAfter(v, at)
		if d < 0 {
			t.Fatalf("%q: wait %v", v, d)
		}
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			if want := time.Duration(min(max(n, 0), 366*24*3600)) * time.Second; d != want {
				t.Fatalf("%q: wait %v, want %v", v, d, want)
			}
			return
		}
		if tm, err := http.ParseTime(strings.TrimSpace(v)); err == nil {
			if want := max(tm.Sub(at), 0); d != want {
				t.Fatalf("%q: wait %v, want %v", v, d, want)
			}
			return
		}
		if d != 0 {
			t.Fatalf("%q: wait %v from no number and no date", v, d)
		}
	})
}
