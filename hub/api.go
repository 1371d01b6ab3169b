// Package hub is the central collector markhub: it receives the records of
// every counter over HTTPS, stores them once (idempotent by record id),
// detects a serial accepted at two counters or offices and reports it to
// both, and hands out the signed keyring/tariff/revocation bundles. The
// storage is behind Store, with a PostgreSQL backend (hub/pgstore) for
// production and an SQLite one (hub/sqlitestore) for a single machine; one
// test suite (hub/hubtest) runs against both.
//
// The wire format is documented in docs/api.md.
package hub

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"markd/internal/httperr"
	"markd/internal/webtext"
	"markd/mark"
)

// Limits of one upload request.
const (
	MaxBody       = 8 << 20 // bytes of one request body
	MaxRecords    = 10000   // records in one request
	MaxEvents     = 10000   // review events in one request
	MaxAcks       = 10000   // acknowledged alert ids in one request
	MaxAlertsSent = 1000    // alerts in one response
	// MaxDisputedIDs bounds the ids of disputed records in one response
	// (UploadResponse.DisputedIDs; the count is always whole).
	MaxDisputedIDs = 100
	maxIDLen       = 64
	maxNameLen     = 128
	maxNoteLen     = 4096
)

// Event actions that travel with an upload (the counter's audit actions).
const (
	ActionConfirm  = "confirm_rejection"
	ActionOverride = "override_accept"
)

// Record is one scan as uploaded: everything the counter stored except the
// camera frame. Mark is present only when the signature verified.
type Record struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
	// AtOffset is the UTC offset, in seconds east, the counter judged the
	// record's dates by: its tz's offset at At by the counter's own zone
	// data, and AtZone that tz's name (config tz). A counter sends them
	// only to a collector that takes them (TakesAtOffset); nil and "" =
	// not sent (an older counter, or the first request of a run): the
	// record is judged as before. Not part of the digest (a record sent
	// again with them is a repeat of itself sent without).
	AtOffset *int32 `json:"at_offset,omitempty"`
	AtZone   string `json:"at_zone,omitempty"`
	// AtZoneData names the zone data AtOffset came from, as
	// zones.Data.String() has it ("embedded 2025c", "system 2025b"): sent
	// with AtOffset to a collector that takes it (TakesZoneData); "" = not
	// sent. Not part of the digest either.
	AtZoneData      string           `json:"at_zone_data,omitempty"`
	Office          uint32           `json:"office"`
	Counter         string           `json:"counter"`
	Operator        string           `json:"operator,omitempty"`
	Source          string           `json:"source"`
	Text            string           `json:"text"`
	Verdict         mark.Verdict     `json:"verdict"`
	Reasons         []mark.Reason    `json:"reasons"`
	Mark            *mark.Fields     `json:"mark,omitempty"`
	MeasuredWeightG int              `json:"measured_weight_g,omitempty"`
	FirstAccepted   *mark.Acceptance `json:"first_accepted,omitempty"`
	Versions        mark.Versions    `json:"versions"`
	Review          mark.ReviewState `json:"review_state,omitempty"`
	Message         string           `json:"message,omitempty"`

	// Set by the collector before Ingest, never read from the wire (see
	// Checker): whether the mark verified, why not, and the digest that
	// tells a repeat of this record from a different one under its id.
	Verification Verification `json:"-"`
	Why          string       `json:"-"`
	Digest       string       `json:"-"`
	// Disputed: the reasons the collector's own judgment (Checker.Judge)
	// finds against a verified ACCEPT (MARK-FORMAT §7 codes, and
	// ReasonScannedAfterReceipt); Why says them in words. nil = not
	// disputed. A disputed record still claims its serial.
	Disputed []mark.Reason `json:"-"`
	// Questioned: the counter's reasons of a verified REJECT that the
	// collector's own judgment finds do not hold, the mark one it would
	// have accepted (questionRecord); Why says why in words. nil = not
	// questioned. The record is stored as sent.
	Questioned []mark.Reason `json:"-"`
	// Zone is what Judge found of AtOffset against the office's zone
	// (zoneagree.go); ZoneUnchecked when either is not known.
	Zone ZoneCheck `json:"-"`
}

// Verification is what the collector found when it checked a record's mark
// against the keyrings it published.
type Verification string

