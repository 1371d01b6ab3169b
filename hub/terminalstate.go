package hub

import (
	"context"
	"net/http"
	"time"
)

// HeaderTerminalState is the request header with which a counter asks,
// in an upload, what the collector holds from its terminal (the answer's
// "terminal"): a counter whose store was put back from a copy finds so
// that it is behind. A header, so an older collector ignores it (and
// answers without "terminal"), and an older counter, which never sends
// it, costs the collector nothing.
const HeaderTerminalState = "X-Terminal-State"

// TerminalState is what the collector holds from one terminal: its newest
// record by scan time and the highest review event id it sent.
type TerminalState struct {
	LastRecord  *LastRecord `json:"last_record"` // nil: no record yet
	LastEventID int64       `json:"last_event_id"`
}

// LastRecord names a terminal's newest record at the collector.
type LastRecord struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
}

// terminalState reads the terminal's state when the request asks for it
// (HeaderTerminalState), else nil.
func (s *Server) terminalState(ctx context.Context, r *http.Request, terminal string) (*TerminalState, error) {
	if r.Header.Get(HeaderTerminalState) == "" {
		return nil, nil
	}
	var st TerminalState
	id, at, err := s.store.LastRecord(ctx, terminal)
	if err != nil {
		return nil, err
	}
	if id != "" {
		st.LastRecord = &LastRecord{ID: id, At: at.UTC()}
	}
	if st.LastEventID, err = s.store.LastEventID(ctx, terminal); err != nil {
		return nil, err
	}
	return &st, nil
}
