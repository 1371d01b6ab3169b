package hub

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"markd/internal/zones"
)

// Timeouts bound the store calls of the API, so a stuck database (frozen,
// unreachable, out of connections) gives a quick 503 with Retry-After
// instead of holding requests until the client gives up.
type Timeouts struct {
	Check      time.Duration // the terminal lookup of every request and the health query
	Write      time.Duration // one upload transaction, one bundle read
	RetryAfter time.Duration // what a 503 tells the client to wait
}

// DefaultTimeouts are the timeouts of a fresh Server.
func DefaultTimeouts() Timeouts {
	return Timeouts{Check: time.Second, Write: 10 * time.Second, RetryAfter: 5 * time.Second}
}

// StoreCheck is what the health query of a backend reports.
type StoreCheck struct {
	BundleVersion uint64    // newest published bundle, 0 = none
	BundleCreated time.Time // when it was published
	// DisputedOpen counts the disputed acceptances no supervisor has
	// reviewed (Stats.DisputedOpen), up to DisputedOpenCap+1.
	DisputedOpen int64
	// QuestionedOpen counts the questioned rejections no supervisor has
	// reviewed (Stats.QuestionedOpen), up to QuestionedOpenCap+1.
	QuestionedOpen int64
	// ZoneDiffers and ZoneDataDiffer count the terminals whose zone note
	// (Terminal.Zone) is differs and data_differ.
	ZoneDiffers, ZoneDataDiffer int64
}

// DisputedOpenCap bounds the count of open disputed acceptances the
// health query makes: beyond it /healthz says "at least" and the gauge
// stays at it, so a fleet disputed wholesale (a wrong office_zone, a
// bundle not published) does not make the query that decides readiness
// read millions of rows.
const DisputedOpenCap = 10000

// Health is the body of GET /healthz.
type Health struct {
	OK     bool        `json:"ok"`
	Store  StoreHealth `json:"store"`
	Bundle *BundleInfo `json:"bundle"` // nil: none published (or the store did not answer)
	// LastWrite is when this process last committed an upload (null: none since start).
	LastWrite           *time.Time `json:"last_write"`
	LastWriteAgeSeconds *float64   `json:"last_write_age_seconds,omitempty"`
	// DisputedOpen counts the disputed acceptances no supervisor has
	// reviewed yet (the alerts page), at most DisputedOpenCap with
	// DisputedOpenMore set when more are open; null when the store did
	// not answer.
	DisputedOpen     *int64 `json:"disputed_open"`
	DisputedOpenMore bool   `json:"disputed_open_more,omitempty"`
	// QuestionedOpen counts the questioned rejections (REJECTs whose mark
	// the collector would have accepted) no supervisor has reviewed yet
	// (the questioned page), as DisputedOpen: at most QuestionedOpenCap
	// with QuestionedOpenMore set when more are open; null when the store
	// did not answer.
	QuestionedOpen     *int64 `json:"questioned_open"`
	QuestionedOpenMore bool   `json:"questioned_open_more,omitempty"`
	// ZoneDiffers counts the terminals whose newest record with the
	// offset it judged by says another zone than its office's (a wrong
	// tz), ZoneDataDiffer those set to the office's zone whose zone data
	// give another offset than the collector's (zoneagree.go); null when
	// the store did not answer.
	ZoneDiffers    *int64 `json:"terminals_zone_differs"`
	ZoneDataDiffer *int64 `json:"terminals_zone_data_differ"`
	// ZoneData is the zone data the collector loads zones from (zone_data).
	ZoneData zones.Info `json:"zone_data"`
}

// StoreHealth is the result of the short health query.
type StoreHealth struct {
	OK        bool    `json:"ok"`
	LatencyMS float64 `json:"latency_ms"`
	Error     string  `json:"error,omitempty"` // short; the details are in the log
}

// BundleInfo names the newest published bundle.
type BundleInfo struct {
	Version uint64    `json:"version"`
	Created time.Time `json:"created"`
}

// Check runs the health query with the Check deadline, or takes the
// result of the one under way or of the last one, when it is younger
// than the max age (healthcache.go).
func (s *Server) Check(ctx context.Context) Health {
	r := s.storeCheck(ctx)
	c, err := r.c, r.err
	h := Health{Store: StoreHealth{OK: err == nil, LatencyMS: float64(r.latency.Microseconds()) / 1000}, ZoneData: s.zones.Data().Info()}
	if err != nil {
		h.Store.Error = "store unavailable"
		if r.timedOut {
			h.Store.Error = "store did not answer within " + s.timeouts.Check.String()
		}
	} else {
		if c.BundleVersion > 0 {
			h.Bundle = &BundleInfo{Version: c.BundleVersion, Created: c.BundleCreated.UTC()}
		}
		open := min(c.DisputedOpen, DisputedOpenCap)
		h.DisputedOpen, h.DisputedOpenMore = &open, c.DisputedOpen > DisputedOpenCap
		questioned := min(c.QuestionedOpen, QuestionedOpenCap)
		h.QuestionedOpen, h.QuestionedOpenMore = &questioned, c.QuestionedOpen > QuestionedOpenCap
		h.ZoneDiffers, h.ZoneDataDiffer = &c.ZoneDiffers, &c.ZoneDataDiffer
	}
	if ns := s.lastWrite.Load(); ns != 0 {
		t := time.Unix(0, ns).UTC()
		age := s.now().Sub(t).Seconds()
		h.LastWrite, h.LastWriteAgeSeconds = &t, &age
	}
	h.OK = h.Store.OK
	return h
}

