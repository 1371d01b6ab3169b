package web

import (
	"context"
	"sync"
)

// batchWatch follows the audit log for the batch actions of other
// processes (markd batch expect, run by the engineer while the daemon
// serves the screen): Server.batchWrites counts only the requests these
// pages pass on. Every live stream asks it at its heartbeat; the reads
// are shared and cheap (store.DB.BatchLog).
type batchWatch struct {
	mu      sync.Mutex
	started bool
	seen    int64 // the newest audit id read
	last    int64 // the newest batch action's audit id since the start (0: none)
}

// batchLog is the id of the newest audit line of a batch action written
// since the server started (0: none yet), for the health events: the
// batch panel reads its batch again when it changes. A store that cannot
// be read keeps the value of before (the panel still follows its scans).
func (s *Server) batchLog(ctx context.Context) int64 {
	w := &s.batchWatch
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.started {
		// The lines before the start are what the page loads anyway.
		_, upto, err := s.opt.Store.BatchLog(ctx, 1<<62)
		if err != nil {
			s.log.Warn("batch panel: audit log not read; the panel learns of lists loaded elsewhere at the next scan", "err", err)
			return 0
		}
		w.started, w.seen = true, upto
		return 0
	}
	last, upto, err := s.opt.Store.BatchLog(ctx, w.seen)
	if err != nil {
		s.log.Warn("batch panel: audit log not read; the panel learns of lists loaded elsewhere at the next scan", "err", err)
		return w.last
	}
	w.seen = upto
	if last != 0 {
		w.last = last
	}
	return w.last
}
