package daemon

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"markd/config"
	"markd/internal/testdata"
	"markd/mark"
	msync "markd/sync"
)

// TestClockImplausibleWithoutCollector runs the daemon without a collector
// (nothing to measure the clock against) on an injected clock: a counter
// PC whose flat CMOS battery started it in 2001 judges no mark by that
// date (a valid mark would be NOT_YET_VALID, stored as refused in 2001):
// ERROR "clock wrong" and a red clock light instead. A clock that an NTP
// correction sets back an hour while it runs does the same; a step back of
// seconds does not.
func TestClockImplausibleWithoutCollector(t *testing.T) {
	var now atomic.Int64 // the injected clock, Unix nanoseconds
	set := func(t time.Time) { now.Store(t.UnixNano()) }
	clock := func() time.Time { return time.Unix(0, now.Load()).UTC() }

	set(time.Date(2001, 1, 1, 9, 0, 0, 0, time.UTC))
	in, feed := io.Pipe()
	t.Cleanup(func() { feed.Close() })
	c := testConfig(t)
	c.Sync.ClockLimit = 5 * time.Minute // the default; no sync.url
	r := start(t, Options{Config: c, Stdin: in, Now: clock})
	scan := func(serial uint64) mark.Record {
		t.Helper()
		if _, err := io.WriteString(feed, signed(t, serial)+"\n"); err != nil {
			t.Fatal(err)
		}
		return r.next(t)
	}
	light := func() (mark.SourceHealth, bool) {
		for _, h := range r.screenHealth() {
			if h.Kind == "clock" {
				return h, true
			}
		}
		return mark.SourceHealth{}, false
	}

	if rec := scan(4801); rec.Verdict != mark.Error || rec.Message != msync.ClockMessage {
		t.Fatalf("clock in 2001: verdict %s %v %q, want ERROR %q", rec.Verdict, rec.Reasons, rec.Message, msync.ClockMessage)
	}
	if h, ok := light(); !ok || h.Up || !strings.Contains(h.Detail, "2001-01-01") || !strings.Contains(h.Name, "call the engineer") {
		t.Fatalf("clock in 2001: light %+v (found %v), want down naming the date read", h, ok)
	}
	metrics := func() string {
		t.Helper()
		resp, err := http.Get(r.HTTP.URL() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if m := metrics(); !strings.Contains(m, `markd_sync_clock_wrong{reason="before_2020"} 1`) || !strings.Contains(m, `markd_sync_clock_wrong{reason="went_back"} 0`) {
		t.Fatalf("clock in 2001: /metrics lacks markd_sync_clock_wrong before_2020 1, went_back 0:\n%s", m)
	}

	set(testNow) // the engineer sets the clock
	if rec := scan(4802); rec.Verdict != mark.Accept {
		t.Fatalf("clock set right: verdict %s %v %q, want ACCEPT", rec.Verdict, rec.Reasons, rec.Message)
	}
	if h, ok := light(); ok {
		t.Fatalf("clock set right: light %+v, want none (no collector to measure against)", h)
	}
	set(testNow.Add(-2 * time.Second)) // NTP steps back by seconds
	if rec := scan(4803); rec.Verdict != mark.Accept {
		t.Fatalf("clock 2 s back: verdict %s %v %q, want ACCEPT", rec.Verdict, rec.Reasons, rec.Message)
	}
	set(testNow.Add(-time.Hour)) // NTP sets it back an hour
	if rec := scan(4804); rec.Verdict != mark.Error || rec.Message != msync.ClockMessage {
		t.Fatalf("clock an hour back: verdict %s %v %q, want ERROR %q", rec.Verdict, rec.Reasons, rec.Message, msync.ClockMessage)
	}
	if h, _ := light(); h.Up || !strings.Contains(h.Detail, "went back") {
		t.Fatalf("clock an hour back: light %+v, want down saying it went back", h)
	}
	if m := metrics(); !strings.Contains(m, `markd_sync_clock_wrong{reason="went_back"} 1`) || !strings.Contains(m, `markd_sync_clock_wrong{reason="before_2020"} 0`) {
		t.Fatalf("clock an hour back: /metrics lacks markd_sync_clock_wrong went_back 1, before_2020 0:\n%s", m)
	}
}

// TestClockBehindStoreWithCollector restarts a counter whose clock was
// reset (a BIOS date of 2023, after 2020) behind the scans it already
// stored, with its collector out of reach: until the collector measures
// the clock, the verdicts it would date are ERROR "clock wrong".
func TestClockBehindStoreWithCollector(t *testing.T) {
	c := testConfig(t)
	in, feed := io.Pipe()
	r := start(t, Options{Config: c, Stdin: in})
	if _, err := io.WriteString(feed, signed(t, 4901)+"\n"); err != nil {
		t.Fatal(err)
	}
	if rec := r.next(t); rec.Verdict != mark.Accept {
		t.Fatalf("first run: verdict %s %v", rec.Verdict, rec.Reasons)
	}
	feed.Close()
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}

	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close() // a collector out of reach
	c.Sync = config.SyncConfig{URL: gone.URL, Token: "tok-a", BatchSize: 100, BatchAge: time.Second,
		Interval: time.Hour, MaxBackoff: time.Hour, ClockLimit: 5 * time.Minute}
	in, feed = io.Pipe()
	t.Cleanup(func() { feed.Close() })
	reset := time.Date(2023, 6, 1, 9, 0, 0, 0, time.UTC)
	r = start(t, Options{Config: c, Stdin: in, Now: func() time.Time { return reset }})
	m := testdata.ValidMark(4902, mark.DayOf(reset)) // valid on the day the clock reads
	m.Contract = 5
	if _, err := io.WriteString(feed, testdata.Signer(t)(m)+"\n"); err != nil {
		t.Fatal(err)
	}
	if rec := r.next(t); rec.Verdict != mark.Error || rec.Message != msync.ClockMessage {
		t.Fatalf("clock behind the store: verdict %s %v %q, want ERROR %q", rec.Verdict, rec.Reasons, rec.Message, msync.ClockMessage)
	}
}

// TestClockFarAheadWithoutCollector: a counter PC whose clock runs far
// ahead (a BIOS date of 2099) with no collector to measure it judged
// every mark by that date (REJECT EXPIRED, stored as refused in 2099); a
// clock more than five years past the newest date of the lists in force
// is now wrong like one before 2020: ERROR "clock wrong" and a red light
// naming the date read. Five years past the test lists' newest date
// (2027-12-31) is still judged; lists that reach further (a reload)
// move the bound with them.
func TestClockFarAheadWithoutCollector(t *testing.T) {
	var now atomic.Int64 // the injected clock, Unix nanoseconds
	set := func(t time.Time) { now.Store(t.UnixNano()) }
	clock := func() time.Time { return time.Unix(0, now.Load()).UTC() }

	far := time.Date(2099, 6, 1, 9, 0, 0, 0, time.UTC)
	set(far)
	c := testConfig(t)
	ring, err := os.ReadFile(c.Keyring)
	if err != nil {
		t.Fatal(err)
	}
	c.Keyring = filepath.Join(t.TempDir(), "keyring.yaml")
	if err := os.WriteFile(c.Keyring, ring, 0o600); err != nil {
		t.Fatal(err)
	}
	c.Sync.ClockLimit = 5 * time.Minute // the default; no sync.url
	in, feed := io.Pipe()
	t.Cleanup(func() { feed.Close() })
	r := start(t, Options{Config: c, Stdin: in, Now: clock})
	scan := func(m mark.Mark) mark.Record {
		t.Helper()
		m.Contract = 5
		if _, err := io.WriteString(feed, testdata.Signer(t)(m)+"\n"); err != nil {
			t.Fatal(err)
		}
		return r.next(t)
	}
	light := func() (mark.SourceHealth, bool) {
		for _, h := range r.screenHealth() {
			if h.Kind == "clock" {
				return h, true
			}
		}
		return mark.SourceHealth{}, false
	}

	if rec := scan(testdata.ValidMark(5101, mark.DayOf(testNow))); rec.Verdict != mark.Error || rec.Message != msync.ClockMessage {
		t.Fatalf("clock in 2099: verdict %s %v %q, want ERROR %q", rec.Verdict, rec.Reasons, rec.Message, msync.ClockMessage)
	}
	if h, ok := light(); !ok || h.Up || !strings.Contains(h.Detail, "2099-06-01") || !strings.Contains(h.Detail, "2027-12-31") {
		t.Fatalf("clock in 2099: light %+v (found %v), want down naming the date read and the lists' newest", h, ok)
	}

	set(time.Date(2032, 12, 31, 12, 0, 0, 0, time.UTC)) // within five years of 2027-12-31
	if rec := scan(testdata.ValidMark(5102, mark.DayOf(testNow))); rec.Verdict != mark.Reject || !slices.Contains(rec.Reasons, mark.ReasonExpired) {
		t.Fatalf("clock at 2032-12-31: verdict %s %v %q, want REJECT EXPIRED (judged)", rec.Verdict, rec.Reasons, rec.Message)
	}
	if h, ok := light(); ok {
		t.Fatalf("clock at 2032-12-31: light %+v, want none", h)
	}

	// A keyring whose key 1 signs until 2098: 2099 is within five years.
	set(far)
	if err := os.WriteFile(c.Keyring, []byte(strings.Replace(string(ring), "valid_until: 2027-12-31", "valid_until: 2098-12-31", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Reload("test"); err != nil {
		t.Fatal(err)
	}
	if h, ok := light(); ok {
		t.Fatalf("lists reaching 2098 reloaded, clock in 2099: light %+v, want none", h)
	}
	m := testdata.ValidMark(5103, mark.DayOf(far)) // valid until a month after the clock's day
	m.Issued = mark.DayOf(time.Date(2098, 12, 1, 0, 0, 0, 0, time.UTC))
	if rec := scan(m); rec.Verdict != mark.Accept {
		t.Fatalf("lists reaching 2098, a mark of 2099: verdict %s %v %q, want ACCEPT", rec.Verdict, rec.Reasons, rec.Message)
	}
}
