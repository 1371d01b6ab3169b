package hubweb

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"markd/hub"
	"markd/mark"
)

// Reject ranking: "which offices reject most, and why" over a region and
// a day range, from the per office and day rollup (hub.RejectRanker).
const (
	rejectsShown      = 100  // offices on the page
	rejectsCSVOffices = 5000 // offices in the CSV
	defaultMinJudged  = 20
)

var rejectParams = map[string]bool{"office": true, "from": true, "to": true, "min": true}

// rejectForm is the ranking's query as the form shows it.
type rejectForm struct {
	Office, From, To, Min string
	Query                 hub.RejectQuery
}

// parseRejectQuery reads office (a postal index prefix, "" = every
// office), from and to (inclusive UTC days, by default the last 7 up to
// today) and min (judged marks an office needs to be ranked, default 20).
// A bad value is mark.ErrInvalid naming the parameter.
func parseRejectQuery(v url.Values, now time.Time) (rejectForm, error) {
	today := now.UTC().Truncate(24 * time.Hour)
	f := rejectForm{Office: v.Get("office"), From: today.AddDate(0, 0, -6).Format(time.DateOnly), To: today.Format(time.DateOnly),
		Min: strconv.Itoa(defaultMinJudged)}
	for k, vals := range v {
		if !rejectParams[k] {
			return f, fmt.Errorf("parameter %q: the ranking takes office, from, to and min: %w", k, mark.ErrInvalid)
		}
		if len(vals) > 1 {
			return f, fmt.Errorf("parameter %q: given %d times, give it once: %w", k, len(vals), mark.ErrInvalid)
		}
	}
	if x := v.Get("from"); x != "" {
		f.From = x
	}
	if x := v.Get("to"); x != "" {
		f.To = x
	}
	if x := v.Get("min"); x != "" {
		f.Min = x
	}
	q := &f.Query
	var err error
	if q.Offices, err = hub.ParseOfficePrefix(f.Office); err != nil {
		return f, err
	}
	if q.From, err = hub.FormDay("from", f.From); err != nil {
		return f, err
	}
	last, err := hub.FormDay("to", f.To)
	if err != nil {
		return f, err
	}
	q.To = last.AddDate(0, 0, 1)
	if err := hub.CheckDayRange(q.From, q.To); err != nil {
		return f, err
	}
	n, err := strconv.ParseInt(f.Min, 10, 64)
	if err != nil || n < 0 || n > 1_000_000_000 {
		return f, fmt.Errorf("min %q: use a whole number of judged marks from 0 to 1000000000: %w", f.Min, mark.ErrInvalid)
	}
	q.MinJudged, q.Limit, q.TopReasons = n, rejectsShown, 3
	return f, nil
}

func shareText(o hub.OfficeRejects) string { return strconv.FormatFloat(100*o.Share(), 'f', 1, 64) }

func reasonsText(rs []hub.ReasonCount) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = string(r.Reason) + " " + strconv.FormatInt(r.Count, 10)
	}
	return strings.Join(parts, "; ")
}

// rejects ranks the offices of a region by reject share over the range.
func (s *Server) rejects(w http.ResponseWriter, r *http.Request, sess hub.WebSession) {
	f, err := parseRejectQuery(r.URL.Query(), s.opt.Now())
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	list, err := s.opt.Store.RejectRanking(r.Context(), f.Query)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	csvQ := url.Values{"office": {f.Office}, "from": {f.From}, "to": {f.To}, "min": {f.Min}}
	s.render(w, r, http.StatusOK, "rejects.html", &page{TitleRU: "Отклонения по отделениям", TitleEN: "Rejects by office",
		User: sess.User, CSRF: sess.CSRF, Data: map[string]any{"Form": f, "Offices": list, "Shown": rejectsShown,
			"CSV": "/rejects.csv?" + csvQ.Encode()}})
}

// rejectsCSV is the ranking as CSV, with up to five reasons per office.
func (s *Server) rejectsCSV(w http.ResponseWriter, r *http.Request, sess hub.WebSession) {
	f, err := parseRejectQuery(r.URL.Query(), s.opt.Now())
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	f.Query.Limit, f.Query.TopReasons = rejectsCSVOffices, 5
	list, err := s.opt.Store.RejectRanking(r.Context(), f.Query)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	region := f.Office
	if region == "" {
		region = "all"
	}
	out := startCSV(w, fmt.Sprintf("rejects-%s-%s-%s.csv", region, f.From, f.To),
		[]string{"rank", "office", "accepted", "rejected", "overridden", "other", "reject_share_pct", "top_reasons"})
	for i, o := range list {
		out.row([]string{strconv.Itoa(i + 1), officeText(o.Office), strconv.FormatInt(o.Accepted, 10),
			strconv.FormatInt(o.Rejected, 10), strconv.FormatInt(o.Overridden, 10), strconv.FormatInt(o.Other, 10),
			shareText(o), reasonsText(o.Reasons)})
	}
	s.endCSV(out, "rejects")
}
