package sync

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"markd/internal/testdata"
	"markd/mark"
	"markd/pipeline"
	"markd/store"
	"markd/store/storetest"
)

// markValid signs a mark of the test issuer key 1 valid from..until (days).
func markValid(t *testing.T, serial uint64, from, until time.Time) string {
	t.Helper()
	m := mark.Mark{Version: 1, Alg: mark.AlgEd25519, KeyID: 1, Serial: serial, Contract: 7, MailClass: mark.ClassSimpleLetter,
		WeightG: 20, TariffKop: 1000000, Office: 0, Issued: mark.DayOf(from), ValidUntil: mark.DayOf(until)}
	text, err := testdata.Keys(t)[1].Sign(m)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// TestClockSkewedCounters runs counters whose injected clock is off by
// -2 days … +2 days against a real collector (HTTP on loopback, SQLite,
// its own fixed clock). Each counter measures its skew from the first
// answer; beyond the 5-minute limit the pipeline's date-dependent verdicts
// turn into ERROR "clock wrong", within it they stand. The collector keeps
// every plausible record exactly once and refuses the ones stamped beyond
// its clock, which the counter keeps pending (ErrRecordAhead) until the
// collector's clock passes them.
func TestClockSkewedCounters(t *testing.T) {
	hubNow := testdata.Now()
	// valid until the day before the collector's day: expired in truth.
	expired := func(s uint64) string { return markValid(t, s, hubNow.AddDate(0, -1, 0), hubNow.AddDate(0, 0, -1)) }
	// valid until the day after: valid in truth.
	valid := func(s uint64) string { return markValid(t, s, hubNow.AddDate(0, -1, 0), hubNow.AddDate(0, 0, 1)) }
	tests := []struct {
		name             string
		skew             time.Duration
		wrong            bool
		expired, valid   mark.Verdict // verdicts of the truly expired and the truly valid mark
		heldByHub        bool
		wantSkewAtLeast  time.Duration
		wantSkewAtMost   time.Duration
		validMessageSays string
	}{
		{"two days behind", -48 * time.Hour, true, mark.Error, mark.Error, false, -48*time.Hour - 2*time.Second, -48*time.Hour + 2*time.Second, "Clock wrong"},
		{"six minutes behind", -6 * time.Minute, true, mark.Error, mark.Error, false, -6*time.Minute - 2*time.Second, -6*time.Minute + 2*time.Second, "Clock wrong"},
		{"four minutes behind", -4 * time.Minute, false, mark.Reject, mark.Accept, false, -4*time.Minute - 2*time.Second, -4*time.Minute + 2*time.Second, ""},
		{"right", 0, false, mark.Reject, mark.Accept, false, -2 * time.Second, 2 * time.Second, ""},
		{"four minutes ahead", 4 * time.Minute, false, mark.Reject, mark.Accept, false, 4*time.Minute - 2*time.Second, 4*time.Minute + 2*time.Second, ""},
		{"two days ahead", 48 * time.Hour, true, mark.Error, mark.Error, true, 48*time.Hour - 2*time.Second, 48*time.Hour + 2*time.Second, "Clock wrong"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCollector(t, "office-a")
			c.now = func() time.Time { return hubNow }
			counterNow := func() time.Time { return hubNow.Add(tt.skew) }
			db := storetest.Open(t, store.Options{Log: quiet, Now: counterNow})
			reg := prometheus.NewRegistry()
			svc, err := New(context.Background(), db, Options{
				Client:     ClientOptions{URL: c.srv.URL, Token: "tok-office-a", Timeout: 5 * time.Second},
				Upload:     UploaderOptions{BatchSize: 100, BatchAge: time.Millisecond, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond},
				ClockLimit: 5 * time.Minute, Now: counterNow,
			}, nil, quiet, reg)
			if err != nil {
				t.Fatal(err)
			}
			pipe := pipeline.New(pipeline.Options{Verifier: GuardClock(testdata.Verifier(t), svc.Clock), Store: db,
				Office: 426000, Counter: "1", Location: time.UTC, Log: quiet, Now: counterNow})
			ctx := context.Background()

			// Before the collector answered once, the clock is not judged.
			if r := pipe.Process(ctx, mark.Scan{Text: valid(1), Source: "stdin"}); r.Verdict != mark.Accept && tt.skew < 24*time.Hour {
				t.Fatalf("before any contact: %s %v", r.Verdict, r.Reasons)
			}
			if _, _, err := svc.Uploader.Once(ctx, true); err != nil && !tt.heldByHub {
				t.Fatal(err)
			}
			skew, ok := svc.Clock.Skew()
			if !ok || skew < tt.wantSkewAtLeast || skew > tt.wantSkewAtMost {
				t.Fatalf("measured skew %v (%v), want %v", skew, ok, tt.skew)
			}
			if svc.Clock.Wrong() != tt.wrong {
				t.Fatalf("Wrong() = %v at skew %v", !tt.wrong, skew)
			}
			if g := gauge(t, reg, "markd_sync_clock_skew_seconds"); g < tt.wantSkewAtLeast.Seconds() || g > tt.wantSkewAtMost.Seconds() {
				t.Fatalf("markd_sync_clock_skew_seconds = %v", g)
			}
			re := pipe.Process(ctx, mark.Scan{Text: expired(2), Source: "stdin"})
			rv := pipe.Process(ctx, mark.Scan{Text: valid(3), Source: "stdin"})
			if re.Verdict != tt.expired || rv.Verdict != tt.valid {
				t.Fatalf("expired mark %s %v, valid mark %s %v; want %s, %s", re.Verdict, re.Reasons, rv.Verdict, rv.Reasons, tt.expired, tt.valid)
			}
			if !strings.Contains(rv.Message, tt.validMessageSays) {
				t.Fatalf("message %q, want it to say %q", rv.Message, tt.validMessageSays)
			}
			if h := svc.Clock.Health(); h.Up == tt.wrong {
				t.Fatalf("operator light %+v", h)
			}
			// Upload everything; the collector has each plausible record once.
			for range 10 {
				if _, _, err := svc.Uploader.Once(ctx, true); err != nil {
					if tt.heldByHub && errors.Is(err, ErrRecordAhead) {
						break
					}
					t.Fatal(err)
				}
				if pending(t, db) == 0 {
					break
				}
			}
			out, err := db.OutboxStats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			st := stats(t, c.store)
			if tt.heldByHub {
				if st.Records != 0 || out.Refused != 0 || out.Records != 3 {
					t.Fatalf("records stamped two days ahead: hub has %d, counter set aside %d, pending %d; want 0, 0, 3", st.Records, out.Refused, out.Records)
				}
				return
			}
			if st.Records != 3 || out.Refused != 0 || out.Records != 0 {
				t.Fatalf("hub has %d records, counter set aside %d, pending %d; want 3, 0, 0", st.Records, out.Refused, out.Records)
			}
			// Uploading again changes nothing: exactly once.
			if _, _, err := svc.Uploader.Once(ctx, true); err != nil || stats(t, c.store).Records != 3 {
				t.Fatalf("repeat: %v, %+v", err, stats(t, c.store))
			}
		})
	}
}

