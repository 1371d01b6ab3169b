package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
)

// TestScanRefusalShape: a scan that was not recorded (409 a batch not
// open or a key sent with another scan, 503 the store cannot write) is
// answered without "id", as docs/local-api.md and the OpenAPI file say
// ("no id", "absent when nothing was recorded"): it was "id": "", which a
// program testing for the key took for a record. A scan refused before it
// was judged (its Idempotency-Key names another scan) names the text,
// counter, office and source of the request: it was "office": 0,
// "counter": "", "text": "".
func TestScanRefusalShape(t *testing.T) {
	e := newBatchEnv(t)
	o := e.srv.opt
	o.Office = 426000
	ts := httptest.NewServer(New(o).Handler())
	defer ts.Close()
	post := func(body string, keys ...string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("POST", ts.URL+"/api/scans", strings.NewReader(body))
		for _, k := range keys {
			req.Header.Add("Idempotency-Key", k)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%d %q", resp.StatusCode, b)
		}
		return resp.StatusCode, m
	}
	one, two := e.sign(1, 77, 20), e.sign(2, 77, 20)
	if code, m := post(scanBody(one, 0, ""), "k-1"); code != 200 || m["id"] == "" || m["id"] == nil {
		t.Fatalf("first: %d %v", code, m)
	}
	// The same key with another scan.
	code, m := post(scanBody(two, 0, ""), "k-1")
	if _, has := m["id"]; code != http.StatusConflict || has || m["verdict"] != "ERROR" {
		t.Errorf("key of another scan: %d %v, want 409 ERROR without id", code, m)
	}
	if m["text"] != two || m["counter"] != "A" || m["office"] != 426000.0 || m["source"] != "api" {
		t.Errorf("key of another scan: text %q counter %v office %v source %v, want the request's", m["text"], m["counter"], m["office"], m["source"])
	}
	// A batch that is not open.
	code, m = post(scanBody(two, 0, "no-such-batch"))
	if _, has := m["id"]; code != http.StatusConflict || has {
		t.Errorf("batch not open: %d %v, want 409 without id", code, m)
	}
	// The store cannot write.
	e.db.FailWrite = func() error { return syscall.ENOSPC }
	code, m = post(scanBody(two, 0, ""))
	e.db.FailWrite = nil
	if _, has := m["id"]; code != http.StatusServiceUnavailable || has {
		t.Errorf("store down: %d %v, want 503 without id", code, m)
	}
	if code, m := post(scanBody(two, 0, ""), "k-2"); code != 200 || m["verdict"] != "ACCEPT" {
		t.Errorf("after the refusals: %d %v, want the scan judged once now", code, m)
	}
}

// TestIdempotencyKeyTwice: a request with two Idempotency-Key headers is
// 400 naming the header, nothing recorded: the first key was used and the
// second dropped without a word, so a retry under the second was judged
// again.
func TestIdempotencyKeyTwice(t *testing.T) {
	e := newBatchEnv(t)
	req, _ := http.NewRequest("POST", e.ts.URL+"/api/scans", strings.NewReader(scanBody(e.sign(1, 77, 20), 0, "")))
	req.Header.Add("Idempotency-Key", "k-2")
	req.Header.Add("Idempotency-Key", "k-3")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	if msg, _ := m["error"].(string); resp.StatusCode != http.StatusBadRequest || !strings.Contains(msg, "Idempotency-Key sent 2 times") {
		t.Errorf("two keys: %d %v, want 400 naming the header", resp.StatusCode, m)
	}
	var page ScansPage
	e.do(t, "GET", "/api/scans", "", &page)
	if len(page.Scans) != 0 {
		t.Errorf("two keys recorded %d scans", len(page.Scans))
	}
}
