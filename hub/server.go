package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"markd/internal/httperr"
	"markd/internal/tokenbucket"
	"markd/mark"
)

// Server is the collector's HTTP API.
type Server struct {
	store     Store
	checker   *Checker
	log       *slog.Logger
	now       func() time.Time
	timeouts  Timeouts
	plausible Plausibility
	zones     *OfficeZones
	inflight  *inFlight
	uploads   *tokenbucket.Set
	reads     *tokenbucket.Set // GET /v1/bundle, /v1/serials, /v1/questioned (readlimit.go)
	guard     *authGuard       // made-up tokens cheap (authguard.go)
	// healthCache runs the health query one at a time and reuses its
	// result briefly (healthcache.go).
	healthCache healthCache
	reg         *prometheus.Registry
	// lastWrite is the Unix time (ns) of the last upload the store committed.
	lastWrite atomic.Int64

	stored, duplicates, events prometheus.Counter
	alerts, unverified         prometheus.Counter
	disputed                   prometheus.Counter
	zoneChecks                 *prometheus.CounterVec // markhub_records_zone_total{check}
	requests                   *prometheus.CounterVec
	limited                    *prometheus.CounterVec // markhub_uploads_limited_total{limit}
	connsRefused               prometheus.Counter     // markhub_connections_refused_total (LimitConns)
	authRefused                *prometheus.CounterVec // markhub_auth_refused_total{reason}

	authLogMu    sync.Mutex
	authLogged   time.Time // when an address over auth_failures_per_addr was last logged
	authUnlogged int
}

// ServerOptions configure NewServer; a zero field takes its default.
type ServerOptions struct {
	Log      *slog.Logger         // default slog.Default()
	Registry *prometheus.Registry // nil: no /metrics
	Now      func() time.Time     // the clock; default time.Now
	// Timeouts bound every store call of a request; a zero duration takes
	// DefaultTimeouts' value.
	Timeouts Timeouts
	// Plausible bounds the scan times of uploaded records; nil takes
	// DefaultPlausibility (a zero field of a given one turns that check off).
	Plausible *Plausibility
	// Zones are the offices' time zones the dates of their ACCEPTs are
	// judged in (Checker.Judge); nil: no office's zone is known, every
	// date is judged in every zone.
	Zones *OfficeZones
	// InFlight bounds the uploads of one terminal in progress at once;
	// 0 takes DefaultInFlight.
	InFlight int
	// UploadRate and UploadBurst bound the uploads of one terminal over
	// time: a token bucket of UploadBurst refilled at UploadRate a
	// second (ratelimit.go). UploadRate 0 takes DefaultUploadRate (and
	// UploadBurst 0 DefaultUploadBurst); a negative UploadRate: no limit.
	UploadRate  float64
	UploadBurst int
	// ReadRate and ReadBurst bound the reads of one terminal (GET
	// /v1/bundle, /v1/serials, /v1/questioned together) the same way
	// (readlimit.go); 0 takes DefaultReadRate and DefaultReadBurst; a
	// negative ReadRate: no limit.
	ReadRate  float64
	ReadBurst int
	// LimitClock is the clock of the upload rate limit; default time.Now
	// (real elapsed time, whatever Now says).
	LimitClock func() time.Time
	// HealthMaxAge is how long a health query's result answers /healthz,
	// /healthz/ready and /metrics; 0 takes DefaultHealthMaxAge; negative:
	// not reused (still one query at a time).
	HealthMaxAge time.Duration
	// AuthFailuresPerAddr is the failed token authentications a minute
	// of one remote address (authguard.go); 0 takes
	// DefaultAuthFailuresPerAddr; negative: no limit (behind a proxy).
	// Its clock is LimitClock.
	AuthFailuresPerAddr int
}

