package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"markd/batchlist"
	"markd/decode"
	"markd/internal/httperr"
	"markd/mark"
)

// Submitter judges and records one scan and says why a verdict is ERROR
// (pipeline.Pipeline.Submit).
type Submitter interface {
	Submit(ctx context.Context, sc mark.Scan) (mark.Record, error)
}

type actorKey struct{}

// WithActor names who makes a request (a logged-in user, or "api:NAME"
// for a program's token): batch actions are audited under that name.
func WithActor(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, actorKey{}, name)
}

// Actor returns the name set by WithActor, or "".
func Actor(ctx context.Context) string {
	s, _ := ctx.Value(actorKey{}).(string)
	return s
}

type operatorKey struct{}

// WithOperator names the person at the counter when a program makes the
// request ("" when nobody is logged in there): a batch the program opens
// is theirs, as the scans are, while the audit names the program.
func WithOperator(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, operatorKey{}, name)
}

// batchOperator is the operator of a batch opened by this request: the
// person at the counter when a program opens it, else who asks.
func batchOperator(ctx context.Context) string {
	if p, _ := ctx.Value(operatorKey{}).(string); p != "" {
		return p
	}
	return Actor(ctx)
}

// Limits of request bodies.
const (
	maxScanBody = 16 << 10
	maxListBody = batchlist.MaxBytes // a list of 100 000 items fits
)

// batchRouteList is the local API of docs/openapi/local-api.yaml, in the
// order of batchRoutes (a test keeps the two in step).
var batchRouteList = []string{
	"POST /api/scans",
	"POST /api/batches",
	"GET /api/batches/current",
	"GET /api/batches/{id}",
	"POST /api/batches/{id}/expect",
	"POST /api/batches/{id}/close",
	"POST /api/batches/{id}/cancel",
	"GET /api/batches/{id}/receipt.pdf",
}

func (s *Server) batchRoutes() {
	handlers := []http.HandlerFunc{s.postScan, s.openBatch, s.currentBatch, s.getBatch, s.expectBatch,
		s.endBatch(true), s.endBatch(false), s.batchReceipt}
	for i, pattern := range batchRouteList {
		s.handle(pattern, handlers[i])
	}
}

// ScanRequest is the body of POST /api/scans.
type ScanRequest struct {
	// Text is the scanned text, at most mark.MaxInputSize bytes without
	// the white space around it (more white space is ignored, MARK-FORMAT
	// §1: the text is recorded without it).
	Text    string `json:"text"`
	WeightG int    `json:"weight_g,omitempty"` // measured weight, grams; 0 = unknown
	Batch   string `json:"batch,omitempty"`    // must be the counter's open batch
	// Source is "" or SourceBrowserWedge: the operator screen read the
	// text from a keyboard-wedge scanner (web/static/wedge.js).
	Source string `json:"source,omitempty"`
	// Length is the real length in bytes of a scan the client cut to its
	// first bytes (the browser wedge keeps 4096 of a longer burst, as the
	// serial and wedge framers do); 0: text is the whole scan. Such a scan
	// is recorded NOT_A_MARK with its length. At most MaxScanLength.
	Length int `json:"length,omitempty"`
}

// MaxScanLength bounds the length a client gives for a scan it cut
// (ScanRequest.Length): a mebibyte, over a hundred times the most any
// two-dimensional code holds (a QR code of version 40: 7 089 digits) and
// minutes of a keyboard wedge's keys. A larger number is not a scanner's
// line but a client's mistake (a file size, a counter of something else),
// and would be stored and uploaded in the record's message as the scan's
// length.
const MaxScanLength = 1 << 20

// SourceBrowserWedge is the source of scans the operator screen read from
// a keyboard-wedge scanner typing into the browser.
const SourceBrowserWedge = "browser-wedge"

// ScanResult is the answer of POST /api/scans: the durable verdict, and
// for an ERROR why it is one.
type ScanResult struct {
	RecordJSON
	// ID is the record's id; absent when nothing was recorded (it shadows
	// the record's own, which is always written).
	ID string `json:"id,omitempty"`
	// Code, Error and Hint say why a scan was refused or not recorded, as
	// in every error answer (httperr.Body); absent on a 200.
	Code  string `json:"code,omitempty"`
	Error string `json:"error,omitempty"`
	Hint  string `json:"hint,omitempty"`
}

