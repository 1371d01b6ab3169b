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

// series is one stacked colour of the day chart: a verdict, or one reason
// of REJECT.
type series struct {
	Key, Label, Color string
}

// reasonColors give each reason of REJECT its own shade of red/orange/purple.
var reasonColors = []string{
	"#7f0000", "#a50f15", "#cb181d", "#ef3b2c", "#fb6a4a", "#fc9272", "#8c2d04", "#d94801",
	"#f16913", "#fd8d3c", "#54278f", "#756bb1", "#9e9ac8", "#ce1256", "#e7298a", "#67001f",
}

func chartSeries() []series {
	out := []series{{Key: string(mark.Accept), Label: "ACCEPT", Color: "#1a7f37"}}
	for i, r := range mark.AllReasons {
		out = append(out, series{Key: "REJECT/" + string(r), Label: string(r), Color: reasonColors[i%len(reasonColors)]})
	}
	return append(out,
		series{Key: "REJECT/", Label: "REJECT (no reason)", Color: "#444"},
		series{Key: string(mark.DuplicateScan), Label: "DUPLICATE_SCAN", Color: "#d4a017"},
		series{Key: string(mark.NotAMark), Label: "NOT_A_MARK", Color: "#9e9e9e"},
		series{Key: string(mark.Error), Label: "ERROR", Color: "#000"},
	)
}

func countKey(c store.DayCount) string {
	if c.Verdict == mark.Reject {
		return "REJECT/" + string(c.Reason)
	}
	return string(c.Verdict)
}

type dayRow struct {
	Day    string
	Counts []int // by series, in chartSeries order
	Total  int
}

type daysData struct {
	From, To string
	Series   []series // only those that occur
	Rows     []dayRow
	SVG      template.HTML
}

// reviewDays shows verdicts per reason per day as a stacked bar chart
// (server-rendered SVG, no script) and the same numbers as a table.
func (s *Server) reviewDays(w http.ResponseWriter, r *http.Request, sess session) {
	loc := s.opt.Location
	today := s.opt.Now().In(loc)
	to := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, loc)
	from := to.AddDate(0, 0, -13)
	q := r.URL.Query()
	var err error
	if v := q.Get("from"); v != "" {
		if from, err = time.ParseInLocation(time.DateOnly, v, loc); err != nil {
			s.fail(w, r, fmt.Errorf("from %q: not YYYY-MM-DD: %w", v, mark.ErrInvalid))
			return
		}
	}
	if v := q.Get("to"); v != "" {
		if to, err = time.ParseInLocation(time.DateOnly, v, loc); err != nil {
			s.fail(w, r, fmt.Errorf("to %q: not YYYY-MM-DD: %w", v, mark.ErrInvalid))
			return
		}
	}
	if to.Before(from) || to.Sub(from) > 366*24*time.Hour {
		s.fail(w, r, fmt.Errorf("days %s..%s: from must be before to, at most a year apart: %w",
			from.Format(time.DateOnly), to.Format(time.DateOnly), mark.ErrInvalid))
		return
	}
	counts, err := s.opt.Store.DayStats(r.Context(), from, to.AddDate(0, 0, 1), loc)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := buildDays(counts, from, to)
	d.From, d.To = from.Format(time.DateOnly), to.Format(time.DateOnly)
	d.SVG = template.HTML(renderChart(d)) //nolint:gosec // built from escaped, fixed strings below
	s.render(w, r, "days.html", &page{Title: "По дням / Per day", Session: sess, Data: d})
}

func buildDays(counts []store.DayCount, from, to time.Time) daysData {
	all := chartSeries()
	idx := map[string]int{}
	for i, s := range all {
		idx[s.Key] = i
	}
	byDay := map[string][]int{}
	used := make([]bool, len(all))
	for _, c := range counts {
		i, ok := idx[countKey(c)]
		if !ok {
			continue
		}
		if byDay[c.Day] == nil {
			byDay[c.Day] = make([]int, len(all))
		}
		byDay[c.Day][i] += c.N
		used[i] = true
	}
	var d daysData
	var keep []int
	for i, s := range all {
		if used[i] {
			d.Series = append(d.Series, s)
			keep = append(keep, i)
		}
	}
	for day := from; !day.After(to); day = day.AddDate(0, 0, 1) {
		key := day.Format(time.DateOnly)
		row := dayRow{Day: key, Counts: make([]int, len(keep))}
		if c := byDay[key]; c != nil {
			for j, i := range keep {
				row.Counts[j] = c[i]
				row.Total += c[i]
			}
		}
		d.Rows = append(d.Rows, row)
	}
	sort.SliceStable(d.Rows, func(a, b int) bool { return d.Rows[a].Day < d.Rows[b].Day })
	return d
}

// renderChart draws stacked bars, one per day, with a y axis and day labels.
// Every string that goes in is a day (digits and '-') or a fixed series
// label, and is escaped anyway.
func renderChart(d daysData) string {
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
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" class="chart" role="img" aria-label="verdicts per reason per day">`, w, h)
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
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %d</title></rect>`,
				x, y, bar, hh, s.Color, template.HTMLEscapeString(r.Day), template.HTMLEscapeString(s.Label), c)
		}
		if r.Total > 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="11" fill="#222">%d</text>`, x+bar/2, y-4, r.Total)
		}
		lx, ly := x+bar/2, float64(top+plotH+12)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" font-size="11" fill="#555" transform="rotate(-45 %.1f %.1f)">%s</text>`,
			lx, ly, lx, ly, template.HTMLEscapeString(r.Day[5:]))
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