// TestClockObserve: the skew is the middle of the request against the
// Date header (which is truncated to the second), and the limit is ±.
func TestClockObserve(t *testing.T) {
	base := time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		sent, recv time.Time
		date       string
		want       time.Duration
		measured   bool
		wrong      bool
	}{
		{"same", base, base.Add(time.Second), base.Format(http.TimeFormat), 0, true, false},
		{"ahead 10m", base.Add(10 * time.Minute), base.Add(10*time.Minute + time.Second), base.Format(http.TimeFormat), 10 * time.Minute, true, true},
		{"behind 5m exactly", base.Add(-5 * time.Minute), base.Add(-5*time.Minute + time.Second), base.Format(http.TimeFormat), -5 * time.Minute, true, false},
		{"behind 5m1s", base.Add(-5*time.Minute - time.Second), base.Add(-5 * time.Minute), base.Format(http.TimeFormat), -5*time.Minute - time.Second, true, true},
		{"no Date", base, base, "", 0, false, false},
		{"bad Date", base, base, "yesterday", 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewClock(5*time.Minute, func() time.Time { return tt.recv }, nil, nil)
			c.observe(tt.sent, tt.recv, tt.date)
			got, ok := c.Skew()
			if ok != tt.measured || got != tt.want || c.Wrong() != tt.wrong {
				t.Fatalf("skew %v %v wrong %v; want %v %v %v", got, ok, c.Wrong(), tt.want, tt.measured, tt.wrong)
			}
		})
	}
	var nilClock *Clock
	if nilClock.Wrong() {
		t.Fatal("nil clock wrong")
	}
}

// TestClockBehindSeen: a clock that reads more than the limit before a
// time it saw (the newest record stored) is wrong until a measurement
// within the limit; one before 2020 stays wrong whatever it saw.
func TestClockBehindSeen(t *testing.T) {
	base := time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)
	now := base.Add(-time.Hour)
	c := NewClock(5*time.Minute, func() time.Time { return now }, nil, nil)
	c.Saw(base)
	if !c.Wrong() || c.Status().Problem == "" {
		t.Fatalf("an hour behind the newest record: wrong %v, status %+v", c.Wrong(), c.Status())
	}
	c.observe(now, now, now.Format(http.TimeFormat)) // the collector agrees with it
	if c.Wrong() {
		t.Fatalf("measured right: still wrong, %+v", c.Status())
	}
	now = base.AddDate(-30, 0, 0)
	if !c.Wrong() || !strings.Contains(c.Health().Detail, "before 2020-01-01") {
		t.Fatalf("reads 1996: wrong %v, light %+v", c.Wrong(), c.Health())
	}
}

