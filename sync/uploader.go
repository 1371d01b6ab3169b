package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	gosync "sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"markd/hub"
	"markd/mark"
	"markd/store"
)

// UploaderOptions tune the upload.
type UploaderOptions struct {
	BatchSize  int              // records per request (1..hub.MaxRecords)
	BatchAge   time.Duration    // send a smaller batch once its oldest record is this old
	Interval   time.Duration    // an empty request this often, to hear about alerts
	MinBackoff time.Duration    // first wait after a failure; default 1s
	MaxBackoff time.Duration    // longest wait between attempts; default 5 min
	Now        func() time.Time // clock; default time.Now
	Jitter     func() float64   // random source in [0,1); default math/rand
	// Office is the counter's own office (config office; 0 = not known):
	// a record of it the collector refuses for its office tells of a
	// terminal registered for another office, not of a bad record.
	Office uint32
	// Location is the counter's tz (config tz), the zone its pipeline
	// dates verdicts in: each record goes with the UTC offset it gives at
	// the scan time and its name (hub.Record.AtOffset, AtZone), to a
	// collector that takes them. nil: none sent.
	Location *time.Location
	ZoneData string // Location's zone data, "embedded 2025c": at_zone_data where taken (hub.TakesZoneData)
}

// Uploader drains the store's outbox to the collector. Run it with Serve.
type Uploader struct {
	db     *store.DB
	client *Client
	o      UploaderOptions
	log    *slog.Logger
	kick   chan struct{}

	now    func() time.Time // UploaderOptions.Now
	jitter func() float64   // UploaderOptions.Jitter

	batch       int // current batch size: halved on 413 (kept until restart)
	lastBeat    time.Time
	failures    int       // attempts failed in a row
	failingFrom time.Time // counter time of the first of them
	lastSuccess prometheus.Gauge
	uploaded    prometheus.Counter
	failed      prometheus.Counter
	alerts      prometheus.Counter
	refusedN    prometheus.Counter
	disputedN   prometheus.Counter   // markd_sync_disputed_records_total
	failing     *prometheus.GaugeVec // markd_sync_upload_failing{reason}
	eventLimit  int                  // after a 400 on events[i], send only the i events before it
	recordLimit int                  // after records[i] was held (AheadError), send only the i records before it
	sentBatches []string             // ids of the batches in the request Once sent last (refused names them by index)
	// receiptCounts: whether the collector's last answer took a batch's
	// receipt counts (hub.HeaderTakes); 0 = no answer since the start,
	// so ended batches wait for one: sent without the counts to a
	// collector that takes them, they would stay unknown there for good.
	receiptCounts int8
	// atOffset: whether the collector's last answer took a record's
	// at_offset (hub.TakesAtOffset); 0 = no answer since the start, so
	// the first request goes without (an older collector refuses it).
	atOffset int8
	zoneData int8 // as atOffset, for at_zone_data (hub.TakesZoneData)
	// history, when set (Service), is told what the collector holds from
	// this terminal, asked in the first upload of the run: a store put
	// back from an older copy restores its reuse history again.
	history      *Restorer
	stateChecked bool
	questions    questionsPull // the collector's questions on this counter's rejections (questions.go)

	stateMu  gosync.Mutex
	lastErr  error     // of the last attempt; nil after a success
	lastOK   time.Time // counter time of the last confirmed upload
	lastFail time.Time
	progress Progress
	alertIDs map[int64]bool // the alerts counted in progress (repeated until acknowledged)
	// lastDisputed is the last answer that said the collector disputes
	// records of it (nil: none since the start), for /healthz.
	lastDisputed *DisputedAnswer
}

// Progress is what the uploader did since it was made, for the report of
// `markd sync --once`.
type Progress struct {
	Uploaded   int // records the collector confirmed (new or already known)
	Unverified int // of them, new records the collector stored unverified (their mark did not verify there)
	SetAside   int // records the collector refused as invalid, set aside (upload_state refused)
	Alerts     int // distinct reuse alerts received
	// Disputed counts, of the records uploaded, the ACCEPTs the collector
	// stored disputed: its own judgment of the signed mark contradicts
	// them (another office, its dates, the lists, this counter's clock).
	Disputed int
}

// Progress returns what the uploader did so far.
func (u *Uploader) Progress() Progress {
	u.stateMu.Lock()
	defer u.stateMu.Unlock()
	return u.progress
}

