package web

import (
	"fmt"
	"html/template"
	"net/http"
	"sort"
	"strings"
	"time"

	"markd/mark"
	"markd/store"
)

// series is one stacked colour of the day chart: a verdict. The colours
// differ in lightness as well as hue, so they stay apart for colour-blind
// readers and in greyscale; every bar also has its number in the table.
type series struct {
	Key      mark.Verdict
	RU, EN   string
	Color    string
	Contrast string // text colour on Color
}

func chartSeries() []series {
	out := []series{}
	for _, v := range []struct {
		v             mark.Verdict
		ru, en, color string
	}{
		{mark.Accept, "Принято", "Accepted", "#1a7f37"},
		{mark.Reject, "Отказ", "Rejected", "#c62828"},
		{mark.DuplicateScan, "Повторный скан", "Scanned again", "#f0a500"},
		{mark.NotAMark, "Не марка", "Not a mark", "#5d7a99"},
		{mark.Error, "Не записано", "Not recorded", "#1b1b1b"},
	} {
		out = append(out, series{Key: v.v, RU: v.ru, EN: v.en, Color: v.color})
	}
	return out
}

type dayRow struct {
	Day    string // yyyy-mm-dd
	Counts []int  // scans by series, in chartSeries order
	Total  int    // scans of the day
}

// reasonRow is one reason of the per-reason breakdown of rejections.
type reasonRow struct {
	Code   mark.Reason
	RU, EN string
	N      int
}

type daysData struct {
	From, To string
	Series   []series
	Rows     []dayRow
	Total    int
	Reasons  []reasonRow // most frequent first
	Rejected int         // rejected scans in the period
	SVG      template.HTML
}

// reviewDays shows verdicts per reason per day as a stacked bar chart
// (server-rendered SVG, no script) and the same numbers as a table.
func (s *Server) reviewDays(w http.ResponseWriter, r *http.Request, sess session) {
	loc := s.opt.Location
	today := s.opt.Now().In(loc)
	to := mark.StartOfDay(today.Year(), today.Month(), today.Day(), loc)
	from := mark.StartOfDay(today.Year(), today.Month(), today.Day()-13, loc)
	q := r.URL.Query()
	var err error
	if v := q.Get("from"); v != "" {
		if from, err = parseDay(v, loc); err != nil {
			s.fail(w, r, fmt.Errorf("from: %w", err))
			return
		}
	}
	if v := q.Get("to"); v != "" {
		if to, err = parseDay(v, loc); err != nil {
			s.fail(w, r, fmt.Errorf("to: %w", err))
			return
		}
	}
	if to.Before(from) || to.Sub(from) > 366*24*time.Hour {
		s.fail(w, r, fmt.Errorf("days %s..%s: from must be before to, at most a year apart: %w",
			from.Format(time.DateOnly), to.Format(time.DateOnly), mark.ErrInvalid))
		return
	}
	counts, err := s.opt.Store.DayStats(r.Context(), from, mark.StartOfDay(to.Year(), to.Month(), to.Day()+1, loc), loc)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := buildDays(counts, from, to)
	d.From, d.To = from.Format(time.DateOnly), to.Format(time.DateOnly)
	d.SVG = template.HTML(renderChart(d, pageLang(r))) //nolint:gosec // built from escaped, fixed strings below
	s.render(w, r, "days.html", &page{Title: "Сканы по дням / Scans per day", Session: sess, Data: d})
}