// The body types the routes take: a JSON request, or a customer's list
// as its file's bytes (CSV or JSON, told from the content: batchlist.Parse).
var (
	jsonTypes = []string{"application/json"}
	listTypes = []string{"text/csv", "application/json", "text/plain", "application/octet-stream", "application/vnd.ms-excel"}
)

// checkType refuses a body whose Content-Type is not one of types (no
// Content-Type is taken): httperr.ErrMediaType, naming what the route takes.
func checkType(r *http.Request, types []string) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && slices.Contains(types, mt) {
		return nil
	}
	hint := "send Content-Type: " + types[0]
	if strings.HasPrefix(mt, "multipart/") || mt == "application/x-www-form-urlencoded" {
		hint = "send the body itself, not a form: Content-Type: " + types[0]
	}
	return mark.WithHint(fmt.Errorf("Content-Type %q: this request takes %s: %w: %w", ct, strings.Join(types, ", "),
		mark.ErrInvalid, httperr.ErrMediaType), hint)
}

// readBody reads a request body of at most limit bytes; a longer one is
// mark.ErrTooLarge naming the limit, with hint.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, hint string) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, mark.WithHint(fmt.Errorf("request body: more than %d bytes: %w: %w", limit, mark.ErrInvalid, mark.ErrTooLarge), hint)
	}
	if err != nil {
		return nil, fmt.Errorf("request body: unreadable: %v: %w", err, mark.ErrInvalid)
	}
	return body, nil
}

// decodeBody reads a JSON body of at most limit bytes into v, refusing
// unknown fields; an empty body leaves v as it is when empty is allowed.
func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, v any, empty bool) error {
	if err := checkType(r, jsonTypes); err != nil {
		return err
	}
	body, err := readBody(w, r, limit, "a request body is one small JSON object: see docs/local-api.md")
	if err != nil {
		return err
	}
	if empty && len(bytes.TrimSpace(bytes.TrimPrefix(body, utf8BOM))) == 0 {
		return nil
	}
	return readJSON(body, v)
}