const (
	// NoMark: the record carries no decoded mark; nothing to check.
	NoMark Verification = "none"
	// Verified: the text's signature verified and the fields are the text's.
	Verified Verification = "verified"
	// Unverified: the text does not verify, or the fields differ from it.
	// The record is kept but never makes its serial count as used.
	Unverified Verification = "unverified"
	// Unchecked: stored before the collector checked marks (migrated rows).
	Unchecked Verification = "unchecked"
)

// Claims reports whether a record in this state may make its serial count
// as used.
func (v Verification) Claims() bool { return v == Verified || v == Unchecked }

// FromRecord converts a stored counter record to its upload form.
func FromRecord(r mark.Record) Record {
	w := Record{
		ID: r.ID, At: r.At.UTC(), Office: r.Office, Counter: r.Counter, Operator: r.Operator, Source: r.Source,
		Text: r.Text, Verdict: r.Verdict, Reasons: r.Reasons, MeasuredWeightG: r.MeasuredWeightG,
		FirstAccepted: r.FirstAccepted, Versions: r.Versions, Review: r.Review, Message: r.Message,
	}
	if w.Reasons == nil {
		w.Reasons = []mark.Reason{}
	}
	if r.Mark != nil {
		f := r.Mark.Fields()
		w.Mark = &f
	}
	return w
}

// Counts reports whether the record makes its serial count as used: an
// acceptance, or a rejection a supervisor overrode to accept (MARK-FORMAT
// §7: only a rejection is overridden; a DUPLICATE_SCAN or ERROR marked
// overridden claims nothing). Only a record whose mark the collector
// verified counts.
func (r *Record) Counts() bool {
	return r.Mark != nil && r.Verification.Claims() &&
		(r.Verdict == mark.Accept || (r.Verdict == mark.Reject && r.Review == mark.ReviewOverridden))
}

// Event is one supervisor decision on a record, from the counter's audit log.
// (terminal, id) identifies it: the same event sent twice is stored once.
type Event struct {
	ID       int64     `json:"id"`
	RecordID string    `json:"record_id"`
	Action   string    `json:"action"`
	Actor    string    `json:"actor"`
	At       time.Time `json:"at"`
	Note     string    `json:"note,omitempty"`
}

// ReviewState is the review state the event gives its record.
func (e *Event) ReviewState() mark.ReviewState {
	if e.Action == ActionOverride {
		return mark.ReviewOverridden
	}
	return mark.ReviewConfirmed
}

// UploadRequest is the body of POST /v1/upload.
type UploadRequest struct {
	Records   []Record `json:"records"`
	Events    []Event  `json:"events"`
	AckAlerts []int64  `json:"ack_alerts"`
	// Batches are ended batches with their receipts' totals (batches.go).
	Batches []Batch `json:"batches,omitempty"`

	// Waiting is the counter's outbox backlog besides this request, from
	// the X-Outbox-Records header (never the body: an older collector
	// refuses unknown fields but ignores a header). nil = not reported or
	// not worth a write (unchanged); Ingest stores it on the terminal.
	Waiting *int64 `json:"-"`
}

// UploadResponse is the answer to an upload. Every record and event of the
// request is stored once it is sent (Stored new, Duplicates already known).
// Alerts are all reuse alerts of this terminal not yet acknowledged.
type UploadResponse struct {
	Stored     int `json:"stored"`
	Duplicates int `json:"duplicates"`
	Events     int `json:"events"`
	// Unverified counts the new records whose mark did not verify at the
	// collector: they are kept but claim no serial.
	Unverified int `json:"unverified"`
	// Disputed counts the new ACCEPT records the collector's own judgment
	// contradicts (Checker.Judge): stored, claiming their serial, listed
	// for the regional supervisor. Left out when 0, so the answer to a
	// counter whose verdicts hold is as before.
	Disputed int `json:"disputed,omitempty"`
	// DisputedIDs names the first MaxDisputedIDs of them, in request
	// order, so the counter's log can say which; left out when none.
	DisputedIDs []string          `json:"disputed_ids,omitempty"`
	Alerts      []mark.ReuseAlert `json:"alerts"`
	// Batches counts the new batches stored (a repeat is not counted).
	Batches int `json:"batches,omitempty"`
	// TakesReceiptCounts is set by the counter from the answer's
	// HeaderTakes, never from the body: the collector takes a batch's
	// receipt counts.
	TakesReceiptCounts bool `json:"-"`
	// TakesAtOffset is set by the counter from the answer's HeaderTakes:
	// the collector takes a record's at_offset and at_zone.
	TakesAtOffset bool `json:"-"`
	// TakesZoneData is set by the counter from the answer's HeaderTakes:
	// the collector takes a record's at_zone_data.
	TakesZoneData bool `json:"-"`
	// TakesQuestions is set by the counter from the answer's HeaderTakes:
	// the collector serves GET /v1/questioned (questionfeed.go).
	TakesQuestions bool `json:"-"`
	// Terminal is what the collector holds from the terminal after this
	// upload, when the request asked (HeaderTerminalState).
	Terminal *TerminalState `json:"terminal,omitempty"`
}

