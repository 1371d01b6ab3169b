package sync

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"markd/mark"
	"markd/store"
)

// faulty wraps the collector's handler with a repeating schedule of faults.
type faulty struct {
	next     http.Handler
	schedule []string
	n        atomic.Int64
	seen     map[string]*atomic.Int64
}

func (f *faulty) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/upload" {
		f.next.ServeHTTP(w, r)
		return
	}
	mode := f.schedule[int(f.n.Add(1)-1)%len(f.schedule)]
	f.seen[mode].Add(1)
	switch mode {
	case "500":
		http.Error(w, `{"error":"boom"}`, http.StatusInternalServerError)
	case "refuse": // as if the collector were down: the connection closes unanswered
		hijackClose(w)
	case "commit-then-drop": // the collector commits, then the connection dies
		rec := httptest.NewRecorder()
		f.next.ServeHTTP(rec, r)
		hijackClose(w)
	case "slow": // slower than the client's timeout; the collector still commits
		rec := httptest.NewRecorder()
		f.next.ServeHTTP(rec, r)
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	default:
		f.next.ServeHTTP(w, r)
	}
}

func hijackClose(w http.ResponseWriter) {
	if c, _, err := w.(http.Hijacker).Hijack(); err == nil {
		c.Close()
	}
}

func TestUploadExactlyOnceThroughFaults(t *testing.T) {
	n := 1500
	if testing.Short() {
		n = 300
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	col := newCollector(t, "office-a")
	f := &faulty{next: col.api.Handler(), schedule: []string{"ok", "500", "commit-then-drop", "ok", "slow", "refuse", "refuse"},
		seen: map[string]*atomic.Int64{}}
	for _, m := range f.schedule {
		f.seen[m] = new(atomic.Int64)
	}
	col.srv.Config.Handler = f
	db := openCounter(t)
	ids := map[string]bool{}
	for i := range n / 2 {
		ids[addScan(t, db, "1", 426000, mark.Accept, uint64(i+1), day0)] = true
	}
	client, err := NewClient(ClientOptions{URL: col.srv.URL, Token: "tok-office-a", Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	up := NewUploader(db, client, UploaderOptions{BatchSize: 100, BatchAge: 10 * time.Millisecond, MinBackoff: time.Millisecond,
		MaxBackoff: 20 * time.Millisecond}, nil, nil)
	done := make(chan error, 1)
	go func() { done <- up.Serve(ctx) }()
	// The counter keeps accepting while uploads fail and retry.
	for i := n / 2; i < n; i++ {
		ids[addScan(t, db, "1", 426000, mark.Accept, uint64(i+1), day0)] = true
	}
	up.Kick()
	deadline := time.Now().Add(2 * time.Minute)
	for pending(t, db) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("outbox not drained: %d pending", pending(t, db))
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st := stats(t, col.store)
	if st.Records != int64(n) || st.UsedSerials != int64(n) || st.Alerts != 0 {
		t.Fatalf("collector has %+v, want exactly %d records", st, n)
	}
	for id := range ids {
		r, err := col.store.Record(context.Background(), "office-a", id)
		if err != nil || r.Terminal != "office-a" || r.Versions.Keyring != "k1" {
			t.Fatalf("record %s: %+v %v", id, r, err)
		}
	}
	for _, m := range []string{"500", "commit-then-drop", "slow", "refuse"} {
		if f.seen[m].Load() == 0 {
			t.Errorf("fault %q never happened; the test proves nothing about it", m)
		}
	}
}

func TestReuseAlertReachesBothCounters(t *testing.T) {
	ctx := context.Background()
	col := newCollector(t, "office-a", "office-b")
	a, b := openCounter(t), openCounter(t)
	// The same mark accepted at two offices while both were offline.
	ra := addScan(t, a, "1", 426000, mark.Accept, 4242, day0)
	rb := addScan(t, b, "7", 101000, mark.Accept, 4242, day0.Add(time.Hour))
	addScan(t, b, "7", 101000, mark.Accept, 1, day0)
	ua := NewUploader(a, newClient(t, col.srv.URL, "office-a"), UploaderOptions{BatchSize: 10}, nil, nil)
	ub := NewUploader(b, newClient(t, col.srv.URL, "office-b"), UploaderOptions{BatchSize: 10}, nil, nil)
	for _, step := range []struct {
		u *Uploader
	}{{ua}, {ub}, {ua}, {ub}, {ua}} {
		if _, _, err := step.u.Once(ctx, true); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		db          *store.DB
		mine, other string
		otherOffice uint32
	}{{a, ra, rb, 101000}, {b, rb, ra, 426000}} {
		alerts, total, err := c.db.ListAlerts(ctx, 10, 0)
		if err != nil || total != 1 {
			t.Fatalf("alerts %v total %d err %v", alerts, total, err)
		}
		al := alerts[0]
		if al.RecordID != c.mine || al.Other.RecordID != c.other || al.Serial != 4242 || al.Other.Office != c.otherOffice {
			t.Fatalf("alert = %+v", al)
		}
		if un, _ := c.db.UnackedAlerts(ctx); len(un) != 0 {
			t.Fatalf("alert not acknowledged to the collector: %v", un)
		}
	}
}

func TestReviewDecisionsUploaded(t *testing.T) {
	ctx := context.Background()
	col := newCollector(t, "office-a")
	db := openCounter(t)
	id := addScan(t, db, "1", 426000, mark.Reject, 99, day0)
	other := addScan(t, db, "1", 426000, mark.Reject, 98, day0)
	u := NewUploader(db, newClient(t, col.srv.URL, "office-a"), UploaderOptions{BatchSize: 10}, nil, nil)
	if _, _, err := u.Once(ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := db.OverrideAccept(ctx, id, "boss", "customer showed the receipt"); err != nil {
		t.Fatal(err)
	}
	if err := db.ConfirmRejection(ctx, other, "boss", ""); err != nil {
		t.Fatal(err)
	}
	if st, _ := db.OutboxStats(ctx); st.Events != 2 {
		t.Fatalf("events pending = %d", st.Events)
	}
	if _, _, err := u.Once(ctx, false); err != nil { // events are due by themselves
		t.Fatal(err)
	}
	if st, _ := db.OutboxStats(ctx); st.Events != 0 {
		t.Fatalf("events still pending: %d", st.Events)
	}
	for want, rid := range map[mark.ReviewState]string{mark.ReviewOverridden: id, mark.ReviewConfirmed: other} {
		r, err := col.store.Record(ctx, "office-a", rid)
		if err != nil || r.Review != want {
			t.Fatalf("collector review state of %s = %q, %v; want %q", rid, r.Review, err, want)
		}
	}
	if st := stats(t, col.store); st.Events != 2 || st.UsedSerials != 1 {
		t.Fatalf("collector stats = %+v", st)
	}
}

func TestBatchAgeAndSize(t *testing.T) {
	ctx := context.Background()
	col := newCollector(t, "office-a")
	db := openCounter(t)
	now := day0
	u := NewUploader(db, newClient(t, col.srv.URL, "office-a"), UploaderOptions{BatchSize: 5, BatchAge: time.Minute, Interval: time.Hour,
		Now: func() time.Time { return now }}, nil, nil)
	u.lastBeat = now
	for i := range 3 {
		addScan(t, db, "1", 426000, mark.Accept, uint64(i+1), now)
	}
	tests := []struct {
		name      string
		advance   time.Duration
		add       int
		sent      int
		more      bool
		remaining int
	}{
		{"young partial batch waits", 30 * time.Second, 0, 0, false, 3},
		{"old partial batch goes", 31 * time.Second, 0, 3, false, 0},
		{"full batch goes at once", 0, 7, 5, true, 2},
		{"rest waits for its age", 0, 0, 0, false, 2},
	}
	for _, tt := range tests {
		now = now.Add(tt.advance)
		for i := range tt.add {
			addScan(t, db, "1", 426000, mark.Accept, uint64(100+i), now)
		}
		sent, more, err := u.Once(ctx, false)
		if err != nil || sent != tt.sent || more != tt.more || pending(t, db) != tt.remaining {
			t.Fatalf("%s: sent %d more %v err %v pending %d", tt.name, sent, more, err, pending(t, db))
		}
	}
}

func TestBackoffExponentialWithJitter(t *testing.T) {
	tests := []struct {
		failures int
		jitter   float64
		want     time.Duration
	}{
		{1, 0, 500 * time.Millisecond}, {1, 0.999999, time.Second}, {2, 0, time.Second}, {3, 0.5, 3 * time.Second},
		{5, 0, 8 * time.Second}, {6, 0, 15 * time.Second}, {40, 0, 15 * time.Second}, {40, 0.999999, 30 * time.Second},
	}
	for _, tt := range tests {
		u := NewUploader(nil, nil, UploaderOptions{MinBackoff: time.Second, MaxBackoff: 30 * time.Second,
			Jitter: func() float64 { return tt.jitter }}, nil, nil)
		u.failures = tt.failures
		if got := u.backoff(); got.Round(time.Millisecond) != tt.want {
			t.Errorf("failures %d jitter %v: %v, want %v", tt.failures, tt.jitter, got, tt.want)
		}
	}
}

// TestBackoffBoundedByShortMax: a configured max_backoff below the first
// wait's default (1 s) bounds every wait; it used to be taken as unset,
// and the counter waited up to 5 minutes between tries.
func TestBackoffBoundedByShortMax(t *testing.T) {
	for _, max := range []time.Duration{300 * time.Millisecond, 999 * time.Millisecond} {
		u := NewUploader(nil, nil, UploaderOptions{MaxBackoff: max, Jitter: func() float64 { return 0.999999 }}, nil, nil)
		for _, failures := range []int{1, 2, 10} {
			u.failures = failures
			if got := u.backoff(); got > max {
				t.Errorf("max_backoff %v, %d failures: waits %v", max, failures, got)
			}
		}
		if got := u.failedAttempt(context.Background(), &StatusError{Code: http.StatusServiceUnavailable, RetryAfter: time.Hour}); got > max {
			t.Errorf("max_backoff %v, a Retry-After of an hour: waits %v", max, got)
		}
	}
	u := NewUploader(nil, nil, UploaderOptions{Jitter: func() float64 { return 0.999999 }}, nil, nil)
	u.failures = 40
	if got := u.backoff(); got > 5*time.Minute || got < 5*time.Minute-time.Second {
		t.Errorf("max_backoff unset: the longest wait is %v, want about the default 5m", got)
	}
}

func TestBatchHalvedOn413(t *testing.T) {
	ctx := context.Background()
	col := newCollector(t, "office-a")
	inner := col.api.Handler()
	col.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > 4000 { // a collector with a small body limit
			http.Error(w, `{"error":"too large"}`, http.StatusRequestEntityTooLarge)
			return
		}
		inner.ServeHTTP(w, r)
	})
	db := openCounter(t)
	for i := range 20 {
		addScan(t, db, "1", 426000, mark.Accept, uint64(i+1), day0)
	}
	u := NewUploader(db, newClient(t, col.srv.URL, "office-a"), UploaderOptions{BatchSize: 16}, nil, nil)
	for i := 0; pending(t, db) > 0; i++ {
		if i > 50 {
			t.Fatal("never drained")
		}
		_, _, err := u.Once(ctx, true)
		var se *StatusError
		if err != nil && !(errors.As(err, &se) && se.Code == 413) {
			t.Fatal(err)
		}
	}
	if st := stats(t, col.store); st.Records != 20 {
		t.Fatalf("collector has %d", st.Records)
	}
}

func TestUploadErrorsAreClassified(t *testing.T) {
	col := newCollector(t, "office-a")
	db := openCounter(t)
	addScan(t, db, "1", 426000, mark.Accept, 1, day0)
	tests := []struct {
		name, url, token string
		want             error
	}{
		{"bad token", col.srv.URL, "nope", mark.ErrUnauthorized},
		{"unreachable", "http://127.0.0.1:1", "tok-office-a", mark.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(ClientOptions{URL: tt.url, Token: tt.token})
			if err != nil {
				t.Fatal(err)
			}
			u := NewUploader(db, c, UploaderOptions{}, nil, nil)
			_, _, err = u.Once(context.Background(), true)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			// a refused token says what to do (operations.md: the
			// engineer puts the new token into sync.token_file)
			if tt.want == mark.ErrUnauthorized && !strings.Contains(mark.Hint(err), "sync.token_file") {
				t.Fatalf("401 without the hint naming sync.token_file: %v (hint %q)", err, mark.Hint(err))
			}
			if pending(t, db) != 1 {
				t.Fatal("a failed upload marked the record uploaded")
			}
		})
	}
	if _, err := NewClient(ClientOptions{URL: col.srv.URL}); !errors.Is(err, mark.ErrInvalid) {
		t.Fatalf("no credentials: err = %v", err)
	}
	if _, err := NewClient(ClientOptions{URL: "ftp://x", Token: "t"}); !errors.Is(err, mark.ErrInvalid) {
		t.Fatalf("bad url: err = %v", err)
	}
}

// gaugesByLabel is each series of the gauge name by the value of its
// label.
func gaugesByLabel(t *testing.T, reg *prometheus.Registry, name, label string) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label {
					got[l.GetValue()] = m.GetGauge().GetValue()
				}
			}
		}
	}
	return got
}

