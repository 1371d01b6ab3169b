// Package httpapi is the daemon's HTTP interface for programs: /healthz,
// /metrics (Prometheus), the JSON API over the stored scans (/api/scans)
// and /events, a server-sent event per verdict. The pages for people live
// in package web, which mounts itself in front of this handler.
package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"markd/batch"
	"markd/internal/httperr"
	"markd/internal/tokenbucket"
	"markd/mark"
	"markd/store"
)

// Feed is the pipeline's stream of decided records.
type Feed interface {
	Subscribe() (<-chan mark.Record, func())
}

// Options configures the server. Store is required.
type Options struct {
	Store    *store.DB
	Feed     Feed                       // nil: /events sends only keepalives
	Sources  func() []mark.SourceHealth // health of the input sources
	Versions func() mark.Versions       // lists in force
	// StoreErr returns the pipeline's last write failure (nil when writes work).
	StoreErr func() error
	// Extra adds fields to /healthz (e.g. "sync" freshness).
	Extra     func() map[string]any
	Metrics   *Metrics
	Location  *time.Location // for dates (YYYY-MM-DD) in from/to
	Log       *slog.Logger
	Keepalive time.Duration // SSE comment interval; 0 = 15s
	// Scans takes POST /api/scans (the pipeline); nil: not served.
	Scans Submitter
	// Batches serves /api/batches; nil: not served.
	Batches *batch.Service
	// Counter is this daemon's counter: scans posted to the API are made
	// there, and operators read only its scans.
	Counter string
	// Office is this daemon's office (the answer to a scan refused before
	// it was judged names it).
	Office uint32
	// Now is the clock that says which day is today (operators read
	// today's scans); nil: time.Now.
	Now func() time.Time
	// WriteLimit is the batch writes (open, list, close, cancel) a minute
	// of one API token or logged-in user after WriteBurst of them at once
	// (config api.write_limit, api.write_burst; writebudget.go); past it
	// 429 with Retry-After. Scans are not limited. 0: no limit.
	WriteLimit int
	WriteBurst int
	// Clock measures the time the write budget refills in; nil: time.Now.
	Clock func() time.Time
}

// Server serves the API. Mount adds handlers (the web pages) to its mux.
type Server struct {
	opt  Options
	log  *slog.Logger
	mux  *http.ServeMux
	keys keyLocks // Idempotency-Keys of scans in flight
	// writes is the budget of batch writes of each token and user.
	writes *tokenbucket.Set // each holder's batch writes (writebudget.go)
	// patterns is every route's pattern, in the order routes made them.
	patterns []string
}

// New builds the server and its routes.
func New(o Options) *Server {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Keepalive <= 0 {
		o.Keepalive = 15 * time.Second
	}
	s := &Server{opt: o, log: o.Log.With("subsystem", "http"), mux: http.NewServeMux()}
	if o.WriteLimit > 0 {
		if o.Clock == nil {
			o.Clock = time.Now
		}
		s.writes = tokenbucket.New(float64(o.WriteLimit)/60, o.WriteBurst, o.Clock, maxIdleBuckets)
	}
	s.routes()
	return s
}

// routes is every route of the API, in one place.
func (s *Server) routes() {
	s.handle("GET /healthz", http.HandlerFunc(s.health))
	s.handle("GET /healthz/ready", http.HandlerFunc(s.ready))
	s.handle("GET /healthz/live", http.HandlerFunc(s.live))
	s.handle("GET /metrics", s.opt.Metrics.handler(s.opt.Sources, s.storeReady, s.opt.Store.Path))
	s.handle("GET /api/scans", http.HandlerFunc(s.listScans))
	s.handle("GET /api/scans/{id}", http.HandlerFunc(s.getScan))
	s.handle("GET /events", http.HandlerFunc(s.events))
	s.batchRoutes()
}

// handle adds a route and keeps its pattern for Routes.
func (s *Server) handle(pattern string, h http.Handler) {
	s.mux.Handle(pattern, h)
	s.patterns = append(s.patterns, pattern)
}

// Routes is the pattern of every route of the API (http.ServeMux syntax),
// Mount's included: the pages' tests walk them to check who may call each.
func (s *Server) Routes() []string { return slices.Clone(s.patterns) }

