package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"markd/httpapi"
	"markd/mark"
	"markd/store"
)

// lastBatchView is the counter's last closed batch as the operator
// screen's batch panel offers it: its receipt's links (printable, PDF).
type lastBatchView struct {
	ID       string `json:"id"`
	Contract uint32 `json:"contract"`
	Closed   string `json:"closed"` // in the office's time, for people
	Receipt  string `json:"receipt"`
	PDF      string `json:"pdf"`
}

// operatorLastBatch answers the batch panel after a reload (or a close
// by the cash desk) with the counter's newest batch when it is closed,
// so that its receipt can be printed again from the screen as right
// after closing. Once the next batch opened (by the operator, the desk,
// or by itself with batch.auto) the newest batch is that one, and there
// is nothing to offer: the previous customer's receipt is never a link
// beside a new batch. An operator gets only a batch they may print
// (httpapi.OperatorBatch: this counter's, closed today), as the receipt
// routes check again.
func (s *Server) operatorLastBatch(w http.ResponseWriter, r *http.Request, sess session) {
	if s.opt.Batches == nil {
		s.fail(w, r, fmt.Errorf("batches are not served here: %w", mark.ErrUnavailable))
		return
	}
	counter := s.opt.Batches.Counter()
	list, err := s.opt.Store.ListBatches(r.Context(), store.BatchFilter{Counter: counter, Limit: 1})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(list) == 0 || list[0].State != mark.BatchClosed {
		what := "no batch yet"
		if len(list) > 0 {
			what = "the newest batch " + list[0].ID + " is " + string(list[0].State)
		}
		s.fail(w, r, fmt.Errorf("counter %s: no closed batch to print again (%s): %w", counter, what, mark.ErrNotFound))
		return
	}
	b := list[0]
	if sess.Role != store.RoleSupervisor {
		start, end := mark.DayBounds(s.opt.Now(), s.opt.Location)
		if err := httpapi.OperatorBatch(b, counter, start, end); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	id := url.PathEscape(b.ID)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(lastBatchView{ID: b.ID, Contract: b.Contract, Closed: s.localTime(b.Closed),
		Receipt: "/batches/" + id + "/receipt", PDF: "/api/batches/" + id + "/receipt.pdf"})
}