// NewServer makes the API over store.
func NewServer(store Store, o ServerOptions) *Server {
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	def := DefaultTimeouts()
	if o.Timeouts.Check <= 0 {
		o.Timeouts.Check = def.Check
	}
	if o.Timeouts.Write <= 0 {
		o.Timeouts.Write = def.Write
	}
	if o.Timeouts.RetryAfter <= 0 {
		o.Timeouts.RetryAfter = def.RetryAfter
	}
	plausible := DefaultPlausibility()
	if o.Plausible != nil {
		plausible = *o.Plausible
	}
	if o.InFlight <= 0 {
		o.InFlight = DefaultInFlight
	}
	o.UploadRate = limitOr(o.UploadRate, DefaultUploadRate)
	if o.UploadBurst <= 0 {
		o.UploadBurst = DefaultUploadBurst
	}
	o.ReadRate = limitOr(o.ReadRate, DefaultReadRate)
	if o.ReadBurst <= 0 {
		o.ReadBurst = DefaultReadBurst
	}
	if o.LimitClock == nil {
		o.LimitClock = time.Now
	}
	if o.HealthMaxAge == 0 {
		o.HealthMaxAge = DefaultHealthMaxAge
	}
	o.AuthFailuresPerAddr = limitOr(o.AuthFailuresPerAddr, DefaultAuthFailuresPerAddr)
	reg := o.Registry
	s := &Server{inflight: &inFlight{n: map[string]int{}, max: o.InFlight},
		uploads:     newLimit(o.UploadRate, o.UploadBurst, o.LimitClock),
		reads:       newLimit(o.ReadRate, o.ReadBurst, o.LimitClock),
		healthCache: healthCache{maxAge: o.HealthMaxAge}, guard: newAuthGuard(float64(o.AuthFailuresPerAddr), o.LimitClock),
		store: store, checker: NewChecker(store), log: log.With("subsystem", "hub"), now: o.Now, timeouts: o.Timeouts, plausible: plausible, zones: o.Zones, reg: reg,
		stored:     prometheus.NewCounter(prometheus.CounterOpts{Name: "markhub_records_stored_total", Help: "Records stored for the first time."}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: "markhub_records_duplicate_total", Help: "Records received again and ignored (retries)."}),
		events:     prometheus.NewCounter(prometheus.CounterOpts{Name: "markhub_events_stored_total", Help: "Review events stored."}),
		alerts:     prometheus.NewCounter(prometheus.CounterOpts{Name: "markhub_alerts_sent_total", Help: "Reuse alerts sent in upload responses (with repeats until acknowledged)."}),
		unverified: prometheus.NewCounter(prometheus.CounterOpts{Name: "markhub_records_unverified_total",
			Help: "Records stored whose mark did not verify against the published keyrings (they claim no serial)."}),
		disputed: prometheus.NewCounter(prometheus.CounterOpts{Name: "markhub_records_disputed_total",
			Help: "ACCEPT records stored whose verified mark contradicts the acceptance (office, dates, scan time, lists); they claim their serial and are listed for review."}),
		zoneChecks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "markhub_records_zone_total",
			Help: "Records stored whose counter sent the UTC offset it judged by, in an office of known zone, by what it says: agrees, differs (the counter judges in another zone), data_differ (its tz is the office's, its zone data give another offset)."},
			[]string{"check"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "markhub_uploads_limited_total",
			Help: "Requests answered 429 by the per-terminal limits of this instance, by limit: rate (uploads over upload_rate, upload_burst), in_flight (uploads of one terminal at once), read_rate (GET /v1/bundle, /v1/serials, /v1/questioned over read_rate, read_burst)."},
			[]string{"limit"}),
		connsRefused: prometheus.NewCounter(prometheus.CounterOpts{Name: "markhub_connections_refused_total",
			Help: "Connections closed at accept: their remote address held max_conns_per_addr open already."}),
		authRefused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "markhub_auth_refused_total",
			Help: "Bearer tokens refused on /v1/ by why: form (not a token's form; no store lookup), cached (unknown a moment ago; no lookup), unknown (the store does not know it), addr_limit (the address is over auth_failures_per_addr; 429, no lookup)."},
			[]string{"reason"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "markhub_requests_total", Help: "API requests by route and status."}, []string{"route", "code"}),
	}
	s.checker.log = s.log
	if reg != nil {
		reg.MustRegister(s.stored, s.duplicates, s.events, s.alerts, s.unverified, s.disputed, s.zoneChecks, s.requests, s.limited, s.connsRefused, s.authRefused, newOpenDisputes(s))
	}
	return s
}

