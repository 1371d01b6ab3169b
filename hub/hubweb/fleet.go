package hubweb

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"markd/hub"
	"markd/mark"
)

// fleetParams are the query parameters of the fleet page.
var fleetParams = map[string]bool{"office": true, "state": true, "after": true, "before": true}

// parseFleetQuery reads the fleet page's query: office (a postal index
// prefix), state, and after or before (the paging keys the page's links
// carry). A bad value is mark.ErrInvalid naming the parameter.
func parseFleetQuery(v url.Values, now time.Time, limit int) (hub.FleetQuery, error) {
	q := hub.FleetQuery{Now: now, Limit: limit}
	for k, vals := range v {
		if !fleetParams[k] {
			return q, fmt.Errorf("parameter %q: the fleet page takes office, state, after and before: %w", k, mark.ErrInvalid)
		}
		if len(vals) > 1 {
			return q, fmt.Errorf("parameter %q: given %d times, give it once: %w", k, len(vals), mark.ErrInvalid)
		}
	}
	var err error
	if q.Offices, err = hub.ParseOfficePrefix(v.Get("office")); err != nil {
		return q, err
	}
	if q.State, err = hub.ParseFleetState(v.Get("state")); err != nil {
		return q, err
	}
	if v.Has("after") && v.Has("before") {
		return q, fmt.Errorf("parameters after and before: give one of them: %w", mark.ErrInvalid)
	}
	for _, p := range []struct {
		name string
		dst  **hub.FleetKey
	}{{"after", &q.After}, {"before", &q.Before}} {
		if !v.Has(p.name) {
			continue
		}
		k, err := hub.ParseFleetKey(p.name, v.Get(p.name))
		if err != nil {
			return q, err
		}
		*p.dst = &k
	}
	return q, nil
}

// fleetLink is the fleet page of q's filter at another key.
func fleetLink(q hub.FleetQuery, dir string, k hub.FleetKey) string {
	v := url.Values{}
	if q.Offices.Prefix != "" {
		v.Set("office", q.Offices.Prefix)
	}
	if q.State != hub.FleetAll {
		v.Set("state", string(q.State))
	}
	if dir != "" {
		v.Set(dir, k.String())
	}
	if len(v) == 0 {
		return "/"
	}
	return "/?" + v.Encode()
}

// fleet shows one page of terminals of a region and state, with the
// region's counts per state and links to the pages before and after.
func (s *Server) fleet(w http.ResponseWriter, r *http.Request, sess hub.WebSession) {
	now := s.opt.Now()
	q, err := parseFleetQuery(r.URL.Query(), now, s.opt.FleetPageSize)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	pg, err := s.opt.Store.FleetPage(r.Context(), q)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	var prev, next string
	if n := len(pg.Rows); n > 0 {
		first, last := pg.Rows[0], pg.Rows[n-1]
		if (q.Before != nil && pg.More) || q.After != nil {
			prev = fleetLink(q, "before", hub.FleetKey{Office: first.Office, Name: first.Name})
		}
		if (q.Before == nil && pg.More) || q.Before != nil {
			next = fleetLink(q, "after", hub.FleetKey{Office: last.Office, Name: last.Name})
		}
	}
	filter := map[string]string{"office": q.Offices.Prefix, "state": string(q.State)}
	stateLink := func(st hub.FleetState) string { q2 := q; q2.State = st; return fleetLink(q2, "", hub.FleetKey{}) }
	s.render(w, r, http.StatusOK, "fleet.html", &page{TitleRU: "Терминалы", TitleEN: "Fleet", User: sess.User, CSRF: sess.CSRF,
		Data: map[string]any{"Rows": s.fleetRowsHTML(pg.Rows, now, nil), "Shown": len(pg.Rows), "Counts": pg.Counts,
			"Filter": filter, "Prev": prev, "Next": next, "PageSize": q.Limit,
			"StateLinks": map[string]string{"all": stateLink(hub.FleetAll), "silent": stateLink(hub.FleetSilent),
				"stale": stateLink(hub.FleetStale), "hard": stateLink(hub.FleetHard), "never": stateLink(hub.FleetNever)}}})
}
