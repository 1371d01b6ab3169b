package hubweb

import (
	"net/http"

	"markd/hub"
)

// questionedShown bounds each list of the questioned page, and
// questionedCounts its rows of offices and terminals.
const (
	questionedShown  = 500
	questionedCounts = 200
)

// questioned lists the questioned rejections (REJECTs whose signed mark
// the collector would have accepted: hub.Questions) with their counts per
// office and terminal, the open ones to review, the reviewed ones to open
// again.
func (s *Server) questioned(w http.ResponseWriter, r *http.Request, sess hub.WebSession) {
	counts, err := s.opt.Store.QuestionedCounts(r.Context(), questionedCounts)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	open, err := s.opt.Store.Questioned(r.Context(), hub.DisputeOpen, questionedShown)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	reviewed, err := s.opt.Store.Questioned(r.Context(), hub.DisputeReviewed, questionedShown)
	if err != nil {
		s.fail(w, r, sess, err)
		return
	}
	q := r.URL.Query()
	s.render(w, r, http.StatusOK, "questioned.html", &page{TitleRU: "Сомнительные отказы", TitleEN: "Questioned rejections",
		User: sess.User, CSRF: sess.CSRF,
		Data: map[string]any{"Counts": counts, "CountsShown": questionedCounts, "Open": open, "Reviewed": reviewed,
			"Shown": questionedShown, "Done": q.Get("reviewed"), "DoneState": q.Get("state")}})
}

// questionPost reviews a questioned rejection (a note saying what was
// found is required) or opens it again, as disputePost does a disputed
// acceptance.
func (s *Server) questionPost(w http.ResponseWriter, r *http.Request, sess hub.WebSession) {
	s.reviewPost(w, r, sess, "questioned rejection", "/questioned", "#questioned-h")
}