// health answers GET /healthz: the state of the store (a short query), the
// newest bundle, the open disputed acceptances and questioned rejections and the last committed upload; 503 when the store does not
// answer. It needs no authentication and names no internals.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	h := s.Check(r.Context())
	code := http.StatusOK
	if !h.OK {
		code = http.StatusServiceUnavailable
		s.retryAfter(w)
	}
	s.writeJSON(w, code, h)
}

// ready answers GET /healthz/ready for orchestrators and load balancers:
// 200 when the store answers the health query in time, else 503 (take this
// instance out of rotation; it recovers by itself).
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if h := s.Check(r.Context()); !h.OK {
		s.retryAfter(w)
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "not ready: "+h.Store.Error+"\n") //nolint:errcheck // client gone
		return
	}
	io.WriteString(w, "ready\n") //nolint:errcheck // client gone
}

// live answers GET /healthz/live: the process serves HTTP. It does not
// look at the store, so an orchestrator does not restart the collector for
// an outage of the database that a restart cannot fix.
func (s *Server) live(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "live\n") //nolint:errcheck // client gone
}

func (s *Server) retryAfter(w http.ResponseWriter) {
	w.Header().Set("Retry-After", strconv.Itoa(int(max(time.Second, s.timeouts.RetryAfter).Round(time.Second)/time.Second)))
}

// openDisputes is the gauges markhub_records_disputed_open and
// markhub_records_questioned_open: the health query run at each scrape
// with its deadline (one at a time with /healthz, its result reused for
// ServerOptions.HealthMaxAge), so every instance reports the store's count (take
// max, not sum, over instances). When the store does not answer the
// gauges are left out of the scrape, not set to 0.
type openDisputes struct {
	s          *Server
	desc       *prometheus.Desc
	questioned *prometheus.Desc
	zone       *prometheus.Desc
}

func newOpenDisputes(s *Server) openDisputes {
	return openDisputes{s: s, desc: prometheus.NewDesc("markhub_records_disputed_open",
		"Disputed acceptances no supervisor has reviewed yet on the regional alerts page (the whole store; at most "+strconv.Itoa(DisputedOpenCap)+": more count as that); "+
			"absent when the store does not answer.", nil, nil),
		questioned: prometheus.NewDesc("markhub_records_questioned_open",
			"Questioned rejections (REJECTs whose signed mark the collector would have accepted: a counter's wrong clock, time zone or lists) "+
				"no supervisor has reviewed yet on the regional questioned page (the whole store; at most "+strconv.Itoa(QuestionedOpenCap)+
				": more count as that); absent when the store does not answer.", nil, nil),
		zone: prometheus.NewDesc("markhub_terminals_zone_disagree",
			"Terminals whose newest record with the UTC offset it judged dates by disagrees with its office's zone, by check: "+
				"differs (the counter judges in another zone: its tz is wrong), data_differ (its tz is the office's, its zone data "+
				"give another offset than the collector's); absent when the store does not answer.", []string{"check"}, nil)}
}

func (o openDisputes) Describe(ch chan<- *prometheus.Desc) {
	ch <- o.desc
	ch <- o.questioned
	ch <- o.zone
}

func (o openDisputes) Collect(ch chan<- prometheus.Metric) {
	r := o.s.storeCheck(context.Background()) // the query's own deadline; shared with /healthz (healthcache.go)
	c, err := r.c, r.err
	if err != nil {
		o.s.log.Warn("metrics: open disputed acceptances and questioned rejections not counted", "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(o.desc, prometheus.GaugeValue, float64(min(c.DisputedOpen, DisputedOpenCap)))
	ch <- prometheus.MustNewConstMetric(o.questioned, prometheus.GaugeValue, float64(min(c.QuestionedOpen, QuestionedOpenCap)))
	ch <- prometheus.MustNewConstMetric(o.zone, prometheus.GaugeValue, float64(c.ZoneDiffers), ZoneDiffers.String())
	ch <- prometheus.MustNewConstMetric(o.zone, prometheus.GaugeValue, float64(c.ZoneDataDiffer), ZoneDataDiffer.String())
}