// LoadKeyrings reads the published bundles into the mark checker and
// returns how many distinct keyrings are in force. With none, every record
// carrying a mark is stored unverified, which it logs; so is each
// distrusted key of a keyring read, here or later (Checker.Distrusted).
func (s *Server) LoadKeyrings(ctx context.Context) (int, error) {
	if _, err := s.checker.refresh(ctx); err != nil {
		return 0, err
	}
	n, version, skipped := s.checker.Keyrings()
	if skipped != nil {
		s.log.Error("a stored bundle is unreadable; its keyring is not trusted", "err", skipped)
	}
	if n == 0 {
		s.log.Warn("no bundle published: every uploaded mark is stored unverified and claims no serial",
			"hint", "publish the issuer keyring with: markhub bundle publish --keyring FILE --tariffs FILE")
	} else {
		s.log.Info("keyrings in force for checking uploaded marks", "keyrings", n, "bundle", version)
	}
	return n, nil
}

// route is one route of the API: its pattern (http.ServeMux syntax) and
// handler.
type route struct {
	pattern string
	h       http.Handler
}

// routes is every route of the API, in one place (Handler, Routes).
func (s *Server) routes() []route {
	r := []route{
		{"GET /healthz", http.HandlerFunc(s.health)},
		{"GET /healthz/ready", http.HandlerFunc(s.ready)},
		{"GET /healthz/live", http.HandlerFunc(s.live)},
		{"POST /v1/upload", s.auth("upload", s.upload)},
		{"GET /v1/bundle", s.auth("bundle", s.limitReads(s.bundle))},
		{"GET /v1/serials", s.auth("serials", s.limitReads(s.serials))},
		{"GET /v1/questioned", s.auth("questioned", s.limitReads(s.questioned))},
	}
	if s.reg != nil {
		r = append(r, route{"GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{})})
	}
	return r
}

// Routes is the pattern of every route of the API (http.ServeMux
// syntax): the guard of docs/ checks the paths the documents name.
func (s *Server) Routes() []string {
	var p []string
	for _, r := range s.routes() {
		p = append(p, r.pattern)
	}
	return p
}

// Handler returns the routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, r := range s.routes() {
		mux.Handle(r.pattern, r.h)
	}
	// Every answer carries the collector's clock: counters measure their
	// skew by it.
	// A path under /v1/ no route takes, or a method its route does not,
	// is answered with the API's error body like every other refusal.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", s.now().UTC().Format(http.TimeFormat))
		if strings.HasPrefix(r.URL.Path, "/v1/") {
			if err := httperr.NoRoute(mux, w, r); err != nil {
				s.fail(w, r, mark.WithHint(err, "the collector's routes are in docs/api.md"))
				return
			}
		}
		mux.ServeHTTP(w, r)
	})
}

type ctxKey struct{}

// TerminalFrom returns the name of the authenticated terminal of a request.
func TerminalFrom(ctx context.Context) string { return terminalOf(ctx).Name }

func terminalOf(ctx context.Context) Terminal { t, _ := ctx.Value(ctxKey{}).(Terminal); return t }

// auth admits a terminal by client certificate (verified by the TLS layer
// against the configured CA; the common name is the terminal name) or by
// bearer token.
func (s *Server) auth(route string, next func(http.ResponseWriter, *http.Request) int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t, err := s.authenticate(r)
		var code int
		var over *authTooFastError
		if errors.As(err, &over) {
			code = s.authTooFast(w, over)
		} else if err != nil {
			code = s.fail(w, r, err)
		} else {
			s.noteClock(r, t)
			code = next(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, t)))
		}
		s.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	}
}

