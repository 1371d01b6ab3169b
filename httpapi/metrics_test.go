package httpapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"

	"markd/mark"
)

// TestSourceEventMetrics: each source's event counters are exported as
// counters under its name, kind and event, read at each scrape.
func TestSourceEventMetrics(t *testing.T) {
	m := NewMetrics(nil)
	reconnects := int64(2)
	h := m.handler(func() []mark.SourceHealth {
		return []mark.SourceHealth{
			{Name: "front", Kind: "serial", Up: true, Events: map[string]int64{"reconnect": reconnects, "line_cut": 1, "partial_dropped": 0}},
			{Name: "keys", Kind: "wedge", Events: map[string]int64{"code_lost": 4}},
			{Name: "stdin0", Kind: "stdin", Up: true},
		}
	}, nil, nil)
	scrape := func() string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		b, _ := io.ReadAll(rec.Body)
		return string(b)
	}
	body := scrape()
	for _, want := range []string{
		"# TYPE markd_source_events_total counter",
		`markd_source_events_total{event="reconnect",kind="serial",source="front"} 2`,
		`markd_source_events_total{event="line_cut",kind="serial",source="front"} 1`,
		`markd_source_events_total{event="partial_dropped",kind="serial",source="front"} 0`,
		`markd_source_events_total{event="code_lost",kind="wedge",source="keys"} 4`,
		`markd_source_up{kind="wedge",source="keys"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(body, `markd_source_events_total{event="reconnect",kind="stdin"`) {
		t.Error("a source without events has event counters")
	}
	reconnects = 3
	if body := scrape(); !strings.Contains(body, `markd_source_events_total{event="reconnect",kind="serial",source="front"} 3`) {
		t.Error("the counters are not read again at the next scrape")
	}
}

// TestSourceUpFollowsSources: markd_source_up shows the sources health
// lists now; a line that left the list (the reuse history once restored, a
// source renamed) is gone at the next scrape, not kept at its last 0,
// which kept MarkdSourceDown firing until a restart.
func TestSourceUpFollowsSources(t *testing.T) {
	m := NewMetrics(nil)
	restoring := true
	h := m.handler(func() []mark.SourceHealth {
		out := []mark.SourceHealth{{Name: "front", Kind: "serial", Up: true}}
		if restoring {
			out = append(out, mark.SourceHealth{Name: "reuse history", Kind: "store"})
		}
		return out
	}, nil, nil)
	scrape := func() string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		b, _ := io.ReadAll(rec.Body)
		return string(b)
	}
	if body := scrape(); !strings.Contains(body, `markd_source_up{kind="store",source="reuse history"} 0`) ||
		!strings.Contains(body, `markd_source_up{kind="serial",source="front"} 1`) {
		t.Fatalf("first scrape:\n%s", body)
	}
	restoring = false
	body := scrape()
	if strings.Contains(body, `source="reuse history"`) {
		t.Errorf("the restored history still has a markd_source_up series:\n%s", grepLines(body, "markd_source_up"))
	}
	if !strings.Contains(body, `markd_source_up{kind="serial",source="front"} 1`) {
		t.Errorf("front lost:\n%s", grepLines(body, "markd_source_up"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestAlertedSeriesFromStart: the series an alert takes increase() of are
// there at 0 from the start, so the first reused mark or the first refused
// list after a restart counts (a series born at 1 has no increase).
func TestAlertedSeriesFromStart(t *testing.T) {
	m := NewMetrics(nil)
	rec := httptest.NewRecorder()
	m.handler(nil, nil, nil).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`markd_reject_reasons_total{reason="REUSED"} 0`,
		`markd_reject_reasons_total{reason="BAD_SIGNATURE"} 0`,
		`markd_list_reloads_total{result="refused"} 0`,
		`markd_list_reloads_total{result="ok"} 0`,
		`markd_store_errors_total 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("a fresh /metrics lacks %q", want)
		}
	}
}

// TestStoreUpMetric: markd_store_up is 0 from the scan the store could not
// record until a write works again, whether or not scans come meanwhile
// (markd_store_errors_total alone stops rising when nobody scans, and its
// alert went quiet while the disk was still full).
func TestStoreUpMetric(t *testing.T) {
	e := newEnv(t)
	scrape := func() string {
		t.Helper()
		resp, err := http.Get(e.ts.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if body := scrape(); !strings.Contains(body, "\nmarkd_store_up 1\n") {
		t.Fatalf("fresh store:\n%s", grepLines(body, "markd_store"))
	}
	e.db.FailWrite = func() error { return syscall.ENOSPC }
	if r := e.pipe.Process(context.Background(), mark.Scan{Text: e.sign(1), Source: "t"}); r.Verdict != mark.Error {
		t.Fatalf("verdict on a full disk: %s", r.Verdict)
	}
	for range 2 { // no scan between the scrapes: still down
		if body := scrape(); !strings.Contains(body, "\nmarkd_store_up 0\n") {
			t.Fatalf("store failing:\n%s", grepLines(body, "markd_store"))
		}
	}
	e.db.FailWrite = nil
	e.pipe.Process(context.Background(), mark.Scan{Text: e.sign(1), Source: "t"})
	if body := scrape(); !strings.Contains(body, "\nmarkd_store_up 1\n") {
		t.Fatalf("after recovery:\n%s", grepLines(body, "markd_store"))
	}
}

// TestStoreDiskFreeMetric: /metrics says how much room the store's disk
// has left, so an alert can come before the disk is full (then every scan
// is ERROR). store.TestDiskFree holds the value to a real small disk.
func TestStoreDiskFreeMetric(t *testing.T) {
	e := newEnv(t)
	resp, err := http.Get(e.ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	line := ""
	if i := strings.Index(string(b), "\nmarkd_store_disk_free_bytes "); i >= 0 {
		line, _, _ = strings.Cut(string(b)[i+1:], "\n")
	}
	var v float64
	if _, err := fmt.Sscanf(line, "markd_store_disk_free_bytes %g", &v); err != nil || v <= 0 {
		t.Fatalf("markd_store_disk_free_bytes: %q (%v)", line, err)
	}
}
