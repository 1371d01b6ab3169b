package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"markd/batch"
	"markd/httpapi"
	"markd/mark"
	"markd/store"
)

// batchQuery is the filter form of the supervisors' batch list, as typed.
type batchQuery struct{ Day, Contract, Counter, State string }

// Encode is the query string of the filter (for the CSV link).
func (q batchQuery) Encode() string {
	v := url.Values{}
	for k, val := range map[string]string{"day": q.Day, "contract": q.Contract, "counter": q.Counter, "state": q.State} {
		if val != "" {
			v.Set(k, val)
		}
	}
	return v.Encode()
}

// ExportURL links to the CSV export of the same filter (reviewQuery.ExportURL).
func (q batchQuery) ExportURL() string { return "/review/batches/export.csv?" + q.Encode() }

// maxBatchRows bounds the batch list and its CSV.
const maxBatchRows = 1000

func (s *Server) parseBatchQuery(r *http.Request) (batchQuery, store.BatchFilter, error) {
	v := r.URL.Query()
	q := batchQuery{Day: strings.TrimSpace(v.Get("day")), Contract: strings.TrimSpace(v.Get("contract")),
		Counter: strings.TrimSpace(v.Get("counter")), State: v.Get("state")}
	f := store.BatchFilter{Counter: q.Counter, Limit: maxBatchRows}
	if q.Day != "" {
		d, err := parseDay(q.Day, s.opt.Location)
		if err != nil {
			return q, f, fmt.Errorf("filter day: %w", err)
		}
		f.From, f.To = d, mark.StartOfDay(d.Year(), d.Month(), d.Day()+1, s.opt.Location)
		q.Day = d.Format(time.DateOnly) // links and the CSV carry yyyy-mm-dd
	}
	if q.Contract != "" {
		n, err := strconv.ParseUint(q.Contract, 10, 32)
		if err != nil || n == 0 {
			return q, f, fmt.Errorf("filter contract %q: not a contract number: %w", q.Contract, mark.ErrInvalid)
		}
		f.Contract = uint32(n)
	}
	switch st := mark.BatchState(q.State); st {
	case "", mark.BatchOpen, mark.BatchClosed, mark.BatchCancelled:
		f.State = st
	default:
		return q, f, fmt.Errorf("filter state %q: must be open, closed or cancelled: %w", q.State, mark.ErrInvalid)
	}
	return q, f, nil
}

// batchRow is one line of the batch list.
type batchRow struct {
	ID, Opened, Closed, Counter, Operator, State, Paid string
	OpenedAt, ClosedAt                                 time.Time // for the CSV
	Contract                                           uint32
	Totals                                             mark.BatchTotals
	Diffs                                              int
	HasList                                            bool
	Later                                              []laterDecision
}

// laterDecision is a supervisor's override to accept of a rejected mark of
// the batch taken after it ended: not in its totals or receipt.
type laterDecision struct {
	Serial uint64
	By, At string
}

