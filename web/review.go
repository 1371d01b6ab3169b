package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"markd/internal/httperr"
	"markd/internal/webtext"
	"markd/mark"
	"markd/store"
)

// pageSize is the default number of rows on one review page.
const pageSize = 50

// maxPagedRows bounds how deep the review list pages: a page further in
// is 400 naming the page.
const maxPagedRows = 1 << 31

// reviewQuery is the filter form of the review list, as typed.
type reviewQuery struct {
	Reason, From, To, Counter, Operator, Contract, State string
	Questioned                                           bool // questioned=1: the collector's open questions only
	Page, Per                                            int
}

func (q reviewQuery) values() url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("reason", q.Reason)
	set("from", q.From)
	set("to", q.To)
	set("counter", q.Counter)
	set("operator", q.Operator)
	set("contract", q.Contract)
	set("state", q.State)
	if q.Questioned {
		v.Set("questioned", "1")
	}
	if q.Per != pageSize {
		v.Set("per", strconv.Itoa(q.Per))
	}
	return v
}

// Encode is the query string without the page number.
func (q reviewQuery) Encode() string { return q.values().Encode() }

// ExportURL links to the CSV export of the same filter. A whole URL, not
// a query string put after "?" in the template: html/template escapes a
// query part as one value (state%3dpending), and the export read no
// filter.
func (q reviewQuery) ExportURL() string { return "/review/export.csv?" + q.Encode() }

// PageURL links to page n of the same filter.
func (q reviewQuery) PageURL(n int) string {
	v := q.values()
	v.Set("page", strconv.Itoa(n))
	return "/review?" + v.Encode()
}

// parseReviewQuery turns the query string into a store filter; a bad value
// is mark.ErrInvalid naming the field.
func (s *Server) parseReviewQuery(r *http.Request) (reviewQuery, store.ReviewFilter, error) {
	v := r.URL.Query()
	q := reviewQuery{
		Reason: v.Get("reason"), From: v.Get("from"), To: v.Get("to"),
		Counter: strings.TrimSpace(v.Get("counter")), Operator: strings.TrimSpace(v.Get("operator")),
		Contract: strings.TrimSpace(v.Get("contract")), State: v.Get("state"), Page: 1, Per: pageSize,
	}
	var f store.ReviewFilter
	switch v.Get("questioned") {
	case "":
	case "1":
		q.Questioned, f.Questioned = true, true
	default:
		return q, f, fmt.Errorf("filter questioned %q: must be 1 (the rejections the collector questions) or left out: %w",
			v.Get("questioned"), mark.ErrInvalid)
	}
	if q.Reason != "" {
		ok := false
		for _, rs := range mark.AllReasons {
			ok = ok || string(rs) == q.Reason
		}
		if !ok {
			return q, f, fmt.Errorf("filter reason %q: unknown reason: %w", q.Reason, mark.ErrInvalid)
		}
		f.Reason = mark.Reason(q.Reason)
	}
	day := func(field, val string, next bool) (time.Time, error) {
		if val == "" {
			return time.Time{}, nil
		}
		t, err := parseDay(val, s.opt.Location)
		if err != nil {
			return time.Time{}, fmt.Errorf("filter %s: %w", field, err)
		}
		if next {
			t = mark.StartOfDay(t.Year(), t.Month(), t.Day()+1, s.opt.Location) // "to" is inclusive: up to the end of that day
		}
		return t, nil
	}
	var err error
	if f.From, err = day("from", q.From, false); err != nil {
		return q, f, err
	}
	if f.To, err = day("to", q.To, true); err != nil {
		return q, f, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		// Said, not answered with an empty list that looks like "nothing
		// was rejected".
		return q, f, fmt.Errorf("filter from %s is after to %s: %w",
			f.From.Format("02.01.2006"), f.To.AddDate(0, 0, -1).Format("02.01.2006"), mark.ErrInvalid)
	}
	// Links and the CSV export carry the days as yyyy-mm-dd.
	if q.From != "" {
		q.From = f.From.Format(time.DateOnly)
	}
	if q.To != "" {
		q.To = f.To.AddDate(0, 0, -1).Format(time.DateOnly)
	}
	f.Counter, f.Operator = q.Counter, q.Operator
	if q.Contract != "" {
		n, err := strconv.ParseUint(q.Contract, 10, 32)
		if err != nil || n == 0 {
			return q, f, fmt.Errorf("filter contract %q: not a contract number: %w", q.Contract, mark.ErrInvalid)
		}
		f.Contract = uint32(n)
	}
	switch mark.ReviewState(q.State) {
	case "", mark.ReviewPending, mark.ReviewConfirmed, mark.ReviewOverridden:
		f.State = mark.ReviewState(q.State)
	default:
		return q, f, fmt.Errorf("filter state %q: must be pending, confirmed or overridden: %w", q.State, mark.ErrInvalid)
	}
	if p := v.Get("page"); p != "" {
		if q.Page, err = strconv.Atoi(p); err != nil || q.Page < 1 {
			return q, f, fmt.Errorf("page %q: must be a positive number: %w", p, mark.ErrInvalid)
		}
	}
	if p := v.Get("per"); p != "" {
		if q.Per, err = strconv.Atoi(p); err != nil || q.Per < 1 || q.Per > 500 {
			return q, f, fmt.Errorf("per %q: must be 1..500: %w", p, mark.ErrInvalid)
		}
	}
	if q.Page-1 > maxPagedRows/q.Per {
		// (page-1)×per overflowed into a negative offset, read as 0: the
		// first page under the number asked for.
		return q, f, fmt.Errorf("page %d: beyond any list (%d rows at most are paged): %w", q.Page, maxPagedRows, mark.ErrInvalid)
	}
	f.Limit, f.Offset = q.Per, (q.Page-1)*q.Per
	return q, f, nil
}