// NoteDisputed counts a new record r of an upload in resp when the
// collector disputes it (Disputed, DisputedIDs): both backends' Ingest
// call it for each record they stored.
func (resp *UploadResponse) NoteDisputed(r *Record) {
	if len(r.Disputed) == 0 {
		return
	}
	resp.Disputed++
	if len(resp.DisputedIDs) < MaxDisputedIDs {
		resp.DisputedIDs = append(resp.DisputedIDs, r.ID)
	}
}

// ErrorResponse is the body of every non-2xx answer: the one error body
// of markd's HTTP servers (code: invalid, unauthorized, forbidden,
// not_found, conflict, too_large, too_many, unavailable, internal; field: the
// request field at fault, e.g. records[3].verdict).
type ErrorResponse = httperr.Body

// FieldError names the request field at fault. Err is the sentinel it
// stands for: mark.ErrInvalid when nil.
type FieldError struct {
	Field string
	Why   string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Why }
func (e *FieldError) Unwrap() error {
	if e.Err != nil {
		return e.Err
	}
	return mark.ErrInvalid
}

func fieldErr(field string, i int, name, format string, args ...any) error {
	if i >= 0 {
		field = fmt.Sprintf("%s[%d]", field, i)
	}
	if name != "" {
		field += "." + name
	}
	return &FieldError{Field: field, Why: fmt.Sprintf(format, args...)}
}

var knownVerdicts = map[mark.Verdict]bool{mark.Accept: true, mark.Reject: true, mark.NotAMark: true, mark.DuplicateScan: true, mark.Error: true}

var knownReasons = func() map[mark.Reason]bool {
	m := map[mark.Reason]bool{}
	for _, r := range mark.AllReasons {
		m[r] = true
	}
	return m
}()

func checkText(field string, i int, name, s string, max int, required bool) error {
	if required && strings.TrimSpace(s) == "" {
		return fieldErr(field, i, name, "required")
	}
	if len(s) > max {
		return fieldErr(field, i, name, "longer than %d bytes", max)
	}
	return nil
}

// checkID checks an id that names a row (a record, an event's record, a
// batch): required, at most maxIDLen bytes, and without NUL (U+0000):
// PostgreSQL cannot hold it, and scrubbed like other text it would make
// two ids one.
func checkID(field string, i int, name, s string) error {
	if err := checkText(field, i, name, s, maxIDLen, true); err != nil {
		return err
	}
	if strings.IndexByte(s, 0) >= 0 {
		return fieldErr(field, i, name, "%q holds a NUL character (U+0000), which no id may hold", s)
	}
	for at, c := range s {
		if unseen(c) {
			return fieldErr(field, i, name, "%q holds %U at byte %d, a character no id may hold: a control or format character (a bidirectional override, a zero width space) or U+FFFD, what a byte that is not UTF-8 decodes to; an id is shown on pages, in logs and CSV, and such a character makes two ids look alike", s, c, at)
		}
	}
	return nil
}

// unseen reports whether c is a character a reader of an id cannot see
// as itself: a control (Cc: C0, DEL, C1), a format character (Cf: the
// bidirectional overrides and isolates, zero width spaces and joiners,
// the soft hyphen, the byte order mark) or U+FFFD (the JSON decoding of
// a byte that is not UTF-8, so two ids sent apart would be one). Ids of
// counters are UUIDs; the red-team pass found these stored as sent.
func unseen(c rune) bool {
	return c == utf8.RuneError || unicode.IsControl(c) || unicode.Is(unicode.Cf, c)
}

// maxCount bounds the counts and grams of an upload: what the stores'
// INTEGER columns hold. Above it PostgreSQL refused the upload as a fault
// of its own (503, retried for ever) or, through the binary COPY, stored
// the value wrapped.
const maxCount = math.MaxInt32