// NewUploader makes the uploader and registers its metrics on reg (may be nil).
func NewUploader(db *store.DB, client *Client, o UploaderOptions, log *slog.Logger, reg *prometheus.Registry) *Uploader {
	if log == nil {
		log = slog.Default()
	}
	if o.BatchSize <= 0 || o.BatchSize > hub.MaxRecords {
		o.BatchSize = 2000
	}
	if o.BatchAge <= 0 {
		o.BatchAge = 5 * time.Second
	}
	if o.Interval <= 0 {
		o.Interval = time.Minute
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	// Unset: 5 minutes. A cap below the first wait (max_backoff: 300ms)
	// is the cap, and the first wait comes down to it; it used to be read
	// as unset, so the counter waited up to 5 minutes between tries.
	switch {
	case o.MaxBackoff <= 0:
		o.MaxBackoff = max(o.MinBackoff, 5*time.Minute)
	case o.MaxBackoff < o.MinBackoff:
		o.MinBackoff = o.MaxBackoff
	}
	u := &Uploader{db: db, client: client, o: o, log: log.With("subsystem", "sync.upload"), kick: make(chan struct{}, 1),
		now: o.Now, jitter: o.Jitter, batch: o.BatchSize,
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{Name: "markd_sync_last_success_timestamp_seconds",
			Help: "Unix time of the last upload the collector confirmed."}),
		uploaded: prometheus.NewCounter(prometheus.CounterOpts{Name: "markd_sync_uploaded_records_total",
			Help: "Records the collector confirmed (new or already known)."}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{Name: "markd_sync_upload_failures_total",
			Help: "Upload attempts that failed (network, collector error)."}),
		alerts: prometheus.NewCounter(prometheus.CounterOpts{Name: "markd_sync_alerts_received_total",
			Help: "Reuse alerts received from the collector (repeats included)."}),
		refusedN: prometheus.NewCounter(prometheus.CounterOpts{Name: "markd_sync_refused_total",
			Help: "Records and review events the collector refused as invalid and that were set aside."}),
		disputedN: prometheus.NewCounter(prometheus.CounterOpts{Name: "markd_sync_disputed_records_total",
			Help: "Accepted records the collector stored disputed: its own judgment of the signed mark contradicts the acceptance (they are uploaded all the same)."}),
		failing: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "markd_sync_upload_failing",
			Help: "1 for why the last upload attempt failed (0 for the other reasons; all 0 after a confirmed upload)."}, []string{"reason"}),
	}
	for _, r := range failReasons {
		u.failing.WithLabelValues(r).Set(0)
	}
	if reg != nil {
		// One scrape reads the gauges one by one: count the backlog once.
		var mu gosync.Mutex
		var cached store.OutboxStats
		var cachedAt time.Time
		var cachedErr error
		stat := func(f func(store.OutboxStats) float64) func() float64 {
			return func() float64 {
				mu.Lock()
				defer mu.Unlock()
				if now := u.now(); now.Sub(cachedAt) >= time.Second || now.Before(cachedAt) {
					ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
					cached, cachedErr = db.OutboxStats(ctx)
					cancel()
					cachedAt = u.now()
				}
				if cachedErr != nil {
					return -1
				}
				return f(cached)
			}
		}
		reg.MustRegister(u.lastSuccess, u.uploaded, u.failed, u.alerts, u.refusedN, u.disputedN, u.failing,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "markd_sync_backlog_records",
				Help: "Records not yet confirmed by the collector."}, stat(func(s store.OutboxStats) float64 { return float64(s.Records) })),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "markd_sync_backlog_events",
				Help: "Review decisions not yet confirmed by the collector."}, stat(func(s store.OutboxStats) float64 { return float64(s.Events) })),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "markd_sync_oldest_pending_age_seconds",
				Help: "Age of the oldest record not yet uploaded (0 when none)."}, stat(func(s store.OutboxStats) float64 {
				if s.Oldest.IsZero() {
					return 0
				}
				return u.now().Sub(s.Oldest).Seconds()
			})),
		)
	}
	return u
}

// LoadState takes the last upload the collector confirmed before this
// start (kept by the store with each upload) as the last success, so
// markd_sync_last_success_timestamp_seconds and /healthz last_success say
// how long the counter has really been silent, not 0 after a restart.
func (u *Uploader) LoadState(ctx context.Context) error {
	v, ok, err := u.db.SyncState(ctx, store.StateLastUpload)
	if err != nil || !ok {
		return err
	}
	ns, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return fmt.Errorf("sync_state %s = %q: %w", store.StateLastUpload, v, mark.ErrInvalid)
	}
	at := time.Unix(0, ns).UTC()
	u.stateMu.Lock()
	defer u.stateMu.Unlock()
	if u.lastOK.IsZero() {
		u.lastOK = at
		u.lastSuccess.Set(float64(ns) / 1e9)
	}
	return nil
}