func buildDays(counts []store.DayCount, from, to time.Time) daysData {
	d := daysData{Series: chartSeries()}
	idx := map[mark.Verdict]int{}
	for i, sr := range d.Series {
		idx[sr.Key] = i
	}
	byDay := map[string][]int{}
	byReason := map[mark.Reason]int{}
	for _, c := range counts {
		if c.Reason != "" {
			byReason[c.Reason] += c.N
			continue
		}
		i, ok := idx[c.Verdict]
		if !ok {
			continue
		}
		if byDay[c.Day] == nil {
			byDay[c.Day] = make([]int, len(d.Series))
		}
		byDay[c.Day][i] += c.N
	}
	// Calendar days counted in UTC, where none is skipped or doubled by DST.
	last := time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, time.UTC)
	for day := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC); !day.After(last); day = day.AddDate(0, 0, 1) {
		key := day.Format(time.DateOnly)
		row := dayRow{Day: key, Counts: make([]int, len(d.Series))}
		if c := byDay[key]; c != nil {
			copy(row.Counts, c)
			for _, n := range c {
				row.Total += n
			}
		}
		d.Total += row.Total
		d.Rejected += row.Counts[idx[mark.Reject]]
		d.Rows = append(d.Rows, row)
	}
	sort.SliceStable(d.Rows, func(a, b int) bool { return d.Rows[a].Day < d.Rows[b].Day })
	for _, r := range mark.AllReasons {
		if n := byReason[r]; n > 0 {
			t := mark.Explain(r)
			d.Reasons = append(d.Reasons, reasonRow{Code: r, RU: t.RU, EN: t.EN, N: n})
		}
	}
	sort.SliceStable(d.Reasons, func(a, b int) bool { return d.Reasons[a].N > d.Reasons[b].N })
	return d
}

// renderChart draws stacked bars, one per day, with a y axis and day labels.
// Every string that goes in is a day (digits and '-') or a fixed series
// label, and is escaped anyway.
func renderChart(d daysData, lang string) string {
	const (
		w, h           = 900, 320
		left, bottom   = 48, 60
		top, right     = 16, 16
		plotW, plotH   = w - left - right, h - top - bottom
		minBar, maxBar = 4.0, 48.0
	)
	maxTotal := 1
	for _, r := range d.Rows {
		maxTotal = max(maxTotal, r.Total)
	}
	step := niceStep(maxTotal)
	yMax := ((maxTotal + step - 1) / step) * step
	var b strings.Builder
	ru, en := "Сканы по дням, столбцы по решениям; числа — в таблице ниже", "Scans per day, bars by verdict; the numbers are in the table below"
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" class="chart" role="img" aria-label="%s" data-label-ru="%s" data-label-en="%s">`,
		w, h, w, h, tx(lang, ru, en), ru, en)
	for y := 0; y <= yMax; y += step {
		py := float64(top) + float64(plotH)*(1-float64(y)/float64(yMax))
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>`, left, w-right, py, py)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" font-size="11" fill="#555">%d</text>`, left-6, py+4, y)
	}
	n := max(len(d.Rows), 1)
	slot := float64(plotW) / float64(n)
	bar := min(max(slot*0.7, minBar), maxBar)
	for i, r := range d.Rows {
		x := float64(left) + slot*float64(i) + (slot-bar)/2
		y := float64(top + plotH)
		for j, c := range r.Counts {
			if c == 0 {
				continue
			}
			hh := float64(plotH) * float64(c) / float64(yMax)
			y -= hh
			s := d.Series[j]
			day := template.HTMLEscapeString(dayText(r.Day))
			ru := fmt.Sprintf("%s %s: %d", day, template.HTMLEscapeString(s.RU), c)
			en := fmt.Sprintf("%s %s: %d", day, template.HTMLEscapeString(s.EN), c)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" stroke="#1b1b1b" stroke-width="0.75"><title data-ru="%s" data-en="%s">%s</title></rect>`,
				x, y, bar, hh, s.Color, ru, en, tx(lang, ru, en))
		}
		if r.Total > 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="11" fill="#222">%d</text>`, x+bar/2, y-4, r.Total)
		}
		lx, ly := x+bar/2, float64(top+plotH+12)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" font-size="11" fill="#555" transform="rotate(-45 %.1f %.1f)">%s</text>`,
			lx, ly, lx, ly, template.HTMLEscapeString(dayText(r.Day)[:5]))
	}
	fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#888"/>`, left, w-right, top+plotH, top+plotH)
	b.WriteString(`</svg>`)
	return b.String()
}

// niceStep picks a grid step of 1, 2 or 5 times a power of ten giving at most 6 lines.
func niceStep(maxV int) int {
	for p := 1; ; p *= 10 {
		for _, m := range []int{1, 2, 5} {
			if maxV/(m*p) <= 5 {
				return m * p
			}
		}
	}
}