func joinReasons(rs []mark.Reason) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = string(r)
	}
	return strings.Join(parts, ", ")
}

// Validate checks a request against the limits and the record rules and
// returns a *FieldError (mark.ErrInvalid) naming the first bad field.
func (q *UploadRequest) Validate() error {
	if len(q.Records) > MaxRecords {
		return fieldErr("records", -1, "", "%d records, at most %d per request", len(q.Records), MaxRecords)
	}
	if len(q.Events) > MaxEvents {
		return fieldErr("events", -1, "", "%d events, at most %d per request", len(q.Events), MaxEvents)
	}
	if len(q.AckAlerts) > MaxAcks {
		return fieldErr("ack_alerts", -1, "", "%d ids, at most %d per request", len(q.AckAlerts), MaxAcks)
	}
	if len(q.Batches) > MaxBatches {
		return fieldErr("batches", -1, "", "%d batches, at most %d per request", len(q.Batches), MaxBatches)
	}
	for i := range q.Records {
		if err := q.Records[i].validate(i); err != nil {
			return err
		}
	}
	for i := range q.Batches {
		if err := q.Batches[i].validate(i); err != nil {
			return err
		}
	}
	for i, e := range q.Events {
		if e.ID <= 0 {
			return fieldErr("events", i, "id", "must be positive")
		}
		if err := checkID("events", i, "record_id", e.RecordID); err != nil {
			return err
		}
		if e.Action != ActionConfirm && e.Action != ActionOverride {
			return fieldErr("events", i, "action", "%q is not %s or %s", e.Action, ActionConfirm, ActionOverride)
		}
		if err := checkText("events", i, "actor", e.Actor, maxNameLen, true); err != nil {
			return err
		}
		// A person's name, shown on the regional pages and in CSV: the
		// note's rule, and no line breaks (the counter's account names
		// are letters, digits, '.', '_' and '-').
		if pos, what := webtext.BadNameChar(e.Actor); pos > 0 {
			return fieldErr("events", i, "actor", "character %d is %s: a name may not hold control, bidirectional or zero width characters nor line breaks or tabs", pos, what)
		}
		if e.At.IsZero() {
			return fieldErr("events", i, "at", "required")
		}
		if err := checkText("events", i, "note", e.Note, maxNoteLen, false); err != nil {
			return err
		}
		// The review forms' rule (webtext.CheckNote): the note is a
		// supervisor's, shown on the regional pages, in CSV and sent
		// back in the questioned feed.
		if pos, what := webtext.BadNoteChar(e.Note); pos > 0 {
			return fieldErr("events", i, "note", "character %d is %s: a note may not hold control, bidirectional or zero width characters (line breaks and tabs are fine); the counter's review form refuses it too", pos, what)
		}
	}
	return nil
}