// Kick tells the uploader new records are there (optional: it polls too).
func (u *Uploader) Kick() {
	select {
	case u.kick <- struct{}{}:
	default:
	}
}

// Serve uploads until ctx ends. Failures are retried with exponential
// backoff and jitter, forever: the counter works offline for days.
func (u *Uploader) Serve(ctx context.Context) error {
	u.log.Info("upload started", "batch_size", u.o.BatchSize, "batch_age", u.o.BatchAge)
	for {
		sent, more, err := u.Once(ctx, false)
		if err == nil && more {
			var n int
			n, err = u.pump(ctx)
			sent += n
		}
		var wait time.Duration
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			wait = u.failedAttempt(ctx, err)
		case more:
			continue
		case sent > 0:
			continue
		default:
			wait = u.o.BatchAge / 2
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-u.kick:
			t.Stop()
			if err != nil { // a kick does not cut a backoff short
				if !sleep(ctx, wait) {
					return nil
				}
			}
		case <-t.C:
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// failedAttempt counts and logs a failed attempt and returns the wait
// before the next: the backoff, at least what a 429's or 503's
// Retry-After asked for, plus up to a quarter of it (capped at
// MaxBackoff). A refusal (401, 403, an expired client certificate, 400)
// is logged at error level: waiting does not mend it.
func (u *Uploader) failedAttempt(ctx context.Context, err error) time.Duration {
	u.failures++
	if u.failures == 1 {
		u.failingFrom = u.now()
	}
	u.failed.Inc()
	u.setState(err)
	wait := u.backoff()
	if ra := retryAfter(err); ra > 0 {
		// Spread over a quarter more: the counters a collector shed with
		// the same Retry-After must not all come back in the same second.
		ra += time.Duration(u.jitter() * float64(ra/4))
		wait = max(wait, min(ra, u.o.MaxBackoff))
	}
	lvl := slog.LevelWarn
	if !errors.Is(err, mark.ErrUnavailable) {
		lvl = slog.LevelError // the collector refused: configuration or a bug, say it loudly
	}
	u.log.Log(ctx, lvl, "upload failed, will retry", "err", err, mark.HintAttr(err), "retry_in", wait.Round(time.Millisecond), "failures", u.failures,
		"failing_since", u.failingFrom.UTC().Format(time.RFC3339))
	return wait
}

func (u *Uploader) setState(err error) {
	why := ""
	if err != nil {
		why = failReason(err)
	}
	for _, r := range failReasons {
		v := 0.0
		if r == why {
			v = 1
		}
		u.failing.WithLabelValues(r).Set(v)
	}
	u.stateMu.Lock()
	defer u.stateMu.Unlock()
	u.lastErr = err
	if err != nil {
		u.lastFail = u.now()
	} else {
		u.lastOK = u.now()
	}
}

// failReasons are the values of markd_sync_upload_failing's reason, each
// always reported (0 or 1) so a rule can compare them.
var failReasons = []string{
	"unavailable",              // network, timeout, 5xx, 429, an answer cut short: waiting mends it
	"unauthorized",             // 401: token or certificate unknown
	"forbidden",                // 403: terminal revoked, unregistered, without office
	"client_cert_expired",      // the counter's client certificate expired
	"collector_cert_untrusted", // the collector's certificate is not the one sync.ca trusts
	"proxy",                    // the forward proxy (sync.proxy, HTTPS_PROXY) refused the tunnel or is down
	"redirect",                 // a 3xx: sync.url points elsewhere
	"unconfirmed_answer",       // a 2xx that does not confirm the records: not markhub answering
	"record_ahead",             // a record stamped ahead of the collector's clock waits
	"terminal_office",          // the terminal is registered for another office
	"refused",                  // another 4xx (400, 409, 413 not on one row)
	"other",                    // the counter's own store or request
}

// notCollector reports an answer from something other than the
// collector at sync.url: a redirect, a 2xx that does not confirm the
// records sent.
func notCollector(err error) bool { return errors.Is(err, ErrNotCollector) }

// failReason is the reason of markd_sync_upload_failing for err.
func failReason(err error) string {
	var ue *UntrustedCollectorError
	var ce *CertExpiredError
	var un *UnconfirmedError
	var se *StatusError
	var pe *ProxyError
	switch {
	case errors.As(err, &pe):
		return "proxy"
	case errors.As(err, &ue):
		return "collector_cert_untrusted"
	case errors.As(err, &ce):
		return "client_cert_expired"
	case errors.Is(err, ErrRecordAhead):
		return "record_ahead"
	case errors.Is(err, ErrTerminalOffice):
		return "terminal_office"
	case errors.As(err, &un):
		return "unconfirmed_answer"
	case errors.As(err, &se) && se.Code/100 == 3:
		return "redirect"
	case errors.Is(err, mark.ErrUnauthorized):
		return "unauthorized"
	case errors.Is(err, mark.ErrForbidden):
		return "forbidden"
	case errors.Is(err, mark.ErrUnavailable):
		return "unavailable"
	case errors.As(err, &se):
		return "refused"
	}
	return "other"
}

// backoff is the wait after the current run of failures: exponential up to
// MaxBackoff, with "equal jitter" (half fixed, half random) so a hundred
// counters coming back together do not hit the collector in step.
func (u *Uploader) backoff() time.Duration {
	d := u.o.MinBackoff
	for i := 1; i < u.failures && d < u.o.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, u.o.MaxBackoff)
	return d/2 + time.Duration(u.jitter()*float64(d/2))
}

// Once sends at most one request. It sends when a full batch is waiting,
// the oldest pending record is BatchAge old, review events or alert
// acknowledgements are due, the heartbeat Interval has passed, or force is
// set. It returns how many records were confirmed and whether a full batch
// was sent (more may be waiting).
func (u *Uploader) Once(ctx context.Context, force bool) (sent int, more bool, err error) {
	limit := u.batch
	if u.recordLimit > 0 {
		limit, force = min(limit, u.recordLimit), true
	}
	recs, err := u.db.PendingUploads(ctx, limit)
	if err != nil {
		return 0, false, err
	}
	var events []store.AuditEntry
	// While the history is restored (a new store, one found behind) or a
	// backup copy is not yet compared, decisions wait: their ids may be
	// the collector's for others until the restore numbers the audit.
	if len(recs) < u.batch && (u.history == nil || u.history.Done()) {
		limit := u.batch - len(recs)
		if u.eventLimit > 0 {
			limit = min(limit, u.eventLimit)
		}
		if events, err = u.db.PendingEvents(ctx, limit); err != nil {
			return 0, false, err
		}
	}
	acks, err := u.db.UnackedAlerts(ctx)
	if err != nil {
		return 0, false, err
	}
	batches, err := u.db.PendingBatches(ctx, maxBatchesSent)
	if err != nil {
		return 0, false, err
	}
	held := false
	if u.receiptCounts == 0 && len(batches) > 0 {
		// this request asks; the batches go with the next
		batches, held = nil, true
	}
	now := u.now()
	// A record stamped ahead of this clock (a clock set back, another
	// clock at the scan) counts as old enough: it must not wait for the
	// heartbeat.
	due := force || len(recs) >= u.batch || len(events) > 0 || len(acks) > 0 || len(batches) > 0 || held || now.Sub(u.lastBeat) >= u.o.Interval ||
		(len(recs) > 0 && (now.Sub(recs[0].At) >= u.o.BatchAge || recs[0].At.After(now)))
	if !due { // a backlog of the collector's questions goes on a page a round
		return 0, u.questions.more && u.pullQuestions(ctx, now), nil
	}
	q := hub.UploadRequest{Records: make([]hub.Record, len(recs)), Events: make([]hub.Event, len(events)), AckAlerts: acks}
	for i, r := range recs {
		q.Records[i] = u.uploadRecord(r)
	}
	var batchIDs []string
	q.Batches, batchIDs = uploadBatches(batches, u.receiptCounts > 0)
	u.sentBatches = batchIDs
	var lastEvent int64
	for i, e := range events {
		q.Events[i] = hub.Event{ID: e.ID, RecordID: e.RecordID, Action: e.Action, Actor: e.Actor, At: e.At.UTC(), Note: e.Note}
		lastEvent = e.ID
	}
	body, err := hub.MarshalUpload(&q)
	if err != nil {
		return 0, false, fmt.Errorf("encode upload: %w", err)
	}
	if len(body) > hub.MaxBody && u.batch > 1 {
		u.batch = max(1, u.batch/2)
		return 0, true, nil
	}
	ask := u.history != nil && !u.stateChecked
	upload := u.client.Upload
	if ask {
		upload = u.client.UploadAsking
	}
	resp, err := upload(ctx, body, u.waiting(ctx, len(recs)))
	if isTooLarge(err) && u.batch > 1 {
		// A smaller batch is the fix (a proxy's body limit below
		// markhub's): sent at once, not counted as a failure to wait out.
		u.halve(err)
		return 0, true, nil
	}
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	if err == nil {
		err = confirmed(resp, len(recs))
	}
	if ue := (*UnconfirmedError)(nil); errors.As(err, &ue) && ue.Sent < 0 {
		ue.Sent = len(recs)
	}
	if err != nil {
		if werr := u.wrongOffice(ctx, err, ids); werr != nil {
			return 0, false, werr
		}
		if i, held := u.ahead(ctx, err, ids); held != nil {
			if i > 0 {
				u.recordLimit = i // the records before it go first
				return 0, true, nil
			}
			return 0, false, held
		}
		if u.refused(ctx, err, ids, events) {
			return 0, true, nil
		}
		return 0, false, err
	}
	if err := u.db.CompleteUpload(ctx, store.UploadDone{RecordIDs: ids, LastEventID: lastEvent, Acked: acks, Alerts: resp.Alerts,
		BatchIDs: batchIDs, At: u.now()}); err != nil {
		// The collector has them; the next round repeats the request harmlessly.
		return 0, false, fmt.Errorf("record upload confirmation: %w", err)
	}
	u.recordSuccess(len(recs), resp)
	u.noteTakes(resp)
	if ask {
		if err := u.checkBehind(ctx, resp.Terminal); err != nil {
			return len(recs), true, err
		}
	}
	full := len(recs) >= u.batch
	// Alerts this request did not acknowledge: the next one acknowledges
	// them and hears of the ones after (an answer carries at most
	// hub.MaxAlertsSent), so a drain ends with all of them stored.
	ackedNow := make(map[int64]bool, len(acks))
	for _, id := range acks {
		ackedNow[id] = true
	}
	newAlerts := false
	for _, a := range resp.Alerts {
		newAlerts = newAlerts || !ackedNow[a.ID]
	}
	u.lastBeat, u.eventLimit, u.recordLimit = now, 0, 0
	pulled := u.pullQuestions(ctx, now)
	if len(recs) > 0 || len(events) > 0 {
		u.log.Debug("uploaded", "records", len(recs), "new", resp.Stored, "known", resp.Duplicates, "events", len(events), "alerts", len(resp.Alerts))
	}
	return len(recs), full || len(events) > 0 || newAlerts || held || pulled, nil // held: the batches go at once
}

// halve halves the batch after a 413 (kept until restart).
func (u *Uploader) halve(err error) {
	u.batch = max(1, u.batch/2)
	u.log.Warn("collector found the batch too large; halving it", "batch_size", u.batch, "err", err)
}

// waiting is how many records stay in the outbox besides the sent ones
// (for the collector's fleet page): none when the batch was not full,
// else counted; -1 when the count failed (not reported).
func (u *Uploader) waiting(ctx context.Context, sent int) int {
	if sent < u.batch {
		return 0
	}
	st, err := u.db.OutboxStats(ctx)
	if err != nil {
		u.log.Debug("outbox not counted for the collector", "err", err)
		return -1
	}
	return max(0, st.Records-sent)
}

// Drain uploads until the outbox is empty (retrying failures with backoff)
// and returns; for `markd sync --once` and the benchmark.
func (u *Uploader) Drain(ctx context.Context) error {
	for {
		sent, more, err := u.Once(ctx, true)
		if err == nil && more {
			var n int
			n, err = u.pump(ctx)
			sent += n
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, mark.ErrUnauthorized) || errors.Is(err, mark.ErrForbidden) || notCollector(err) {
			u.failed.Inc()
			u.setState(err)
			return err // the collector will not take us (or is not what answers): waiting does not help, the caller exits non-zero
		}
		if errors.Is(err, ErrRecordAhead) {
			u.failed.Inc()
			u.setState(err)
			return err // it goes once the collector's clock passes it, maybe in an hour: not waited for here
		}
		if err != nil {
			wait := u.failedAttempt(ctx, err)
			if !sleep(ctx, wait) {
				return ctx.Err()
			}
			continue
		}
		if sent == 0 && !more {
			return nil
		}
	}
}