// Handler returns the API handler. A path under /api/ it does not serve,
// or a method its route does not take, is answered in JSON like every
// error of the API (the mux alone answers in plain text).
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			if err := httperr.NoRoute(s.mux, w, r); err != nil {
				s.fail(w, r, mark.WithHint(err, "the routes of the API are in docs/local-api.md"))
				return
			}
			if !s.spendWrite(w, r) {
				return
			}
		}
		s.mux.ServeHTTP(w, r)
	})
}

// Mux exposes the mux so other packages can wrap or extend it.
func (s *Server) Mux() *http.ServeMux { return s.mux }

// Mount adds a handler for pattern (http.ServeMux syntax).
func (s *Server) Mount(pattern string, h http.Handler) { s.handle(pattern, h) }

// PublicPaths are the API paths that need no login (monitoring).
var PublicPaths = []string{"/healthz", "/healthz/ready", "/healthz/live", "/metrics"}

// TextJSON is an operator text in both languages.
type TextJSON struct {
	RU string `json:"ru"`
	EN string `json:"en"`
}

// RecordJSON is a record as the API gives it: the stored fields, the
// decoded mark (when its signature verified) and the texts for people.
type RecordJSON struct {
	mark.Record
	Mark        *mark.Fields `json:"mark,omitempty"`
	VerdictText TextJSON     `json:"verdict_text"`
	ReasonsText []TextJSON   `json:"reasons_text"`
}

// View converts a record for the API and the event stream.
func View(r mark.Record) RecordJSON {
	out := RecordJSON{Record: r, ReasonsText: []TextJSON{}}
	// Every time of the API is UTC: a record just made carries the
	// clock's zone, one read back from the store UTC.
	out.At = r.At.UTC()
	if fa := r.FirstAccepted; fa != nil {
		utc := *fa
		utc.At = fa.At.UTC()
		out.FirstAccepted = &utc
	}
	if out.Reasons == nil {
		out.Reasons = []mark.Reason{}
	}
	if r.Mark != nil {
		f := r.Mark.Fields()
		out.Mark = &f
	}
	vt := mark.VerdictText(r.Verdict)
	out.VerdictText = TextJSON{vt.RU, vt.EN}
	for _, rs := range r.Reasons {
		t := mark.Explain(rs)
		out.ReasonsText = append(out.ReasonsText, TextJSON{t.RU, t.EN})
	}
	return out
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	type storeHealth struct {
		OK    bool   `json:"ok"`
		Path  string `json:"path"`
		Error string `json:"error,omitempty"`
		Hint  string `json:"hint,omitempty"`
	}
	st := storeHealth{OK: true, Path: s.opt.Store.Path()}
	err := s.opt.Store.Ping(ctx)
	if err == nil && s.opt.StoreErr != nil {
		err = s.opt.StoreErr()
	}
	if err != nil {
		st = storeHealth{Path: st.Path, Error: err.Error(), Hint: mark.Hint(err)}
	}
	body := map[string]any{"ok": st.OK, "store": st, "sources": []mark.SourceHealth{}}
	if s.opt.Sources != nil {
		body["sources"] = s.opt.Sources()
	}
	if s.opt.Versions != nil {
		body["versions"] = s.opt.Versions()
	}
	if s.opt.Extra != nil {
		for k, v := range s.opt.Extra() {
			body[k] = v
		}
	}
	code := http.StatusOK
	if !st.OK {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, body)
}

// storeReady is nil while the store answers and its last write worked:
// /healthz/ready and markd_store_up.
func (s *Server) storeReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.opt.Store.Ping(ctx)
	if err == nil && s.opt.StoreErr != nil {
		err = s.opt.StoreErr()
	}
	return err
}

// ready answers GET /healthz/ready: 200 while the store answers and the
// last write worked (scans can be recorded), else 503. Sources and the
// collector do not count: the counter records scans without them.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	err := s.storeReady()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err != nil {
		s.log.Warn("not ready", "err", err)
		w.Header().Set("Retry-After", "5")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "not ready: the store does not record scans")
		return
	}
	fmt.Fprintln(w, "ready")
}

// live answers GET /healthz/live: the process serves HTTP.
func (s *Server) live(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "live")
}