// TestClockLimitMetric: the counter's own sync.clock_limit is on /metrics
// beside the skew, so MarkdClockWrong fires where this counter turns
// date-dependent verdicts into ERROR, not at a fixed 5 minutes (a
// counter with clock_limit 2m refused marks at 3 minutes off without an
// alert; one with 10m was alerted at 6 minutes as refusing, which it did not).
func TestClockLimitMetric(t *testing.T) {
	for _, limit := range []time.Duration{2 * time.Minute, 0} {
		reg := prometheus.NewRegistry()
		NewClock(limit, func() time.Time { return day0 }, nil, reg)
		if got := gauge(t, reg, "markd_sync_clock_limit_seconds"); got != limit.Seconds() {
			t.Errorf("limit %v: markd_sync_clock_limit_seconds = %v", limit, got)
		}
	}
}

// TestClockFarAhead: a clock past the latest plausible time (SetLatest:
// the daemon's five years past the newest date of its lists) is wrong,
// light and status saying so, until the collector measures it within
// the limit; up to that time it is not.
func TestClockFarAhead(t *testing.T) {
	latest := time.Date(2033, 1, 1, 0, 0, 0, 0, time.UTC)
	now := time.Date(2099, 6, 1, 9, 0, 0, 0, time.UTC)
	c := NewClock(5*time.Minute, func() time.Time { return now }, nil, nil)
	c.SetLatest(latest, "more than 5 years after 2027-12-31, the newest date of its lists")
	if !c.Wrong() || !strings.Contains(c.Status().Problem, "2099-06-01") {
		t.Fatalf("reads 2099: wrong %v, status %+v", c.Wrong(), c.Status())
	}
	if h := c.Health(); h.Up || !strings.Contains(h.Detail, "newest date of its lists") || !strings.Contains(h.Name, "call the engineer") {
		t.Fatalf("reads 2099: light %+v", h)
	}
	now = latest
	if c.Wrong() {
		t.Fatalf("reads the latest plausible time itself: wrong, %+v", c.Status())
	}
	now = time.Date(2099, 6, 1, 9, 0, 0, 0, time.UTC)
	c.observe(now, now, now.Format(http.TimeFormat)) // the collector's clock says 2099 too
	if c.Wrong() {
		t.Fatalf("measured right by the collector: still wrong, %+v", c.Status())
	}
	c = NewClock(5*time.Minute, func() time.Time { return now }, nil, nil) // no bound set
	if c.Wrong() {
		t.Fatalf("no latest time set: wrong, %+v", c.Status())
	}
}

// TestClockWrongMetric: a clock judged wrong on its own readings (before
// 2020, gone back, far past the lists) made date verdicts ERROR with
// nothing on /metrics the fleet could alert on until scans came back
// ERROR; markd_sync_clock_wrong{reason} is now 1 for each reason the
// clock is wrong for, read at the scrape (the injected clock moves
// between scrapes with no scan in between), 0 for the others.
func TestClockWrongMetric(t *testing.T) {
	var now time.Time
	reg := prometheus.NewRegistry()
	c := NewClock(5*time.Minute, func() time.Time { return now }, nil, reg)
	c.SetLatest(time.Date(2033, 1, 1, 0, 0, 0, 0, time.UTC), "more than 5 years after 2027-12-31, the newest date of its lists")
	wrong := func() map[string]float64 {
		t.Helper()
		return gaugesByLabel(t, reg, "markd_sync_clock_wrong", "reason")
	}
	want := func(what string, on ...string) {
		t.Helper()
		got := wrong()
		exp := map[string]float64{}
		for _, r := range ClockWrongReasons {
			exp[r] = 0
		}
		for _, r := range on {
			exp[r] = 1
		}
		if len(got) != len(exp) {
			t.Fatalf("%s: markd_sync_clock_wrong %v, want %v", what, got, exp)
		}
		for r, v := range exp {
			if got[r] != v {
				t.Fatalf("%s: markd_sync_clock_wrong %v, want %v", what, got, exp)
			}
		}
	}
	base := time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)
	now = base
	want("clock right")
	now = time.Date(2001, 1, 1, 9, 0, 0, 0, time.UTC)
	want("reads 2001", "before_2020")
	now = time.Date(2099, 6, 1, 9, 0, 0, 0, time.UTC)
	want("reads 2099", "far_ahead")
	now = base
	want("set right again")
	now = base.Add(-time.Hour)
	want("an hour back", "went_back")
	c.observe(now, now, now.Add(10*time.Minute).Format(http.TimeFormat)) // the collector: 10 min behind it
	want("measured 10 min off, still before the latest reading", "skew", "went_back")
	now = base.Add(time.Minute)
	want("read past the latest reading, measured 10 min off", "skew")
	c.observe(now, now, now.Format(http.TimeFormat))
	want("measured right")
}
