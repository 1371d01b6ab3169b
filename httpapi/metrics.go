package httpapi

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"markd/mark"
)

// Metrics are the daemon's Prometheus metrics. Observe is the pipeline's
// Options.Observe.
type Metrics struct {
	reg         *prometheus.Registry
	scans       *prometheus.CounterVec
	reasons     *prometheus.CounterVec
	storeErrors prometheus.Counter
	latency     prometheus.Histogram
	sourceUp    *prometheus.GaugeVec
	reloads     *prometheus.CounterVec
	events      *sourceEvents
}

// sourceEvents exports each source's event counters
// (mark.SourceHealth.Events), read from the sources at each scrape.
type sourceEvents struct {
	desc   *prometheus.Desc
	health func() []mark.SourceHealth // set by handler before the server serves
}

func (c *sourceEvents) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *sourceEvents) Collect(ch chan<- prometheus.Metric) {
	if c.health == nil {
		return
	}
	for _, s := range c.health() {
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
		sourceUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "markd_source_up", Help: "1 when the input source works, 0 when it is down.",
		}, []string{"source", "kind"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "markd_list_reloads_total", Help: "Reloads of keyring, tariffs and revocations by result (ok, refused).",
		}, []string{"result"}),
		events: &sourceEvents{desc: prometheus.NewDesc("markd_source_events_total",
			"What an input source survived or dropped since the start: reconnect, line_cut (a line over max_line, stored NOT_A_MARK), "+
				"partial_dropped (no terminator within idle), unknown_key and code_lost (wedge), "+
				"frame_dropped (camera: a frame replaced by a newer one before the decoder took it).",
			[]string{"source", "kind", "event"}, nil)},
	}
	reg.MustRegister(m.scans, m.reasons, m.storeErrors, m.latency, m.sourceUp, m.reloads, m.events)
	for _, v := range []mark.Verdict{mark.Accept, mark.Reject, mark.NotAMark, mark.DuplicateScan, mark.Error} {
		m.scans.WithLabelValues(string(v))
	}
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

func (m *Metrics) handler(health func() []mark.SourceHealth) http.Handler {
	m.events.health = health
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if health != nil {
			for _, s := range health() {
				v := 0.0
				if s.Up {
					v = 1
				}
				m.sourceUp.WithLabelValues(s.Name, s.Kind).Set(v)
			}
		}
		h.ServeHTTP(w, r)
	})
}
