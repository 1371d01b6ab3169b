package web

import (
	"context"

	"markd/store"
)

// The collector's questions on this counter's rejections (sync pulls
// them, store.CollectorQuestion): the rejected-marks list and a
// rejection's page mark a rejection the collector would have accepted,
// with the collector's reason, and the list filters to the open ones
// (questioned=1). The verdict stays as stored; the supervisor decides
// with the override.

// questionView is a collector's question as the pages show it.
type questionView struct {
	Why        string // the collector's words (English)
	Open       bool   // the region's reviewer has not closed it
	ReviewedAt string // local time it was closed; "" while open
}

// reviewRow is a row of the rejected-marks list.
type reviewRow struct {
	recordView
	Question *questionView
}

// questionsOf reads the collector's questions on the records ids. A
// failure leaves the marks off (logged): the list itself still shows.
func (s *Server) questionsOf(ctx context.Context, ids []string) map[string]*questionView {
	qs, err := s.opt.Store.QuestionsFor(ctx, ids)
	if err != nil {
		s.log.Warn("the collector's questions not shown on the rejected marks", "err", err)
		return nil
	}
	out := make(map[string]*questionView, len(qs))
	for id, q := range qs {
		out[id] = s.questionView(q)
	}
	return out
}

func (s *Server) questionView(q store.CollectorQuestion) *questionView {
	v := &questionView{Why: q.Why, Open: q.Open()}
	if !q.Open() && !q.ReviewedAt.IsZero() {
		v.ReviewedAt = s.localTime(q.ReviewedAt)
	}
	return v
}
