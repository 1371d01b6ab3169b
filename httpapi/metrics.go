package httpapi

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"markd/mark"
	"markd/store"
)

// Metrics are the daemon's Prometheus metrics. Observe is the pipeline's
// Options.Observe.
type Metrics struct {
	reg         *prometheus.Registry
	scans       *prometheus.CounterVec
	reasons     *prometheus.CounterVec
	storeErrors prometheus.Counter
	latency     prometheus.Histogram
	reloads     *prometheus.CounterVec
	events      *sourceEvents
	storeReady  func() error // set by handler before the server serves: nil while scans are recorded
	storePath   func() string
}

// sourceEvents exports each source's state (markd_source_up) and event
// counters (mark.SourceHealth.Events), read from the sources at each
// scrape: a line that leaves the list (the reuse history once restored)
// leaves the metrics with it instead of staying at its last value.
type sourceEvents struct {
	desc   *prometheus.Desc
	up     *prometheus.Desc
	health func() []mark.SourceHealth // set by handler before the server serves
}

func (c *sourceEvents) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc; ch <- c.up }

func (c *sourceEvents) Collect(ch chan<- prometheus.Metric) {
	if c.health == nil {
		return
	}
	for _, s := range c.health() {
		up := 0.0
		if s.Up {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up, s.Name, s.Kind)
		for ev, n := range s.Events {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(n), s.Name, s.Kind, ev)
		}
	}
}

// NewMetrics registers the metrics on reg (a new registry when nil), with
// the Go and process collectors.
func NewMetrics(reg *prometheus.Registry) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m := &Metrics{
		reg: reg,
		scans: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "markd_scans_total", Help: "Scans by verdict.",
		}, []string{"verdict"}),
		reasons: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "markd_reject_reasons_total", Help: "Reasons of rejected scans (a scan may count under several).",
		}, []string{"reason"}),
		storeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "markd_store_errors_total", Help: "Scans the store could not record (verdict ERROR).",
		}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "markd_scan_seconds",
			Help:    "Time from a scan arriving to its durable verdict.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5},
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "markd_list_reloads_total", Help: "Reloads of keyring, tariffs and revocations by result (ok, refused).",
		}, []string{"result"}),
		events: &sourceEvents{desc: prometheus.NewDesc("markd_source_events_total",
			"What an input source survived or dropped since the start: reconnect, line_cut (a line over max_line, stored NOT_A_MARK), "+
				"partial_dropped (no terminator within idle), unknown_key and code_lost (wedge), "+
				"frame_dropped (camera: a frame replaced by a newer one before the decoder took it).",
			[]string{"source", "kind", "event"}, nil),
			up: prometheus.NewDesc("markd_source_up",
				"1 when the input source works, 0 when it is down (kind store: the reuse history of a new store, 0 while not restored).",
				[]string{"source", "kind"}, nil)},
	}
	storeUp := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "markd_store_up",
		Help: "1 while the store answers and its last write worked (scans are recorded, as /healthz/ready), 0 from a failed write until one works again.",
	}, func() float64 {
		if m.storeReady != nil && m.storeReady() != nil {
			return 0
		}
		return 1
	})
	diskFree := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "markd_store_disk_free_bytes",
		Help: "Room left on the disk that holds the store (when it is gone every scan is ERROR); -1 when it cannot be read.",
	}, func() float64 {
		if m.storePath == nil {
			return -1
		}
		free, err := store.DiskFree(m.storePath())
		if err != nil {
			return -1
		}
		return float64(free)
	})
	reg.MustRegister(m.scans, m.reasons, m.storeErrors, m.latency, m.reloads, m.events, storeUp, diskFree)
	// Every series an alert takes increase() of exists at 0 from the
	// start: one born at 1 (the first reused mark after a restart) has no
	// increase for Prometheus.
	for _, v := range []mark.Verdict{mark.Accept, mark.Reject, mark.NotAMark, mark.DuplicateScan, mark.Error} {
		m.scans.WithLabelValues(string(v))
	}
	for _, r := range mark.AllReasons {
		m.reasons.WithLabelValues(string(r))
	}
	m.reloads.WithLabelValues("ok")
	m.reloads.WithLabelValues("refused")
	return m
}

// Registry returns the registry, so other parts (sync) add their metrics.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Observe counts one decided scan.
func (m *Metrics) Observe(rec mark.Record, took time.Duration, storeErr error) {
	m.scans.WithLabelValues(string(rec.Verdict)).Inc()
	if rec.Verdict == mark.Reject {
		for _, r := range rec.Reasons {
			m.reasons.WithLabelValues(string(r)).Inc()
		}
	}
	if storeErr != nil {
		m.storeErrors.Inc()
	}
	m.latency.Observe(took.Seconds())
}

// Reloaded counts a reload of the lists.
func (m *Metrics) Reloaded(ok bool) {
	if ok {
		m.reloads.WithLabelValues("ok").Inc()
		return
	}
	m.reloads.WithLabelValues("refused").Inc()
}

func (m *Metrics) handler(health func() []mark.SourceHealth, storeReady func() error, storePath func() string) http.Handler {
	m.events.health = health
	m.storeReady, m.storePath = storeReady, storePath
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