// ParseFilter reads the query of /api/scans: verdict, reason, review
// (comma-separated or repeated), from and to (RFC 3339 or YYYY-MM-DD in
// loc), counter, operator, contract, cursor, limit, order (asc|desc).
func ParseFilter(q map[string][]string, loc *time.Location) (store.Filter, error) {
	var f store.Filter
	list := func(key string) []string {
		var out []string
		for _, v := range q[key] {
			for _, p := range strings.Split(v, ",") {
				if p = strings.TrimSpace(p); p != "" {
					out = append(out, p)
				}
			}
		}
		return out
	}
	one := func(key string) string {
		if v := q[key]; len(v) > 0 {
			return strings.TrimSpace(v[len(v)-1])
		}
		return ""
	}
	bad := func(key, val, why string) error {
		return fmt.Errorf("query %s=%q: %s: %w", key, val, why, mark.ErrInvalid)
	}
	for _, v := range list("verdict") {
		switch vd := mark.Verdict(strings.ToUpper(v)); vd {
		case mark.Accept, mark.Reject, mark.NotAMark, mark.DuplicateScan, mark.Error:
			f.Verdicts = append(f.Verdicts, vd)
		default:
			return f, bad("verdict", v, "not a verdict")
		}
	}
	for _, v := range list("reason") {
		rs := mark.Reason(strings.ToUpper(v))
		if !containsReason(rs) {
			return f, bad("reason", v, "not a reason code")
		}
		f.Reasons = append(f.Reasons, rs)
	}
	for _, v := range list("review") {
		switch st := mark.ReviewState(v); st {
		case mark.ReviewPending, mark.ReviewConfirmed, mark.ReviewOverridden:
			f.Review = append(f.Review, st)
		default:
			return f, bad("review", v, "must be pending, confirmed or overridden")
		}
	}
	var err error
	for _, k := range []struct {
		key string
		dst *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		v := one(k.key)
		if v == "" {
			continue
		}
		if *k.dst, err = time.Parse(time.RFC3339Nano, v); err != nil {
			d, err := time.Parse(time.DateOnly, v)
			if err != nil {
				return f, bad(k.key, v, "not RFC 3339 or YYYY-MM-DD")
			}
			*k.dst = mark.StartOfDay(d.Year(), d.Month(), d.Day(), loc) // after a jump over midnight, not before it
		}
	}
	f.Counter, f.Operator, f.Cursor = one("counter"), one("operator"), one("cursor")
	if v := one("contract"); v != "" {
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return f, bad("contract", v, "not a contract number")
		}
		f.Contract = uint32(n)
	}
	if v := one("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxLimit {
			return f, bad("limit", v, fmt.Sprintf("must be 1..%d", store.MaxLimit))
		}
		f.Limit = n
	}
	switch one("order") {
	case "", "asc":
	case "desc":
		f.Desc = true
	default:
		return f, bad("order", one("order"), "must be asc or desc")
	}
	return f, nil
}

func containsReason(r mark.Reason) bool {
	for _, x := range mark.AllReasons {
		if x == r {
			return true
		}
	}
	return false
}

// ScansPage is the body of GET /api/scans.
type ScansPage struct {
	Scans []RecordJSON `json:"scans"`
	Next  string       `json:"next,omitempty"` // cursor of the next page
}

func (s *Server) listScans(w http.ResponseWriter, r *http.Request) {
	f, err := ParseFilter(r.URL.Query(), s.opt.Location)
	if err == nil {
		f, err = s.limitScope(r, f)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	recs, next, err := s.opt.Store.List(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := ScansPage{Scans: make([]RecordJSON, 0, len(recs)), Next: next}
	for _, rec := range recs {
		rec.Frame = nil
		page.Scans = append(page.Scans, View(rec))
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) getScan(w http.ResponseWriter, r *http.Request) {
	rec, err := s.opt.Store.Get(r.Context(), r.PathValue("id"))
	if err == nil {
		err = s.recordInScope(r, rec)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, View(rec))
}

// writeJSON is httperr.WriteJSON (a 503 gets its Retry-After there).
func writeJSON(w http.ResponseWriter, code int, v any) { httperr.WriteJSON(w, code, v) }

// fail answers an error with the status of its sentinel (httperr: JSON,
// a server error's details only in the log).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	httperr.Writer{Log: s.log}.Write(w, r, err)
}
