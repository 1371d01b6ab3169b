package hubweb

import (
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"markd/hub"
	"markd/mark"
)

// dayRange reads the office and the inclusive day range of the per office
// and day view from the query; by default the last 7 days (UTC) up to
// today.
type dayRange struct {
	Office     uint32
	From, To   time.Time // To is the last day shown; the query ends a day later
	OfficeText string
}

func (s *Server) readDayRange(r *http.Request) (dayRange, error) {
	q := r.URL.Query()
	today := s.opt.Now().UTC().Truncate(24 * time.Hour)
	d := dayRange{From: today.AddDate(0, 0, -6), To: today, OfficeText: strings.TrimSpace(q.Get("office"))}
	var err error
	if v := q.Get("from"); v != "" {
		if d.From, err = hub.FormDay("from", v); err != nil {
			return d, err
		}
	}
	if v := q.Get("to"); v != "" {
		if d.To, err = hub.FormDay("to", v); err != nil {
			return d, err
		}
	}
	if d.OfficeText == "" {
		return d, nil
	}
	n, err := strconv.ParseUint(d.OfficeText, 10, 32)
	if err != nil || hub.ValidOffice(uint32(n)) != nil {
		return d, fmt.Errorf("office %q: use the 6-digit postal index (Отделение: шестизначный индекс): %w", d.OfficeText, mark.ErrInvalid)
	}
	d.Office = uint32(n)
	return d, hub.CheckDayRange(d.From, d.To.AddDate(0, 0, 1))
}

// bar is one day of the chart, in SVG user units.
type bar struct {
	Day                       string
	Label                     string // DD.MM under the bar; "" when the bars are too narrow
	X, W, Mid                 int
	AccY, AccH, RejY, RejH    int
	OthY, OthH                int
	Accepted, Rejected, Other int64
}

const chartH, chartW = 160, 640

// chart lays every day of [from, to] out as a stacked bar (accepted at
// the bottom, then rejected, then other scans) scaled to the busiest day;
// a day without records is an empty slot.
func chart(days []hub.OfficeDay, from, to time.Time) []bar {
	var top int64 = 1
	byDay := map[string]hub.OfficeDay{}
	for _, d := range days {
		top = max(top, d.Accepted+d.Rejected+d.Other)
		byDay[d.Day] = d
	}
	n := int(to.Sub(from).Hours()/24) + 1
	w := max(2, chartW/max(1, n))
	scale := func(n int64) int { return int(n * (chartH - 10) / top) }
	out := make([]bar, 0, n)
	for i := range n {
		day := from.AddDate(0, 0, i)
		d := byDay[day.Format(time.DateOnly)]
		b := bar{Day: day.Format(time.DateOnly), X: i * w, W: max(1, w-w/5), Accepted: d.Accepted, Rejected: d.Rejected, Other: d.Other}
		b.Mid = b.X + b.W/2
		if w >= 40 || (w >= 18 && i%7 == 0) {
			b.Label = day.Format("02.01")
		}
		b.AccH, b.RejH, b.OthH = scale(d.Accepted), scale(d.Rejected), scale(d.Other)
		b.AccY = chartH - b.AccH
		b.RejY = b.AccY - b.RejH
		b.OthY = b.RejY - b.OthH
		out = append(out, b)
	}
	return out
}

func kopText(k int64) string { return fmt.Sprintf("%d.%02d", k/100, k%100) }

