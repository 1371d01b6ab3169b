package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"markd/internal/eventreplay"
	"markd/mark"
)

// events streams one "verdict" event per decided record, with comments as
// keepalives so proxies and browsers keep the connection. The event id is
// the scan's id; a client that reconnects with it (Last-Event-ID, or
// ?last_event_id=) first gets the verdicts stored after it, in order
// (package eventreplay), or one "reset" event when it cannot.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		s.fail(w, r, errors.New("streaming not supported by this connection"))
		return
	}
	// The feed first, then the store: a scan committed in between is in
	// both, and the cursor sends it once.
	var ch <-chan mark.Record
	if s.opt.Feed != nil {
		c, cancel := s.opt.Feed.Subscribe()
		defer cancel()
		ch = c
	}
	cur, replay, reset, err := eventreplay.Start(r.Context(), s.opt.Store, eventreplay.LastEventID(r), eventreplay.Max, s.log)
	if err != nil {
		s.fail(w, r, fmt.Errorf("event stream: %w", err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": markd events\nretry: 2000\n\n")
	if reset {
		fmt.Fprint(w, "event: reset\ndata: {}\n\n")
	}
	send := func(evs []eventreplay.Event) bool {
		for _, ev := range evs {
			rec := ev.Record
			rec.Frame = nil
			b, err := json.Marshal(View(rec))
			if err != nil {
				s.log.Error("encode event", "err", err)
				continue
			}
			id := ""
			if ev.ID != "" {
				id = "id: " + ev.ID + "\n"
			}
			if _, err := fmt.Fprintf(w, "event: verdict\n%sdata: %s\n\n", id, b); err != nil {
				return false
			}
		}
		return true
	}
	if !send(replay) {
		return
	}
	fl.Flush()
	tick := time.NewTicker(s.opt.Keepalive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil || !send(cur.Logged(cur.Next(r.Context()))) {
				return
			}
		case rec, ok := <-ch:
			if !ok {
				return
			}
			if !send(cur.Logged(cur.Live(r.Context(), rec))) {
				return
			}
		}
		fl.Flush()
	}
}