// cut shortens b for a message.
func cut(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

func (s *Server) postScan(w http.ResponseWriter, r *http.Request) {
	if s.opt.Scans == nil {
		s.fail(w, r, fmt.Errorf("scans cannot be posted to this server: %w", mark.ErrUnavailable))
		return
	}
	var req ScanRequest
	if err := decodeBody(w, r, maxScanBody, &req, false); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.Text == "" {
		s.fail(w, r, mark.WithHint(fmt.Errorf("text: empty: %w", mark.ErrInvalid),
			fmt.Sprintf("send the scanned text, 1 to %d bytes", mark.MaxInputSize)))
		return
	}
	if strings.TrimSpace(req.Text) == "" {
		s.fail(w, r, mark.WithHint(fmt.Errorf("text: blank (%d bytes of spaces and line ends only): %w", len(req.Text), mark.ErrInvalid),
			"send the scanned text; a scanner's blank line is not a scan"))
		return
	}
	if len(req.Text) > mark.MaxInputSize && req.Length == 0 {
		// The limit is on the text without its surrounding white space
		// (MARK-FORMAT §1): a mark in 5 000 spaces is recorded as the mark.
		req.Text = decode.Fit(req.Text)
	}
	if len(req.Text) > mark.MaxInputSize {
		s.fail(w, r, mark.WithHint(fmt.Errorf("text: %d bytes, more than %d: %w", len(req.Text), mark.MaxInputSize, mark.ErrInvalid),
			fmt.Sprintf("cut it to its first %d bytes and send its real length as length (recorded NOT_A_MARK)", mark.MaxInputSize)))
		return
	}
	if req.Length != 0 && req.Length <= len(req.Text) {
		s.fail(w, r, mark.WithHint(fmt.Errorf("length %d: not above the text's %d bytes: %w", req.Length, len(req.Text), mark.ErrInvalid),
			"length is only for a text cut short: the real length of the scan"))
		return
	}
	if req.Length > MaxScanLength {
		s.fail(w, r, mark.WithHint(fmt.Errorf("length %d: more than %d bytes: %w", req.Length, MaxScanLength, mark.ErrInvalid),
			fmt.Sprintf("length is the real length in bytes of the scanned line the text is the start of, %d to %d", len(req.Text)+1, MaxScanLength)))
		return
	}
	if req.WeightG < 0 || req.WeightG > 65535 {
		s.fail(w, r, fmt.Errorf("weight_g %d: must be 0..65535 grams: %w", req.WeightG, mark.ErrInvalid))
		return
	}
	source := "api" // a logged-in browser
	token := strings.HasPrefix(Actor(r.Context()), "api:")
	switch {
	case token && req.Source != "":
		s.fail(w, r, fmt.Errorf("source %q: only the operator screen names its source: %w", req.Source, mark.ErrInvalid))
		return
	case token:
		source = Actor(r.Context()) // a program's token: "api:NAME"
	case req.Source == SourceBrowserWedge:
		source = req.Source
	case req.Source != "":
		s.fail(w, r, fmt.Errorf("source %q: must be %q or absent: %w", req.Source, SourceBrowserWedge, mark.ErrInvalid))
		return
	}
	key, err := requestKey(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sc := mark.Scan{Text: req.Text, Length: req.Length, Source: source, Counter: s.opt.Counter,
		MeasuredWeightG: req.WeightG, Batch: req.Batch}
	if key != "" {
		// Tries of one scan in flight at once are answered one after the
		// other: the first judges, the others find its record. The key is
		// stored in the scan's own transaction.
		actor := Actor(r.Context())
		defer s.keys.lock(actor + "\x00" + key)()
		if s.replayScan(w, r, actor, key, req, sc) {
			return
		}
		sc.Request = &mark.RequestKey{Actor: actor, Key: key, Fingerprint: scanFingerprint(req)}
	}
	rec, err := s.opt.Scans.Submit(r.Context(), sc)
	if err != nil {
		s.scanFailed(w, r, rec, err)
		return
	}
	writeJSON(w, http.StatusOK, scanResult(rec))
}

// scanResult is the answer of a scan: the record without its frame.
func scanResult(rec mark.Record) ScanResult {
	rec.Frame = nil
	return ScanResult{RecordJSON: View(rec), ID: rec.ID}
}

// scanFailed answers a scan refused or not recorded: the record as far as
// it goes (verdict ERROR) with code, error and hint.
func (s *Server) scanFailed(w http.ResponseWriter, r *http.Request, rec mark.Record, err error) {
	if rec.Verdict == "" { // refused before judging (a key sent with another scan)
		rec.Verdict, rec.At = mark.Error, s.opt.Now()
	}
	out := scanResult(rec)
	code, b := httperr.Describe(err)
	out.Code, out.Error, out.Hint = b.Code, b.Error, b.Hint
	if code >= 500 {
		s.log.Error("scan over the API not recorded", "err", err, mark.HintAttr(err))
	}
	writeJSON(w, code, out)
}

// OpenRequest is the body of POST /api/batches (optional).
type OpenRequest struct {
	Contract uint32 `json:"contract,omitempty"` // 0: from the first verified mark
}

func (s *Server) batches(w http.ResponseWriter, r *http.Request) bool {
	if s.opt.Batches == nil {
		s.fail(w, r, fmt.Errorf("batches are not served here: %w", mark.ErrUnavailable))
		return false
	}
	return true
}

func (s *Server) openBatch(w http.ResponseWriter, r *http.Request) {
	if !s.batches(w, r) {
		return
	}
	rows, ok := s.diffRows(w, r)
	if !ok {
		return
	}
	var req OpenRequest
	if err := decodeBody(w, r, maxScanBody, &req, true); err != nil {
		s.fail(w, r, err)
		return
	}
	b, err := s.opt.Batches.OpenBy(r.Context(), req.Contract, batchOperator(r.Context()), Actor(r.Context()))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeStatus(w, r, b.ID, rows, http.StatusCreated)
}

// writeStatus answers the batch id with its first rows differences
// (diffRows, read before the request changed anything).
func (s *Server) writeStatus(w http.ResponseWriter, r *http.Request, id string, rows, code int) {
	st, err := s.opt.Batches.StatusRows(r.Context(), id, rows)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, code, st.JSON())
}

func (s *Server) currentBatch(w http.ResponseWriter, r *http.Request) {
	if !s.batches(w, r) {
		return
	}
	rows, ok := s.diffRows(w, r)
	if !ok {
		return
	}
	b, err := s.opt.Batches.Current(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.writeStatus(w, r, b.ID, rows, http.StatusOK)
}

func (s *Server) getBatch(w http.ResponseWriter, r *http.Request) {
	if !s.batchOf(w, r) {
		return
	}
	rows, ok := s.diffRows(w, r)
	if !ok {
		return
	}
	s.writeStatus(w, r, r.PathValue("id"), rows, http.StatusOK)
}

// batchOf is batches, and for an operator also that the batch the path
// names is theirs to read and act on (batchInScope).
func (s *Server) batchOf(w http.ResponseWriter, r *http.Request) bool {
	if !s.batches(w, r) {
		return false
	}
	if err := s.batchInScope(r, r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return false
	}
	return true
}

// ListError is the answer to a list that cannot be read: where it is wrong.
type ListError struct {
	Code   string `json:"code"` // "invalid" (400), "too_large" (413: over batchlist.MaxItems)
	Error  string `json:"error"`
	Hint   string `json:"hint,omitempty"`
	Line   int    `json:"line"`
	Column int    `json:"column,omitempty"`
	Field  string `json:"field,omitempty"`
	Value  string `json:"value,omitempty"`
}

func (s *Server) expectBatch(w http.ResponseWriter, r *http.Request) {
	if !s.batchOf(w, r) {
		return
	}
	rows, ok := s.diffRows(w, r)
	if !ok {
		return
	}
	if err := checkType(r, listTypes); err != nil {
		s.fail(w, r, err)
		return
	}
	data, err := readBody(w, r, maxListBody, fmt.Sprintf("a list holds at most %d items in %d bytes: split the batch", batchlist.MaxItems, maxListBody))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id := r.PathValue("id")
	if _, err := s.opt.Batches.Expect(r.Context(), id, data, Actor(r.Context())); err != nil {
		var pe *batchlist.ParseError
		if errors.As(err, &pe) {
			code, hint := http.StatusBadRequest, "nothing was imported: correct the file and send it again"
			if pe.TooLarge {
				code, hint = http.StatusRequestEntityTooLarge, fmt.Sprintf("nothing was imported: a list holds at most %d items: split the batch", batchlist.MaxItems)
			}
			writeJSON(w, code, ListError{Code: httperr.Code(code), Error: err.Error(), Line: pe.Line, Column: pe.Column,
				Field: pe.Field, Value: pe.Value, Hint: hint})
			return
		}
		s.fail(w, r, err)
		return
	}
	s.writeStatus(w, r, id, rows, http.StatusOK)
}

func (s *Server) endBatch(closeIt bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.batchOf(w, r) {
			return
		}
		// ?rows= is read first: one that is wrong changes nothing.
		rows, ok := s.diffRows(w, r)
		if !ok {
			return
		}
		id, actor := r.PathValue("id"), Actor(r.Context())
		var err error
		if closeIt {
			_, err = s.opt.Batches.Close(r.Context(), id, actor)
		} else {
			_, err = s.opt.Batches.Cancel(r.Context(), id, actor)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.writeStatus(w, r, id, rows, http.StatusOK)
	}
}

func (s *Server) batchReceipt(w http.ResponseWriter, r *http.Request) {
	if !s.batchOf(w, r) {
		return
	}
	id := r.PathValue("id")
	pdf, err := s.opt.Batches.Receipt(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="receipt-%s.pdf"`, id))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(pdf)
}

// diffRows reads ?rows=N of a batch's answer (a read, or an open, list,
// close or cancel): only the first N differences (the operator's panel
// draws batch.PanelRows of them), their number in all in
// differences_total. Without it: all of them. A request that changes
// the batch reads it before it changes anything: a wrong one is 400 with
// nothing done.
// A wrong one is answered here (false: the handler returns).
func (s *Server) diffRows(w http.ResponseWriter, r *http.Request) (int, bool) {
	v := strings.TrimSpace(r.URL.Query().Get("rows"))
	if v == "" {
		return -1, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		s.fail(w, r, mark.WithHint(fmt.Errorf("query rows=%q: not a number of rows (0 or more): %w", v, mark.ErrInvalid),
			"leave rows out for all the differences"))
		return 0, false
	}
	return n, true
}