// officeDays shows an office's days: a chart, the table it draws, the
// rejections by reason and the items and tariffs per contract.
func (s *Server) officeDays(w http.ResponseWriter, r *http.Request, sess hub.WebSession) {
	d, err := s.readDayRange(r)
	data := map[string]any{"Range": d, "From": d.From.Format(time.DateOnly), "To": d.To.Format(time.DateOnly)}
	p := &page{TitleRU: "Отделение по дням", TitleEN: "Office by day", User: sess.User, CSRF: sess.CSRF, Data: data}
	if err != nil {
		p.Error = err.Error()
		s.render(w, r, httpStatus(err), "offices.html", p)
		return
	}
	if d.Office != 0 {
		var days []hub.OfficeDay
		add := hub.DayAdder{Emit: func(od hub.OfficeDay) error { days = append(days, od); return nil }}
		err := s.opt.Store.OfficeDays(r.Context(), d.Office, d.From, d.To.AddDate(0, 0, 1), add.Add)
		if err == nil {
			err = add.Flush()
		}
		if err != nil {
			s.fail(w, r, sess, err)
			return
		}
		var acc, rej, oth, items, paid int64
		for _, od := range days {
			acc, rej, oth = acc+od.Accepted, rej+od.Rejected, oth+od.Other
			for _, c := range od.Contracts {
				items, paid = items+c.Items, paid+c.PaidKop
			}
		}
		data["Days"], data["Bars"], data["Shown"] = days, chart(days, d.From, d.To), true
		data["Totals"] = map[string]int64{"Accepted": acc, "Rejected": rej, "Other": oth, "Items": items, "Paid": paid}
		data["ChartW"], data["ChartH"], data["ChartBox"] = max(chartW, (int(d.To.Sub(d.From).Hours()/24)+1)*2), chartH, chartH+20
	}
	s.render(w, r, http.StatusOK, "offices.html", p)
}

// officeCSV streams an office's days as CSV, one day at a time: part=days
// (verdicts and a column per rejection reason) or part=contracts (items
// and tariffs per contract and day).
func (s *Server) officeCSV(w http.ResponseWriter, r *http.Request, sess hub.WebSession) {
	d, err := s.readDayRange(r)
	if err == nil && d.Office == 0 {
		err = fmt.Errorf("office: required (Отделение: укажите индекс): %w", mark.ErrInvalid)
	}
	part := r.URL.Query().Get("part")
	if err == nil && part != "days" && part != "contracts" {
		err = fmt.Errorf("part %q: use days or contracts: %w", part, mark.ErrInvalid)
	}
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	cw := csv.NewWriter(w)
	started := false
	start := func() {
		started = true
		h := w.Header()
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="office-%06d-%s-%s-%s.csv"`, d.Office,
			d.From.Format(time.DateOnly), d.To.Format(time.DateOnly), part))
		w.WriteHeader(http.StatusOK)
		if part == "days" {
			head := []string{"day", "office", "accepted", "overridden", "rejected", "other"}
			for _, reason := range mark.AllReasons {
				head = append(head, string(reason))
			}
			cw.Write(head) //nolint:errcheck // csv.Writer keeps the error for Flush
		} else {
			cw.Write([]string{"day", "office", "contract", "items", "unverified", "paid_kop", "paid_rub"}) //nolint:errcheck // as above
		}
	}
	office := fmt.Sprintf("%06d", d.Office)
	i64 := func(n int64) string { return strconv.FormatInt(n, 10) }
	add := hub.DayAdder{Emit: func(od hub.OfficeDay) error {
		if !started {
			start()
		}
		if part == "days" {
			row := []string{od.Day, office, i64(od.Accepted), i64(od.Overridden), i64(od.Rejected), i64(od.Other)}
			for _, reason := range mark.AllReasons {
				var n int64
				for _, rc := range od.Reasons {
					if rc.Reason == reason {
						n = rc.Count
					}
				}
				row = append(row, i64(n))
			}
			cw.Write(row) //nolint:errcheck // as above
		} else {
			for _, c := range od.Contracts {
				cw.Write([]string{od.Day, office, strconv.FormatUint(uint64(c.Contract), 10), i64(c.Items), i64(c.Unverified), //nolint:errcheck // as above
					i64(c.PaidKop), kopText(c.PaidKop)})
			}
		}
		cw.Flush() // a day at a time: the answer streams, memory stays flat
		if err := cw.Error(); err != nil {
			return err
		}
		return http.NewResponseController(w).Flush()
	}}
	err = s.opt.Store.OfficeDays(r.Context(), d.Office, d.From, d.To.AddDate(0, 0, 1), add.Add)
	if err == nil {
		err = add.Flush()
	}
	if err == nil && !started {
		start()
		cw.Flush()
	}
	switch {
	case err == nil:
	case !started:
		s.fail(w, r, sess, err)
	case errors.Is(err, r.Context().Err()):
	default:
		// The status is sent: break the transfer, so the download fails
		// instead of ending short without a word.
		s.opt.Log.Error("office CSV broke off", "office", d.Office, "err", err)
		panic(http.ErrAbortHandler)
	}
}
