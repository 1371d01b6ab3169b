package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"markd/mark"
	"markd/store"
)

// recentN is how many scans the operator screen lists.
const recentN = 20

func (s *Server) operatorPage(w http.ResponseWriter, r *http.Request, sess session) {
	// An operator who opens the screen is at the counter: stamp their name
	// on the records from now on. A supervisor looking at the screen (to
	// help, or from the back office) is not the one scanning.
	if sess.Role == store.RoleOperator {
		s.setOperator(sess.User)
	}
	s.render(w, r, "operator.html", &page{Title: "Касса / Counter", Session: sess})
}

// liveEvent is one server-sent event of the operator screen.
type liveEvent struct {
	Record  *recordView         `json:"record,omitempty"`
	Sources []mark.SourceHealth `json:"sources,omitempty"`
	Scale   *scaleView          `json:"scale,omitempty"` // only with a scale
	// Overrides changes when a supervisor overrides a rejection to accept
	// (Server.overrides); health events only.
	Overrides int64 `json:"overrides,omitempty"`
	// Batches changes when a batch is opened, listed, closed or cancelled
	// through the API (Server.batchWrites); health events only.
	Batches int64 `json:"batches,omitempty"`
}

// scaleView is the weight on the counter scale; WeightG 0 = nothing stable.
type scaleView struct {
	WeightG int `json:"weight_g"`
}

func (s *Server) healthEvent() liveEvent {
	ev := liveEvent{Sources: s.health(), Overrides: s.overrides.Load(), Batches: s.batchWrites.Load()}
	if s.opt.Weight != nil {
		ev.Scale = &scaleView{WeightG: s.opt.Weight()}
	}
	return ev
}

func (s *Server) operatorRecent(w http.ResponseWriter, r *http.Request, _ session) {
	recs, err := s.opt.Store.LatestRecords(r.Context(), recentN)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := struct {
		Records []recordView        `json:"records"`
		Sources []mark.SourceHealth `json:"sources"`
	}{Records: []recordView{}, Sources: s.health()}
	for _, rec := range recs {
		out.Records = append(out.Records, s.view(rec))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(out)
}

func (s *Server) health() []mark.SourceHealth {
	if s.opt.Health == nil {
		return []mark.SourceHealth{}
	}
	return s.opt.Health()
}

// operatorLive streams server-sent events: "scan" with each new record as
// the pipeline decides it, and "health" with the source states every few
// seconds (which also tells the page the connection is alive).
//
// The stream ends with the session (logout, also in another browser, or
// the account changed by markd user): it sends "ended" first, so the page
// goes to the login at once.
func (s *Server) operatorLive(w http.ResponseWriter, r *http.Request, sess session) {
	ctx, cancel := s.sessionContext(r.Context(), sess)
	defer cancel()
	fl, ok := w.(http.Flusher)
	if !ok {
		s.fail(w, r, fmt.Errorf("streaming not supported by this connection: %w", mark.ErrUnavailable))
		return
	}
	var recs <-chan mark.Record
	if s.opt.Feed != nil {
		ch, cancel := s.opt.Feed.Subscribe()
		defer cancel()
		recs = ch
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(kind string, ev liveEvent) bool {
		b, err := json.Marshal(ev)
		if err != nil {
			return false
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", kind, b); err != nil {
			return false
		}
		fl.Flush()
		return true
	}
	fmt.Fprint(w, "retry: 2000\n\n")
	if !send("health", s.healthEvent()) {
		return
	}
	tick := time.NewTicker(s.heartbit)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			if r.Context().Err() == nil { // the session ended, not the connection
				// The page takes the reason to the login page, which says it.
				fmt.Fprintf(w, "event: ended\ndata: {\"reason\":%q}\n\n", reasonOf(context.Cause(ctx)))
				fl.Flush()
			}
			return
		case rec, ok := <-recs:
			if !ok {
				return
			}
			v := s.view(rec)
			if !send("scan", liveEvent{Record: &v}) {
				return
			}
		case <-tick.C:
			if !send("health", s.healthEvent()) {
				return
			}
		}
	}
}
