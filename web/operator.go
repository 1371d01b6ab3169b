package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"markd/batch"
	"markd/internal/eventreplay"
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
	Record *recordView `json:"record,omitempty"`
	// Replayed marks a scan sent again after a reconnection (decided while
	// the stream was down): the page sounds one tone for all of them, the
	// worst verdict's, instead of one each (up to eventreplay.Max).
	Replayed bool                `json:"replayed,omitempty"`
	Sources  []mark.SourceHealth `json:"sources,omitempty"`
	Scale    *scaleView          `json:"scale,omitempty"` // only with a scale
	// Overrides changes when a supervisor overrides a rejection to accept
	// (Server.overrides); health events only.
	Overrides int64 `json:"overrides,omitempty"`
	// Batches changes when a batch is opened, listed, closed or cancelled
	// through the API (Server.batchWrites); health events only.
	Batches int64 `json:"batches,omitempty"`
	// BatchLog changes when the audit log gets a line of a batch action
	// from anywhere, another process too (markd batch expect: batchWatch);
	// health events only.
	BatchLog int64 `json:"batch_log,omitempty"`
	// Closing is the counter's batch close under way, how far it is
	// (batch.Service.Closings); health events only.
	Closing *closingView `json:"closing,omitempty"`
}

// closingView is a batch close under way: since when (office time), and
// its step of steps (batch.CloseStep), which the panel names.
type closingView struct {
	Batch string `json:"batch"`
	Since string `json:"since"`
	Step  int    `json:"step"`
	Steps int    `json:"steps"`
}

// scaleView is the weight on the counter scale; WeightG 0 = nothing stable.
type scaleView struct {
	WeightG int `json:"weight_g"`
}

func (s *Server) healthEvent(ctx context.Context) liveEvent {
	ev := liveEvent{Sources: s.health(), Overrides: s.overrides.Load(), Batches: s.batchWrites.Load()}
	if s.opt.Batches != nil {
		ev.BatchLog = s.batchLog(ctx)
		for _, c := range s.opt.Batches.Closings() { // one at a time per counter
			ev.Closing = &closingView{Batch: c.Batch, Since: s.localTime(c.Since), Step: int(c.Step), Steps: batch.CloseSteps}
		}
	}
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
// A scan event's id is the scan's id: a page that reconnects with it
// (Last-Event-ID, or ?last_event_id= on a new EventSource) first gets the
// scans stored after it, in order, or one "reset" event when it cannot
// (package eventreplay); the page then loads its list again.
//
// The stream ends with the session (logout, also in another browser, or
// the account changed by markd user): it sends "ended" first, so the page
// goes to the login at once.
func (s *Server) operatorLive(w http.ResponseWriter, r *http.Request, sess session) {
	release, ok := s.openStream(w, r, "user "+strconv.Quote(sess.User))
	if !ok {
		return
	}
	defer release()
	ctx, cancel := s.sessionContext(r.Context(), sess)
	defer cancel()
	fl, ok := w.(http.Flusher)
	if !ok {
		s.fail(w, r, fmt.Errorf("streaming not supported by this connection: %w", mark.ErrUnavailable))
		return
	}
	// The feed first, then the store: a scan committed in between is in
	// both, and the cursor sends it once.
	var recs <-chan mark.Record
	if s.opt.Feed != nil {
		ch, cancel := s.opt.Feed.Subscribe()
		defer cancel()
		recs = ch
	}
	cur, replay, reset, err := eventreplay.Start(ctx, s.opt.Store, eventreplay.LastEventID(r), eventreplay.Max, s.log)
	if err != nil {
		s.fail(w, r, fmt.Errorf("operator screen stream: %w", err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(kind, id string, ev liveEvent) bool {
		b, err := json.Marshal(ev)
		if err != nil {
			return false
		}
		if id != "" {
			id = "id: " + id + "\n"
		}
		if _, err := fmt.Fprintf(w, "event: %s\n%sdata: %s\n\n", kind, id, b); err != nil {
			return false
		}
		fl.Flush()
		return true
	}
	scans := func(evs []eventreplay.Event, replayed bool) bool {
		for _, ev := range evs {
			v := s.view(ev.Record)
			if !send("scan", ev.ID, liveEvent{Record: &v, Replayed: replayed}) {
				return false
			}
		}
		return true
	}
	fmt.Fprint(w, "retry: 2000\n\n")
	if reset && !send("reset", "", liveEvent{}) {
		return
	}
	if !scans(replay, true) {
		return
	}
	if !send("health", "", s.healthEvent(ctx)) {
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
			if !scans(cur.Logged(cur.Live(ctx, rec)), false) {
				return
			}
		case <-tick.C:
			if !scans(cur.Logged(cur.Next(ctx)), false) || !send("health", "", s.healthEvent(ctx)) {
				return
			}
		}
	}
}
