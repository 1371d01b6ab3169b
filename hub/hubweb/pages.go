package hubweb

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"markd/hub"
	"markd/mark"
)

// when formats t for the pages; zero is "—".
func (s *Server) when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(s.opt.Location).Format("02.01.2006 15:04:05")
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

// fleetRow is one line of the fleet page.
type fleetRow struct {
	hub.FleetRow
	Fresh    string // ok, stale, hard, never
	SkewWarn bool
}

// freshness classes a terminal by its last contact.
func freshness(now, seen time.Time) string {
	switch {
	case seen.IsZero():
		return "never"
	case now.Sub(seen) >= HardStale:
		return "hard"
	case now.Sub(seen) >= Stale:
		return "stale"
	}
	return "ok"
}

func (s *Server) fleet(w http.ResponseWriter, r *http.Request, sess hub.WebSession) {
	rows, err := s.opt.Store.Fleet(r.Context())
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	now := s.opt.Now()
	out := make([]fleetRow, len(rows))
	counts := map[string]int{}
	for i, f := range rows {
		out[i] = fleetRow{FleetRow: f, Fresh: freshness(now, f.SeenAt),
			SkewWarn: !f.SeenAt.IsZero() && (f.ClockSkew > SkewWarn || f.ClockSkew < -SkewWarn)}
		counts[out[i].Fresh]++
	}
	s.render(w, r, http.StatusOK, "fleet.html", &page{TitleRU: "Терминалы", TitleEN: "Fleet", User: sess.User, CSRF: sess.CSRF,
		Data: map[string]any{"Rows": out, "Counts": counts, "Now": now}})
}

func (s *Server) alerts(w http.ResponseWriter, r *http.Request, sess hub.WebSession) {
	all := r.URL.Query().Get("all") == "1"
	list, err := s.opt.Store.ReuseAlerts(r.Context(), !all, 500)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	s.render(w, r, http.StatusOK, "alerts.html", &page{TitleRU: "Повторное использование", TitleEN: "Reuse alerts",
		User: sess.User, CSRF: sess.CSRF, Flash: r.URL.Query().Get("done"), Data: map[string]any{"Alerts": list, "All": all}})
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
	note := strings.TrimSpace(r.PostFormValue("note"))
	if len(note) > 2000 {
		s.fail(w, r, sess, fmt.Errorf("note: at most 2000 bytes, got %d: %w", len(note), mark.ErrInvalid))
		return
	}
	if state == hub.AlertResolved && note == "" {
		s.fail(w, r, sess, fmt.Errorf("note: say how the reuse was resolved (Заметка: опишите решение): %w", mark.ErrInvalid))
		return
	}
	if err := s.opt.Store.SetAlertState(r.Context(), id, state, sess.User, note, s.opt.Now()); err != nil {
		s.fail(w, r, sess, err)
		return
	}
	s.opt.Log.Info("reuse alert", "id", id, "state", state, "user", sess.User)
	http.Redirect(w, r, "/alerts?done="+strconv.FormatInt(id, 10)+"#alert-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
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