func (s *Server) authenticate(r *http.Request) (Terminal, error) {
	t, err := s.credentials(r)
	if err == nil && !t.Revoked.IsZero() {
		return Terminal{}, mark.WithHint(fmt.Errorf("terminal %s was revoked on the collector at %s: %w",
			t.Name, t.Revoked.UTC().Format(time.RFC3339), mark.ErrForbidden),
			"a terminal that may upload again is admitted with: markhub terminal readmit "+t.Name+" (a new token; --cert FILE for its new certificate)")
	}
	return t, err
}

// CertSHA256 is the stored form of a client certificate admitted by
// markhub terminal readmit: the hex SHA-256 of its DER.
func CertSHA256(der []byte) string {
	h := sha256.Sum256(der)
	return hex.EncodeToString(h[:])
}

// check runs the checker; only its read of new bundles has the store's
// short deadline, the signature checks take what they take.
func (s *Server) check(ctx context.Context, recs []Record) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeouts.Check)
	defer cancel()
	return s.checker.Check(ctx, recs)
}

// judge re-judges the verified ACCEPTs (Checker.Judge); its read of new
// bundles has the store's short deadline.
func (s *Server) judge(ctx context.Context, recs []Record) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeouts.Check)
	defer cancel()
	_, err := s.checker.Judge(ctx, recs, JudgeBy{Received: s.now(), Skew: s.plausible.ReceiptSkew, Zones: s.zones})
	return err
}

