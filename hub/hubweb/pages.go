package hubweb

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"markd/hub"
	"markd/internal/webtext"
	"markd/mark"
)

// when formats t for the pages with its zone (UTC by default: the
// counters' pages show their office's time, and a time compared with one
// of theirs must say which clock it is on); zero is "—".
func (s *Server) when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(s.opt.Location).Format("02.01.2006 15:04:05 MST")
}

func skewText(d time.Duration) string {
	if d == 0 {
		return "0 s"
	}
	return fmt.Sprintf("%+.0f s", d.Seconds())
}

func officeText(o uint32) string {
	if o == 0 {
		return "—"
	}
	return fmt.Sprintf("%06d", o)
}

// freshHTML is the freshness cell of each class, in both languages.
var freshHTML = map[string]string{
	"ok":    `<span class="conn conn-ok"><span class="ru">на связи</span><span class="en">fresh</span></span>`,
	"stale": `<span class="conn conn-wait"><span class="ru">молчит &gt; 4 ч</span><span class="en">silent &gt; 4 h</span></span>`,
	"hard":  `<span class="conn conn-lost"><span class="ru">молчит &gt; 24 ч</span><span class="en">silent &gt; 24 h</span></span>`,
	"never": `<span class="conn conn-wait"><span class="ru">не выходил на связь</span><span class="en">never seen</span></span>`,
}

// fleetRowsHTML writes the rows of the fleet table. A region has
// thousands of terminals: written here, every value escaped with
// template.HTMLEscapeString, the table takes a fraction of the time the
// template took with an escaper call per cell (BenchmarkFleetRender).
func (s *Server) fleetRowsHTML(rows []hub.FleetRow, now time.Time, counts map[string]int) template.HTML {
	var b strings.Builder
	b.Grow(len(rows) * 700)
	esc := template.HTMLEscapeString
	for _, f := range rows {
		fresh := freshness(now, f.SeenAt)
		if counts != nil {
			counts[fresh]++
		}
		waiting := "unknown"
		if !f.WaitingAt.IsZero() {
			waiting = strconv.FormatInt(f.Waiting, 10)
		}
		b.WriteString(`<tr data-terminal="` + esc(f.Name) + `" data-fresh="` + fresh + `"><td>` + officeText(f.Office) +
			`</td><th scope="row">` + esc(f.Name) + `</th><td>` + freshHTML[fresh] + `</td><td class="nowrap">` + s.when(f.SeenAt) +
			`</td><td class="nowrap">` + s.when(f.LastRecord) + `</td><td>`)
		if v := f.Versions; v.Keyring != "" {
			b.WriteString(esc(v.Keyring) + " / " + esc(v.Tariffs) + " / " + esc(v.Revocations))
		} else {
			b.WriteString("—")
		}
		b.WriteString(`</td><td class="num" data-waiting="` + waiting + `">`)
		if f.WaitingAt.IsZero() {
			b.WriteString(`<span class="ru">неизвестно</span><span class="en">unknown</span>`)
		} else {
			b.WriteString(waiting)
		}
		b.WriteString(`</td><td class="num">`)
		switch {
		case f.SeenAt.IsZero():
			b.WriteString("—")
		case f.ClockSkew > SkewWarn || f.ClockSkew < -SkewWarn:
			b.WriteString(`<strong class="conn conn-lost">` + skewText(f.ClockSkew) + `</strong>`)
		default:
			b.WriteString(skewText(f.ClockSkew))
		}
		b.WriteString(`</td><td data-zone="` + f.Zone.Check.String() + `">`)
		b.WriteString(zoneHTML(f.Zone))
		b.WriteString("</td></tr>\n")
	}
	return template.HTML(b.String()) //nolint:gosec // every value above is escaped or one of ours
}

// zoneHTML is the time zone cell of a terminal's zone note
// (hub.ZoneNote): what its newest record with the offset it judged dates
// by says against its office's zone.
func zoneHTML(z hub.ZoneNote) string {
	esc := template.HTMLEscapeString
	office := ` <span class="nowrap">UTC` + hub.FormatOffset(z.Expected) + `</span> (` + esc(z.Zone) + `)`
	switch z.Check {
	case hub.ZoneAgrees:
		return `<span class="ru">как у отделения:</span><span class="en">the office's:</span>` + office
	case hub.ZoneDiffers:
		return `<strong class="conn conn-lost"><span class="ru">другой пояс:</span><span class="en">judges in a different zone:</span></strong> <span class="nowrap">UTC` +
			hub.FormatOffset(z.Offset) + `</span>` + counterZoneHTML(z) + `; <span class="ru">у отделения</span><span class="en">the office's</span>` + office
	case hub.ZoneDataDiffer:
		return `<strong class="conn conn-wait"><span class="ru">данные поясов расходятся:</span><span class="en">zone data differ:</span></strong> <span class="ru">у терминала</span><span class="en">the terminal's</span> <span class="nowrap">UTC` +
			hub.FormatOffset(z.Offset) + `</span>` + zoneDataHTML(z.CounterData) + `; <span class="ru">у сервера</span><span class="en">the collector's</span>` + office +
			zoneDataHTML(z.CollectorData)
	}
	return "—"
}