func (r *Record) validate(i int) error {
	const f = "records"
	if err := checkID(f, i, "id", r.ID); err != nil {
		return err
	}
	if r.At.IsZero() {
		return fieldErr(f, i, "at", "required")
	}
	if r.Office > 999999 {
		return fieldErr(f, i, "office", "%d is not a 6-digit postal index", r.Office)
	}
	if err := checkText(f, i, "counter", r.Counter, maxNameLen, true); err != nil {
		return err
	}
	for _, c := range []struct{ name, v string }{{"operator", r.Operator}, {"source", r.Source},
		{"versions.keyring", r.Versions.Keyring}, {"versions.tariffs", r.Versions.Tariffs},
		{"versions.revocations", r.Versions.Revocations}} {
		if err := checkText(f, i, c.name, c.v, maxNameLen, false); err != nil {
			return err
		}
	}
	if err := r.validateAtZone(i); err != nil {
		return err
	}
	if err := checkText(f, i, "text", r.Text, mark.MaxInputSize, false); err != nil {
		return err
	}
	if err := checkText(f, i, "message", r.Message, maxNoteLen, false); err != nil {
		return err
	}
	if !knownVerdicts[r.Verdict] {
		return fieldErr(f, i, "verdict", "%q is not a verdict", r.Verdict)
	}
	if len(r.Reasons) > len(mark.AllReasons) {
		return fieldErr(f, i, "reasons", "%d reasons, at most %d", len(r.Reasons), len(mark.AllReasons))
	}
	for j, reason := range r.Reasons {
		if !knownReasons[reason] {
			return fieldErr(f, i, fmt.Sprintf("reasons[%d]", j), "%q is not a reason", reason)
		}
		if slices.Contains(r.Reasons[:j], reason) {
			return fieldErr(f, i, fmt.Sprintf("reasons[%d]", j), "%s is listed twice", reason)
		}
	}
	// MARK-FORMAT §7: "ACCEPT when step 4 and 5 give no reason, else
	// REJECT with the reasons". A record that says otherwise contradicts
	// itself: an acceptance that names what is wrong with its mark (it
	// would claim the serial), a rejection without a reason.
	switch {
	case r.Verdict == mark.Accept && len(r.Reasons) > 0:
		return fieldErr(f, i, "reasons", "an ACCEPT record has no reasons, this one names %s (MARK-FORMAT §7)", joinReasons(r.Reasons))
	case r.Verdict == mark.Reject && len(r.Reasons) == 0:
		return fieldErr(f, i, "reasons", "a REJECT record names its reasons, this one has none (MARK-FORMAT §7)")
	}
	if r.MeasuredWeightG < 0 || r.MeasuredWeightG > maxCount {
		return fieldErr(f, i, "measured_weight_g", "%d: use the grams the scale read, 0..%d (0 = not weighed)", r.MeasuredWeightG, maxCount)
	}
	switch r.Review {
	case mark.ReviewNone, mark.ReviewPending, mark.ReviewConfirmed, mark.ReviewOverridden:
	default:
		return fieldErr(f, i, "review_state", "%q is not a review state", r.Review)
	}
	if r.Mark != nil {
		if _, err := r.Mark.Mark(); err != nil {
			return fieldErr(f, i, "mark", "%v", err)
		}
		if r.Mark.Serial == 0 {
			return fieldErr(f, i, "mark.serial", "must not be 0")
		}
	}
	if err := r.validateFirstAccepted(i); err != nil {
		return err
	}
	if r.Verdict == mark.Accept && r.Mark == nil {
		return fieldErr(f, i, "mark", "an ACCEPT record must carry its decoded mark")
	}
	return nil
}

// validateFirstAccepted holds a record's first acceptance (a
// DUPLICATE_SCAN's, mark.Acceptance) to the limits of what it names: a
// record id, a counter name, a postal index. Before the red-team pass it
// was stored unchecked (a record id of 100 KiB was taken). Characters
// are not refused as in ids: it names a record, often another terminal's
// restored from the collector, and names no row here.
func (r *Record) validateFirstAccepted(i int) error {
	a := r.FirstAccepted
	if a == nil {
		return nil
	}
	if err := checkText("records", i, "first_accepted.record_id", a.RecordID, maxIDLen, false); err != nil {
		return err
	}
	if err := checkText("records", i, "first_accepted.counter", a.Counter, maxNameLen, false); err != nil {
		return err
	}
	if a.Office > 999999 {
		return fieldErr("records", i, "first_accepted.office", "%d is not a 6-digit postal index", a.Office)
	}
	return nil
}

// scrubNUL replaces every NUL (U+0000) in the free text of a request (a
// scanned text, a message, a name, a note) with U+FFFD, as the upload's
// JSON already does with a byte that is not UTF-8: PostgreSQL's text
// cannot hold NUL, and the upload was answered 503 and retried for ever
// while SQLite stored it. Ids are refused instead (checkID). The server
// calls it after the check, so a record's digest is that of what the
// counter sent, and a repeat of it stays a repeat.
func (q *UploadRequest) scrubNUL() {
	for i := range q.Records {
		r := &q.Records[i]
		for _, p := range []*string{&r.AtZone, &r.AtZoneData, &r.Counter, &r.Operator, &r.Source, &r.Text, &r.Message, &r.Why,
			&r.Versions.Keyring, &r.Versions.Tariffs, &r.Versions.Revocations} {
			*p = scrubNUL(*p)
		}
	}
	for i := range q.Events {
		e := &q.Events[i]
		e.Actor, e.Note = scrubNUL(e.Actor), scrubNUL(e.Note)
	}
	for i := range q.Batches {
		b := &q.Batches[i]
		b.Counter, b.Operator = scrubNUL(b.Counter), scrubNUL(b.Operator)
	}
}

func scrubNUL(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x00", "\uFFFD")
}