type reviewListData struct {
	Q       reviewQuery
	Reasons []reasonView
	Rows    []reviewRow
	Total   int
	More    bool // more than Total matched (the count is bounded)
	Pages   int
	Alerts  []alertView
}

func (s *Server) reviewList(w http.ResponseWriter, r *http.Request, sess session) {
	q, f, err := s.parseReviewQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.opt.Store.ListReview(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := reviewListData{Q: q, Total: res.Total, More: res.More, Pages: (res.Total + q.Per - 1) / q.Per}
	if res.More && q.Page >= d.Pages {
		d.Pages = q.Page + 1 // beyond the counted ones: one page further at a time
	}
	for _, rs := range mark.AllReasons {
		t := mark.Explain(rs)
		d.Reasons = append(d.Reasons, reasonView{Code: rs, RU: t.RU, EN: t.EN})
	}
	ids := make([]string, len(res.Records))
	for i, rec := range res.Records {
		ids[i] = rec.ID
	}
	qs := s.questionsOf(r.Context(), ids)
	for _, q := range qs {
		q.forList()
	}
	for _, rec := range res.Records {
		d.Rows = append(d.Rows, reviewRow{recordView: s.view(rec), Question: qs[rec.ID]})
	}
	d.Alerts = s.alerts(r)
	s.render(w, r, "review_list.html", &page{Title: "Отказы / Rejected marks", Session: sess, Data: d})
}

type reviewDetailData struct {
	R        recordView
	Question *questionView // the collector's question on the rejection; nil: none
	Audit    []auditView
	Alerts   []alertView
	// The actions the record allows, and why an override is not offered.
	CanConfirm, CanOverride bool
	NoOverride              []string // Russian, English; nil when nothing to explain
}

// allowedActions offers only what the store would do: confirm a pending
// rejection; accept despite a rejection only a mark whose signature
// verified (it has a trusted serial) and whose serial is not already used.
func allowedActions(rec mark.Record) (confirm, override bool, why []string) {
	if rec.Verdict != mark.Reject || rec.Review == mark.ReviewOverridden {
		return false, false, nil
	}
	confirm = rec.Review != mark.ReviewConfirmed
	switch {
	case rec.Mark == nil:
		why = []string{"Принять вопреки отказу нельзя: подпись марки не проверена, у неё нет достоверного серийного номера.",
			"It cannot be accepted despite the rejection: the signature did not verify, so there is no trusted serial number."}
	case slices.Contains(rec.Reasons, mark.ReasonReused):
		why = []string{"Принять вопреки отказу нельзя: марка с этим серийным номером уже принята.",
			"It cannot be accepted despite the rejection: a mark with this serial number was already accepted."}
	default:
		override = true
	}
	return confirm, override, why
}

// alertView is a reuse alert of the collector: a serial accepted here was
// accepted at another counter or office too.
type alertView struct {
	ID            int64
	RecordID      string
	Serial        uint64
	OtherAt       string
	OtherOffice   uint32
	OtherCounter  string
	OtherTerminal string
	OtherRecord   string
	Detected      string
}

func (s *Server) alertViews(as []mark.ReuseAlert) []alertView {
	var out []alertView
	for _, a := range as {
		out = append(out, alertView{ID: a.ID, RecordID: a.RecordID, Serial: a.Serial, OtherAt: s.localTime(a.Other.At),
			OtherOffice: a.Other.Office, OtherCounter: a.Other.Counter, OtherTerminal: a.OtherTerminal,
			OtherRecord: a.Other.RecordID, Detected: s.localTime(a.Detected)})
	}
	return out
}

// alerts returns the newest reuse alerts for the review list.
func (s *Server) alerts(r *http.Request) []alertView {
	as, _, err := s.opt.Store.ListAlerts(r.Context(), 20, 0)
	if err != nil {
		s.log.Warn("alerts not readable", "err", err)
		return nil
	}
	return s.alertViews(as)
}

type auditView struct {
	At, Actor, Action, Note string
	DetailRU, DetailEN      string // the result in words
}

// auditDetail says the result of a record's audit line in words, Russian
// and English. The stored detail is English for the logs and the upload
// ("serial 5 now counts as used", "... REJECT BAD_SIGNATURE").
func auditDetail(a store.AuditEntry, rec mark.Record) (ru, en string) {
	switch a.Action {
	case store.ActionOverride:
		if rec.Mark != nil {
			return fmt.Sprintf("серийный номер %d учтён как использованный", rec.Mark.Serial),
				fmt.Sprintf("serial %d now counts as used", rec.Mark.Serial)
		}
		return "серийный номер учтён как использованный", "the serial now counts as used"
	case store.ActionSignatureRecheck:
		return "подпись, проверенная заново после сбоя во время записи, не верна: марка отклонена",
			"the signature, checked again after a crash while the scan was written, does not hold: the mark is rejected"
	}
	return a.Detail, a.Detail
}

// doneText is the outcome line after a redirect; the query names an
// outcome, never carries text, so a link cannot put words on the page.
var doneText = map[string]template.HTML{
	"confirm":  `<span class="ru">Отказ подтверждён.</span><span class="en">Rejection confirmed.</span>`,
	"override": `<span class="ru">Марка принята, серийный номер учтён как использованный.</span><span class="en">Accepted; the serial now counts as used.</span>`,
}

func (s *Server) reviewDetail(w http.ResponseWriter, r *http.Request, sess session) {
	s.showDetail(w, r, sess, http.StatusOK, doneText[r.URL.Query().Get("done")], nil)
}

// showDetail renders the detail page, with the outcome of an action.
func (s *Server) showDetail(w http.ResponseWriter, r *http.Request, sess session, code int, flash template.HTML, actErr error) {
	id := r.PathValue("id")
	rec, err := s.opt.Store.ReviewRecord(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	audit, err := s.opt.Store.AuditFor(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := reviewDetailData{R: s.view(rec)}
	d.CanConfirm, d.CanOverride, d.NoOverride = allowedActions(rec)
	if as, err := s.opt.Store.AlertsFor(r.Context(), id); err == nil {
		d.Alerts = s.alertViews(as)
	}
	d.Question = s.questionsOf(r.Context(), []string{id})[id]
	if !d.R.HasFrame && s.opt.SnapshotsDir != "" {
		if _, err := os.Stat(s.snapshotPath(id)); err == nil {
			d.R.HasFrame = true
		}
	}
	for _, a := range audit {
		ru, en := auditDetail(a, rec)
		d.Audit = append(d.Audit, auditView{At: s.localTime(a.At), Actor: a.Actor, Action: a.Action, Note: a.Note, DetailRU: ru, DetailEN: en})
	}
	title := "Запись " + id + " / Record " + id // an ACCEPT reached from "first accepted", a duplicate…
	if rec.Verdict == mark.Reject {
		title = "Отказ " + id + " / Rejection " + id
	}
	p := &page{Title: title, Session: sess, Data: d, Flash: flash, Status: code}
	if actErr != nil {
		p.Error, p.Hint = pageError(actErr)
	}
	s.render(w, r, "review_detail.html", p)
}

func (s *Server) snapshotPath(id string) string {
	return filepath.Join(s.opt.SnapshotsDir, filepath.Base(id)+".jpg")
}

func (s *Server) reviewFrame(w http.ResponseWriter, r *http.Request, _ session) {
	id := r.PathValue("id")
	rec, err := s.opt.Store.ReviewRecord(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	frame := rec.Frame
	if len(frame) == 0 && s.opt.SnapshotsDir != "" {
		frame, err = os.ReadFile(s.snapshotPath(id))
		if err != nil {
			frame = nil
		}
	}
	if len(frame) == 0 {
		s.fail(w, r, fmt.Errorf("record %s has no camera snapshot: %w", id, mark.ErrNotFound))
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	// An envelope's addresses: not kept in the disk cache of a shared
	// counter PC after the logout, as no page of personal data is.
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(frame)
}

func (s *Server) reviewConfirm(w http.ResponseWriter, r *http.Request, sess session) {
	s.reviewAction(w, r, sess, func(id, note string) error {
		return s.opt.Store.ConfirmRejection(r.Context(), id, sess.User, note)
	}, "confirm")
}

func (s *Server) reviewOverride(w http.ResponseWriter, r *http.Request, sess session) {
	s.reviewAction(w, r, sess, func(id, note string) error {
		err := s.opt.Store.OverrideAccept(r.Context(), id, sess.User, note)
		if err == nil {
			s.overrides.Add(1)
		}
		return err
	}, "override")
}

// maxNote is the longest note of a review action, in characters (the
// forms' maxlength).
const maxNote = 2000

func (s *Server) reviewAction(w http.ResponseWriter, r *http.Request, sess session, act func(id, note string) error, done string) {
	if !s.formOK(w, r, maxForm) || !s.csrfOK(w, r) {
		return
	}
	id := r.PathValue("id")
	// the collector's rule for a review note (no control, bidirectional or
	// zero width character), named with its position as typed
	if err := webtext.CheckNote(r.PostFormValue("note")); err != nil {
		s.fail(w, r, err)
		return
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	// Counted in characters, as the form's maxlength counts them: a
	// Russian note takes two bytes a letter.
	if n := utf8.RuneCountInString(note); n > maxNote {
		s.fail(w, r, fmt.Errorf("note: %d characters, at most %d: %w", n, maxNote, mark.ErrInvalid))
		return
	}
	if err := act(id, note); err != nil {
		if errors.Is(err, mark.ErrNotFound) || httperr.Status(err) >= 500 {
			s.fail(w, r, err)
			return
		}
		s.showDetail(w, r, sess, httperr.Status(err), "", err)
		return
	}
	s.log.Info("review action", "user", sess.User, "record", id, "path", r.URL.Path)
	// Post/redirect/get, with the outcome in the query so a reload does not repeat it.
	http.Redirect(w, r, "/review/"+url.PathEscape(id)+"?done="+done, http.StatusSeeOther)
}

// csvSafe defuses spreadsheet formulas: a cell that starts with = + - @
// (or a tab or CR, which some spreadsheets skip before one) gets a leading '.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