// zoneDataHTML names the zone data a side judged by ("embedded 2025c"),
// when known.
func zoneDataHTML(data string) string {
	if data == "" {
		return ""
	}
	return ` <span class="nowrap">[tz ` + template.HTMLEscapeString(data) + `]</span>`
}

// counterZoneHTML names the counter's tz after its offset, when it sent one.
func counterZoneHTML(z hub.ZoneNote) string {
	if z.CounterZone == "" {
		return ""
	}
	return " (" + template.HTMLEscapeString(z.CounterZone) + ")"
}

// freshness classes a terminal by its last contact.
func freshness(now, seen time.Time) string { return hub.Freshness(now, seen) }

func (s *Server) alerts(w http.ResponseWriter, r *http.Request, sess hub.WebSession) {
	all := r.URL.Query().Get("all") == "1"
	list, err := s.opt.Store.ReuseAlerts(r.Context(), !all, 500)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	disputed, err := s.opt.Store.Disputed(r.Context(), hub.DisputeOpen, disputedShown)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	reviewed, err := s.opt.Store.Disputed(r.Context(), hub.DisputeReviewed, reviewedShown)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	s.render(w, r, http.StatusOK, "alerts.html", &page{TitleRU: "Повторное использование", TitleEN: "Reuse alerts",
		User: sess.User, CSRF: sess.CSRF, Flash: r.URL.Query().Get("done"),
		Data: map[string]any{"Alerts": list, "All": all, "Disputed": disputed, "DisputedShown": disputedShown,
			"Reviewed": reviewed, "ReviewedShown": reviewedShown, "DisputeDone": r.URL.Query().Get("reviewed"),
			"DisputeDoneState": r.URL.Query().Get("state")}})
}

// disputedShown and disputedCSV bound the disputed acceptances on the
// alerts page and in /disputed.csv (newest scan first).
const (
	disputedShown = 500
	disputedCSV   = 100000
	// reviewedShown bounds the reviewed ones shown apart, last reviewed first.
	reviewedShown = 100
)

// disputedCSV streams the disputed acceptances (hub.Checker.Judge),
// newest scan first: what a program reads instead of the page.
func (s *Server) disputedCSV(w http.ResponseWriter, r *http.Request, sess hub.WebSession) {
	list, err := s.opt.Store.Disputed(r.Context(), hub.DisputeAny, disputedCSV)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	out := startCSV(w, "disputed.csv", []string{"scanned", "received", "office", "terminal", "counter", "record_id", "serial", "reasons", "why",
		"review_state", "reviewed_at", "review_by", "review_note"})
	for _, d := range list {
		var serial, reviewedAt string
		if d.Mark != nil {
			serial = strconv.FormatUint(d.Mark.Serial, 10)
		}
		if !d.DisputeReview.At.IsZero() {
			reviewedAt = d.DisputeReview.At.UTC().Format(time.RFC3339Nano)
		}
		out.row([]string{d.At.UTC().Format(time.RFC3339Nano), d.ReceivedAt.UTC().Format(time.RFC3339Nano), officeText(d.Office),
			csvText(d.Terminal), csvText(d.Counter), csvText(d.ID), serial, disputeCodes(d.Disputed), csvText(d.Why),
			string(d.DisputeReview.State()), reviewedAt, csvText(d.DisputeReview.By), csvText(d.DisputeReview.Note)})
	}
	s.endCSV(out, "disputed")
}

// disputeCodes is the reason codes of a disputed record, space-separated.
func disputeCodes(rs []mark.Reason) string {
	parts := make([]string, len(rs))
	for i, x := range rs {
		parts[i] = string(x)
	}
	return strings.Join(parts, " ")
}

// maxAlertNote bounds the note on a reuse alert, in bytes.
const maxAlertNote = 2000