func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			m := mf.GetMetric()[0]
			if m.Gauge != nil {
				return m.GetGauge().GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}

func TestMetrics(t *testing.T) {
	col := newCollector(t, "office-a")
	db := openCounter(t)
	reg := prometheus.NewRegistry()
	now := day0.Add(time.Hour)
	u := NewUploader(db, newClient(t, col.srv.URL, "office-a"), UploaderOptions{BatchSize: 2, Now: func() time.Time { return now }}, nil, reg)
	for i := range 3 {
		addScan(t, db, "1", 426000, mark.Accept, uint64(i+1), day0.Add(time.Duration(i)*time.Minute))
	}
	if got := gauge(t, reg, "markd_sync_backlog_records"); got != 3 {
		t.Fatalf("backlog = %v", got)
	}
	if got := gauge(t, reg, "markd_sync_oldest_pending_age_seconds"); got != 3600 {
		t.Fatalf("oldest age = %v", got)
	}
	if _, _, err := u.Once(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Second) // the backlog gauges are cached for a second per scrape
	if got := gauge(t, reg, "markd_sync_backlog_records"); got != 1 {
		t.Fatalf("backlog after upload = %v", got)
	}
	if got := gauge(t, reg, "markd_sync_oldest_pending_age_seconds"); got != 3600-120+1 {
		t.Fatalf("oldest age after upload = %v", got)
	}
	if got := gauge(t, reg, "markd_sync_last_success_timestamp_seconds"); got != float64(now.Add(-time.Second).Unix()) {
		t.Fatalf("last success = %v", got)
	}
	if got := gauge(t, reg, "markd_sync_uploaded_records_total"); got != 2 {
		t.Fatalf("uploaded = %v", got)
	}
}
