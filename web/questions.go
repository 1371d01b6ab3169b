package web

import (
	"context"
	"strings"

	"markd/store"
)

// The collector's questions on this counter's rejections (sync pulls
// them, store.CollectorQuestion): the rejected-marks list and a
// rejection's page mark a rejection the collector would have accepted,
// with the collector's reason, and the list filters to the open ones
// (questioned=1). The verdict stays as stored; the supervisor decides
// with the override, reading the region's reviewer's note of the
// question's last change (a closing's, or a reopening's) where the
// collector sent one.

// questionView is a collector's question as the pages show it.
type questionView struct {
	Why        string // the collector's words (English)
	Open       bool   // the region's reviewer has not closed it
	ReviewedAt string // local time it was closed; "" while open
	// By and Note are the region's reviewer's name and note of the last
	// change (sync neutralised them; the template escapes them); "" when
	// the collector sent none.
	By, Note string
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
	v := &questionView{Why: q.Why, Open: q.Open(), By: q.ReviewBy, Note: q.ReviewNote}
	if !q.Open() && !q.ReviewedAt.IsZero() {
		v.ReviewedAt = s.localTime(q.ReviewedAt)
	}
	return v
}

// listNoteRunes bounds the reviewer's note on the rejected-marks list
// (a note may be 2000 bytes): the rejection's page shows it whole.
const listNoteRunes = 200

// forList cuts the note for a row of the list, marked with an ellipsis.
func (v *questionView) forList() {
	n := 0
	for i := range v.Note {
		if n == listNoteRunes {
			v.Note = strings.TrimSpace(v.Note[:i]) + "…"
			return
		}
		n++
	}
}