// formNote is the form's note, trimmed: a control, bidirectional or zero
// width character is refused, named with its position as typed (it was
// stored and neutralised only in the questioned feed, hub.PlainNote);
// so is a note over limit bytes, and a missing one where required (need
// says what it should say).
func formNote(r *http.Request, limit int, required bool, need string) (string, error) {
	if err := webtext.CheckNote(r.PostFormValue("note")); err != nil {
		return "", err
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	if len(note) > limit {
		return "", fmt.Errorf("note: at most %d bytes, got %d: %w", limit, len(note), mark.ErrInvalid)
	}
	if required && note == "" {
		return "", fmt.Errorf("note: %s: %w", need, mark.ErrInvalid)
	}
	return note, nil
}

// alertPost moves an alert to acknowledged or resolved with a note.
func (s *Server) alertPost(w http.ResponseWriter, r *http.Request, sess hub.WebSession) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(w, r, sess, fmt.Errorf("alert id %q: use a positive whole number: %w", r.PathValue("id"), mark.ErrInvalid))
		return
	}
	state, err := hub.ParseAlertState(r.PostFormValue("state"))
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	note, err := formNote(r, maxAlertNote, state == hub.AlertResolved, "say how the reuse was resolved (Заметка: опишите решение)")
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	if err := s.opt.Store.SetAlertState(r.Context(), id, state, sess.User, note, s.opt.Now()); err != nil {
		s.fail(w, r, sess, err)
		return
	}
	s.opt.Log.Info("reuse alert", "id", id, "state", state, "user", sess.User)
	http.Redirect(w, r, "/alerts?done="+strconv.FormatInt(id, 10)+"#alert-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// disputePost reviews a disputed acceptance (state reviewed, a note
// saying what was found is required) or opens it again (state open),
// named by its terminal and record id.
func (s *Server) disputePost(w http.ResponseWriter, r *http.Request, sess hub.WebSession) {
	s.reviewPost(w, r, sess, "disputed acceptance", "/alerts", "#disputed-h")
}

// reviewPost is the review of a disputed acceptance or a questioned
// rejection (both hub.Regional.SetDisputeState), named by what in errors
// and the log; the answer goes back to page at anchor.
func (s *Server) reviewPost(w http.ResponseWriter, r *http.Request, sess hub.WebSession, what, page, anchor string) {
	terminal, id := r.PostFormValue("terminal"), r.PostFormValue("record")
	if terminal == "" || id == "" {
		s.fail(w, r, sess, fmt.Errorf("%s: the form names no terminal or record: %w", what, mark.ErrInvalid))
		return
	}
	state, err := hub.ParseDisputeState(r.PostFormValue("state"))
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	note, err := formNote(r, hub.MaxDisputeNote, state == hub.DisputeReviewed, "say what the review found (Заметка: опишите, что выяснилось)")
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	if err := s.opt.Store.SetDisputeState(r.Context(), terminal, id, state, sess.User, note, s.opt.Now()); err != nil {
		s.fail(w, r, sess, err)
		return
	}
	s.opt.Log.Info(what, "terminal", terminal, "record", id, "state", state, "user", sess.User)
	http.Redirect(w, r, page+"?reviewed="+url.QueryEscape(id)+"&state="+string(state)+anchor, http.StatusSeeOther)
}

func (s *Server) lookup(w http.ResponseWriter, r *http.Request, sess hub.WebSession) {
	q := r.URL.Query()
	kind, value := hub.LookupKind(q.Get("by")), strings.TrimSpace(q.Get("q"))
	if kind == "" {
		kind = hub.BySerial
	}
	data := map[string]any{"By": string(kind), "Q": value}
	p := &page{TitleRU: "Поиск марки", TitleEN: "Find a mark", User: sess.User, CSRF: sess.CSRF, Data: data}
	code := http.StatusOK
	if value != "" {
		recs, err := s.opt.Store.Lookup(r.Context(), kind, value, 1000)
		if err != nil && httpStatus(err) >= 500 {
			s.fail(w, r, sess, err)
			return
		}
		if err != nil {
			code, p.Error = httpStatus(err), err.Error()
		}
		data["Records"], data["Searched"] = recs, true
	}
	s.render(w, r, code, "lookup.html", p)
}

// unverified lists the records whose mark the collector could not verify,
// with why.
func (s *Server) unverified(w http.ResponseWriter, r *http.Request, sess hub.WebSession) {
	recs, err := s.opt.Store.Unverified(r.Context(), 1000)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	s.render(w, r, http.StatusOK, "unverified.html", &page{TitleRU: "Непроверенные записи", TitleEN: "Unverified records",
		User: sess.User, CSRF: sess.CSRF, Data: map[string]any{"Records": recs}})
}

// refused lists what the collector refused from the counters, with why.
func (s *Server) refused(w http.ResponseWriter, r *http.Request, sess hub.WebSession) {
	list, err := s.opt.Store.Refused(r.Context(), 1000)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	s.render(w, r, http.StatusOK, "refused.html", &page{TitleRU: "Отказы сборщика", TitleEN: "Refused uploads",
		User: sess.User, CSRF: sess.CSRF, Data: map[string]any{"Refused": list, "Keep": hub.MaxRefusedPerTerminal}})
}

// reviewRow is what the template reviewRow draws: record R, the I-th open
// row of a list whose review form posts to Action, its ids prefixed with
// P (note, review) and Reopened, and the reasons Codes it is listed for.
type reviewRow struct {
	R        any
	I        int
	CSRF     string
	Action   string
	P        string
	Reopened string
	Codes    []mark.Reason
	Serial   bool // reviewedRow: a serial column
}

func reviewRowOf(r any, i int, csrf, action, p, reopened string, codes []mark.Reason) reviewRow {
	return reviewRow{R: r, I: i, CSRF: csrf, Action: action, P: p, Reopened: reopened, Codes: codes}
}

// reviewedRowOf is the reviewRow the template reviewedRow draws: a
// reviewed record with its form to open it again.
func reviewedRowOf(r any, i int, csrf, action, p string, serial bool, codes []mark.Reason) reviewRow {
	return reviewRow{R: r, I: i, CSRF: csrf, Action: action, P: p, Serial: serial, Codes: codes}
}