// checkOffices refuses an upload of a terminal without an office, and a
// record for an office other than the terminal's.
func checkOffices(t Terminal, q *UploadRequest) error {
	if t.Office == 0 {
		return mark.WithHint(fmt.Errorf("terminal %q has no office set: %w", t.Name, mark.ErrForbidden),
			"set it on the collector with: markhub terminal set "+t.Name+" --office N")
	}
	for i := range q.Records {
		if o := q.Records[i].Office; o != t.Office {
			return fieldErr("records", i, "office", "terminal %s belongs to office %06d; a record for office %06d is refused",
				t.Name, t.Office, o)
		}
	}
	for i := range q.Batches {
		if o := q.Batches[i].Office; o != t.Office {
			return fieldErr("batches", i, "office", "terminal %s belongs to office %06d; a batch of office %06d is refused",
				t.Name, t.Office, o)
		}
	}
	return nil
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request) int {
	w.Header().Set(HeaderTakes, TakesReceiptCounts+", "+TakesAtOffset+", "+TakesZoneData+", "+TakesQuestions)
	name := TerminalFrom(r.Context())
	if ok, wait, log := s.uploads.Take(name); !ok {
		return s.tooFast(w, name, wait, log)
	}
	if !s.inflight.enter(name) {
		return s.tooMany(w, name)
	}
	defer s.inflight.leave(name)
	var q UploadRequest
	// refuse answers a request the collector will not take and keeps the
	// refusal for the regional pages.
	refuse := func(err error) int {
		s.noteRefusal(r, &q, err)
		return s.fail(w, r, err)
	}
	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		return refuse(err)
	}
	if err := checkContentEncoding(r.Header.Values("Content-Encoding")); err != nil {
		return refuse(err)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return s.writeJSON(w, http.StatusRequestEntityTooLarge, ErrorResponse{Code: httperr.Code(http.StatusRequestEntityTooLarge),
			Error: fmt.Sprintf("request body larger than %d bytes", MaxBody), Hint: "send fewer records per request"})
	}
	if errors.Is(err, ErrBodyTooSlow) {
		// Logged by MinBodyRate; no answer (the client is not reading
		// one in time): the connection is closed, a counter sends again.
		panic(http.ErrAbortHandler)
	}
	if err != nil {
		return refuse(fmt.Errorf("read body: %w: %v", mark.ErrInvalid, err))
	}
	if err := DecodeUpload(body, &q); err != nil {
		return refuse(err)
	}
	if err := q.Validate(); err != nil {
		return refuse(err)
	}
	t := terminalOf(r.Context())
	waiting, err := parseWaiting(r.Header)
	if err != nil {
		return refuse(err)
	}
	q.Waiting = waitingToStore(t, waiting, s.now())
	if err := checkOffices(t, &q); err != nil {
		return refuse(err)
	}
	if err := s.plausible.checkAt(&q, s.now(), t.Created); err != nil {
		return refuse(err)
	}
	if err := s.check(r.Context(), q.Records); err != nil {
		return refuse(err)
	}
	if err := s.judge(r.Context(), q.Records); err != nil {
		return refuse(err)
	}
	q.scrubNUL()
	ctx, cancel := context.WithTimeout(r.Context(), s.timeouts.Write)
	defer cancel()
	terminal := t.Name
	resp, err := s.store.Ingest(ctx, terminal, &q, s.now())
	if err != nil {
		return refuse(err) // kept when it is the upload's fault (an id used twice, an event on an unknown record)
	}
	s.lastWrite.Store(s.now().UnixNano())
	if resp.Terminal, err = s.terminalState(ctx, r, terminal); err != nil {
		return s.fail(w, r, err) // the upload is stored: the counter's retry is a repeat
	}
	if resp.Unverified > 0 {
		s.unverified.Add(float64(resp.Unverified))
		for i := range q.Records {
			if r := &q.Records[i]; r.Verification == Unverified {
				s.log.Warn("record stored unverified: it claims no serial", "terminal", terminal, "record", r.ID, "why", r.Why)
				break // one line per request; the count is in /metrics
			}
		}
	}
	if resp.Disputed > 0 {
		s.disputed.Add(float64(resp.Disputed))
		for i := range q.Records {
			if r := &q.Records[i]; len(r.Disputed) > 0 {
				s.log.Warn("ACCEPT disputed: the mark contradicts it; stored, serial claimed, listed for review",
					"terminal", terminal, "record", r.ID, "reasons", joinReasons(r.Disputed), "why", r.Why)
				break // one line per request; the count is in /metrics
			}
		}
	}
	for i := range q.Records {
		if r := &q.Records[i]; len(r.Questioned) > 0 && resp.Stored > 0 { // not for an upload of repeats only
			s.log.Warn("REJECT questioned: the collector would have accepted the mark; stored as sent, listed for review",
				"terminal", terminal, "record", r.ID, "reasons", joinReasons(r.Questioned), "why", r.Why)
			break // one line per request; the count is on /healthz and in /metrics
		}
	}
	s.noteZone(r.Context(), t, q.Records, resp.Stored > 0)
	s.stored.Add(float64(resp.Stored))
	s.duplicates.Add(float64(resp.Duplicates))
	s.events.Add(float64(resp.Events))
	s.alerts.Add(float64(len(resp.Alerts)))
	if resp.Alerts == nil {
		resp.Alerts = []mark.ReuseAlert{}
	}
	s.log.Debug("upload", "terminal", terminal, "stored", resp.Stored, "duplicates", resp.Duplicates,
		"unverified", resp.Unverified, "disputed", resp.Disputed, "events", resp.Events, "alerts", len(resp.Alerts))
	return s.writeJSON(w, http.StatusOK, resp)
}

// checkContentType takes an upload's media type: application/json, in
// any case (RFC 9110 §8.3.1: type and subtype are case-insensitive), with
// any parameters (charset); none given is taken as JSON (older counters).
// Before it, a prefix match refused "Application/JSON" and took
// "application/jsonp".
func checkContentType(ct string) error {
	if ct == "" {
		return nil
	}
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return &FieldError{Field: "Content-Type", Why: fmt.Sprintf("must be application/json, not %q", ct)}
	}
	return nil
}