func (s *Server) batchRows(r *http.Request, f store.BatchFilter) ([]batchRow, error) {
	if s.opt.Batches == nil {
		return nil, fmt.Errorf("batches are not served here: %w", mark.ErrUnavailable)
	}
	list, err := s.opt.Store.ListBatches(r.Context(), f)
	if err != nil {
		return nil, err
	}
	rows := make([]batchRow, 0, len(list))
	for _, b := range list {
		st, err := s.opt.Batches.Status(r.Context(), b.ID)
		if err != nil {
			return nil, err
		}
		row := batchRow{ID: b.ID, Opened: s.localTime(b.Opened), Closed: s.localTime(b.Closed), Counter: b.Counter,
			OpenedAt: b.Opened, ClosedAt: b.Closed,
			Operator: b.Operator, State: string(b.State), Contract: b.Contract, Totals: st.Totals,
			Paid: batch.Roubles(st.Totals.PaidKop), Diffs: len(st.Diffs), HasList: b.HasList}
		for _, o := range st.Overrides {
			if !o.InBatch {
				row.Later = append(row.Later, laterDecision{Serial: o.Serial, By: o.Actor, At: s.localTime(o.At)})
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

type batchListData struct {
	Q    batchQuery
	Rows []batchRow
}

// listedBatches is the query of the batch list r asks for and its rows
// (the page and the CSV).
func (s *Server) listedBatches(r *http.Request) (batchQuery, []batchRow, error) {
	q, f, err := s.parseBatchQuery(r)
	if err != nil {
		return q, nil, err
	}
	rows, err := s.batchRows(r, f)
	return q, rows, err
}

func (s *Server) batchList(w http.ResponseWriter, r *http.Request, sess session) {
	q, rows, err := s.listedBatches(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, "batches.html", &page{Title: "Партии / Batches", Session: sess, Data: batchListData{Q: q, Rows: rows}})
}

// batchCSVHeader: rejected counts scans; handed_back, presented_again and
// refused_again are the receipt's counts (mark.BatchTotals), overridden
// and accepted_later the supervisors' overrides to accept (while the batch
// was open: among accepted; after it ended: not), each added after the
// columns of before so that a sheet reading those by place still does.
var batchCSVHeader = []string{"batch", "opened", "closed", "state", "counter", "operator", "contract",
	"scans", "accepted", "rejected", "duplicates", "paid_kop", "list", "differences",
	"handed_back", "presented_again", "refused_again", "overridden", "accepted_later"}

func (s *Server) batchCSV(w http.ResponseWriter, r *http.Request, _ session) {
	_, rows, err := s.listedBatches(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="batches.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	// As the review CSV: a BOM for the Russian names, formulas defused.
	x := newCSVExport(w, s.log, "batches", batchCSVHeader)
	for _, b := range rows {
		list := "0"
		if b.HasList {
			list = "1"
		}
		_ = x.row([]string{b.ID, s.csvTime(b.OpenedAt), s.csvTime(b.ClosedAt), b.State, csvSafe(b.Counter), csvSafe(b.Operator), strconv.FormatUint(uint64(b.Contract), 10),
			strconv.Itoa(b.Totals.Scans), strconv.Itoa(b.Totals.Accepted), strconv.Itoa(b.Totals.Rejected),
			strconv.Itoa(b.Totals.Duplicates), strconv.FormatInt(b.Totals.PaidKop, 10), list, strconv.Itoa(b.Diffs),
			strconv.Itoa(b.Totals.HandedBack), strconv.Itoa(b.Totals.PresentedAgain), strconv.Itoa(b.Totals.RefusedAgain),
			strconv.Itoa(b.Totals.Overridden), strconv.Itoa(b.Totals.AcceptedLater)})
	}
	if err := x.flush(); err != nil { // csv.Writer keeps a row's write error for this
		x.abort("sending the rows", err)
	}
}

// batchReceiptHTML is the printable receipt of a closed batch.
func (s *Server) batchReceiptHTML(w http.ResponseWriter, r *http.Request, sess session) {
	if s.opt.Batches == nil {
		s.fail(w, r, fmt.Errorf("batches are not served here: %w", mark.ErrUnavailable))
		return
	}
	if sess.Role != store.RoleSupervisor {
		// An operator prints the receipts of their screen's batches, as
		// the API lets them read them (httpapi.OperatorBatch).
		b, err := s.opt.Batches.Get(r.Context(), r.PathValue("id"))
		if err == nil {
			start, end := mark.DayBounds(s.opt.Now(), s.opt.Location)
			err = httpapi.OperatorBatch(b, s.opt.Batches.Counter(), start, end)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
	}
	var buf bytes.Buffer
	if err := s.opt.Batches.ReceiptHTML(r.Context(), &buf, r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	// The receipt is one self-contained page: its style is inline, it has
	// no script and loads nothing.
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'")
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	_, _ = buf.WriteTo(w)
}
