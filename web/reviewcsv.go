package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"markd/internal/webtext"
	"markd/mark"
	"markd/store"
)

// The CSV export of the rejected marks (GET /review/export.csv): the
// list's filter, every row up to store.MaxReviewRows, streamed; each cell
// through csvSafe.

// csvHeader names the columns of the rejected-marks export: the columns
// of the collector's question (docs/operator-guide.md) come last, after
// the columns older exports had, in the same order.
var csvHeader = []string{"id", "time", "office", "counter", "operator", "source", "verdict", "reasons", "reasons_ru",
	"review_state", "serial", "contract", "mail_class", "weight_g", "paid_rub", "tracking", "first_accepted_record", "raw_text",
	"questioned_state", "questioned_why", "questioned_reviewed_at", "questioned_review_by", "questioned_review_note"}

func (s *Server) reviewCSV(w http.ResponseWriter, r *http.Request, _ session) {
	_, f, err := s.parseReviewQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f.Limit, f.Offset = store.MaxReviewRows, 0
	name := "markd-rejected-" + s.opt.Now().In(s.opt.Location).Format("2006-01-02") + ".csv"
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	x := newCSVExport(w, s.log, "rejected marks", csvHeader)
	// Rows go out as the store reads them: memory and the time to the
	// first byte do not grow with the export.
	err = s.opt.Store.EachReviewQuestion(r.Context(), f, func(rec mark.Record, q *store.CollectorQuestion) error {
		v := s.view(rec)
		var codes, ru []string
		for _, rs := range v.Reasons {
			codes, ru = append(codes, string(rs.Code)), append(ru, rs.RU)
		}
		row := []string{v.ID, s.csvTime(rec.At), strconv.FormatUint(uint64(v.Office), 10), v.Counter, v.Operator, v.Source, string(v.Verdict),
			strings.Join(codes, ";"), strings.Join(ru, "; "), v.Review, "", "", "", "", "", "", "", webtext.Visible(v.Text), "", "", "", "", ""}
		if m := rec.Mark; m != nil {
			row[10], row[11], row[12] = strconv.FormatUint(m.Serial, 10), strconv.FormatUint(uint64(m.Contract), 10), v.Mark.ClassEN
			row[13], row[14], row[15] = strconv.Itoa(int(m.WeightG)), fmt.Sprintf("%d.%02d", m.TariffKop/100, m.TariffKop%100), v.Mark.Tracking
		}
		if v.First != nil {
			row[16] = v.First.RecordID
		}
		if q != nil { // questioned_*: "" for a rejection the collector does not question
			row[18], row[19], row[21], row[22] = q.State, q.Why, q.ReviewBy, q.ReviewNote
			if !q.ReviewedAt.IsZero() {
				row[20] = s.csvTime(q.ReviewedAt)
			}
		}
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		return x.row(row)
	})
	if err != nil {
		x.abort("reading or sending the rows", err)
	}
	if err := x.flush(); err != nil {
		x.abort("sending the last rows", err)
	}
}