// checkContentEncoding takes an upload's body as sent: no
// Content-Encoding, or identity. The collector inflates nothing (so no
// gzip or deflate bomb can grow past MaxBody in its memory), and before
// this a compressed body was refused as JSON with "invalid character
// '\x1f'", naming neither the header nor what to do.
func checkContentEncoding(values []string) error {
	for _, v := range values {
		for _, coding := range strings.Split(v, ",") {
			if c := strings.TrimSpace(coding); c != "" && !strings.EqualFold(c, "identity") {
				return &FieldError{Field: "Content-Encoding", Why: fmt.Sprintf("%q: the collector takes the JSON body uncompressed only (no gzip, deflate or br)", v)}
			}
		}
	}
	return nil
}

// jsonErr turns a decoding error into a field error where its type names
// the field; otherwise (syntax, unknown field) the message names it.
func jsonErr(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field == "" {
		// The body itself: an array, a string, a number.
		return fmt.Errorf("body is not a valid upload request: %w: a JSON %s where an object was expected", mark.ErrInvalid, te.Value)
	}
	if errors.As(err, &te) {
		return &FieldError{Field: te.Field, Why: fmt.Sprintf("wrong type: %s where %s was expected", te.Value, te.Type)}
	}
	return fmt.Errorf("body is not a valid upload request: %w: %v", mark.ErrInvalid, err)
}

// bundle answers GET /v1/bundle?after=N: the newest bundle when its
// version is above N, else 204.
func (s *Server) bundle(w http.ResponseWriter, r *http.Request) int {
	var after uint64
	if a := r.URL.Query().Get("after"); a != "" {
		var err error
		if after, err = strconv.ParseUint(a, 10, 64); err != nil {
			return s.fail(w, r, &FieldError{Field: "after", Why: fmt.Sprintf("%q is not a version number", a)})
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.timeouts.Write)
	defer cancel()
	v, data, err := s.store.LatestBundle(ctx)
	if errors.Is(err, mark.ErrNotFound) || (err == nil && v <= after) {
		w.WriteHeader(http.StatusNoContent)
		return http.StatusNoContent
	}
	if err != nil {
		return s.fail(w, r, err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Bundle-Version", strconv.FormatUint(v, 10))
	w.Write(data) //nolint:errcheck // client gone
	return http.StatusOK
}

// fail maps an error to its status (sentinels of mark) and writes it. A
// server-side failure (5xx) is logged with its details; the client gets a
// short code and message only (no database names, hosts or users), and a
// 503 says when to come back (Retry-After). A request the client itself
// gave up is not an error of the collector: it is logged at debug level and
// counted as 499.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) int {
	if r.Context().Err() != nil {
		s.log.Debug("client gave up the request", "path", r.URL.Path, "err", err)
		return StatusClientClosed
	}
	code, resp := httperr.Describe(err)
	if code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="markhub"`)
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		resp.Field = fe.Field
	}
	// What a request named (an unknown key of 1 MiB) is not answered whole.
	resp.Error, resp.Field = clip(resp.Error, maxRefusedWhy), clip(resp.Field, maxFieldLen)
	if code >= 500 {
		resp.Hint = "" // a terminal cannot act on the collector's hints; the log has them
		if code == http.StatusServiceUnavailable {
			resp.Error = "collector store unavailable; retry later"
			s.retryAfter(w)
		}
	}
	httperr.Writer{Log: s.log, LogAttrs: func(r *http.Request) []any {
		return []any{"terminal", TerminalFrom(r.Context())}
	}}.Answer(w, r, code, resp, err)
	return code
}

// StatusClientClosed is the status counted (never sent) for a request
// the client cancelled before the answer (nginx's 499).
const StatusClientClosed = 499

func (s *Server) writeJSON(w http.ResponseWriter, code int, v any) int {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		s.log.Debug("write response", "err", err)
	}
	return code
}

// limitOr is a limit of ServerOptions as used: 0 takes def, a negative
// one is 0 (no limit).
func limitOr[T int | float64](v, def T) T {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// newLimit is a token bucket per terminal of burst refilled at rate a
// second (rate 0: no limit).
func newLimit(rate float64, burst int, now func() time.Time) *tokenbucket.Set {
	return tokenbucket.New(rate, burst, now, 0)
}
