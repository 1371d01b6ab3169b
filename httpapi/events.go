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
	send := func(rec mark.Record) bool {
		rec.Frame = nil
		b, err := json.Marshal(View(rec))
		if err != nil {
			s.log.Error("encode event", "err", err)
			return true
		}
		id := ""
		if rec.ID != "" { // a scan that could not be stored has no id to come back to
			id = "id: " + rec.ID + "\n"
		}
		_, err = fmt.Fprintf(w, "event: verdict\n%sdata: %s\n\n", id, b)
		return err == nil
	}
	catchUp := func() bool {
		for {
			recs, more, err := cur.Next(r.Context())
			if err != nil {
				// The next verdict or keepalive reads again from the same place.
				s.log.Warn("event stream: read stored scans", "err", err)
				return true
			}
			for _, rec := range recs {
				if !send(rec) {
					return false
				}
			}
			if !more {
				return true
			}
		}
	}
	for _, rec := range replay {
		if !send(rec) {
			return
		}
	}
	fl.Flush()
	tick := time.NewTicker(s.opt.Keepalive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil || !catchUp() {
				return
			}
		case rec, ok := <-ch:
			if !ok {
				return
			}
			if rec.ID == "" { // not stored (the fail-closed ERROR): only live
				if !send(rec) {
					return
				}
			} else if !catchUp() {
				return
			}
		}
		fl.Flush()
	}
}
