package hub

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// MaxSerialsPage bounds one page of GET /v1/serials.
const MaxSerialsPage = 10000

// UsedSerial is a serial that counts as used at the collector, with the
// record that holds it.
type UsedSerial struct {
	Serial   uint64    `json:"serial"`
	RecordID string    `json:"record_id"`
	Terminal string    `json:"terminal"`
	Counter  string    `json:"counter"`
	At       time.Time `json:"at"`
}

// SerialsPage is the answer to GET /v1/serials: the serials the
// terminal's office accepted (first or after another office), above the cursor, in serial order. Next is the
// cursor of the next page; Done says there is none.
type SerialsPage struct {
	Office  uint32       `json:"office"`
	Serials []UsedSerial `json:"serials"`
	Next    uint64       `json:"next"`
	Done    bool         `json:"done"`
	// LastEventID is the highest review event id the terminal sent: a
	// counter on a new store (markd init) numbers its events above it, or
	// the collector would refuse them as ids used for other decisions.
	LastEventID int64 `json:"last_event_id"`
	// LastRecord is the terminal's newest record by scan time, on the
	// last page (Done) only, null when it has none: the store restored
	// notes it, so the comparison of the first upload of a run
	// (TerminalState) does not find it behind for the lost store's records.
	LastRecord *LastRecord `json:"last_record,omitempty"`
}

// serials answers GET /v1/serials?after=N&limit=M: what a counter of the
// terminal's office needs to rebuild its reuse history on a new store.
func (s *Server) serials(w http.ResponseWriter, r *http.Request) int {
	q := r.URL.Query()
	var after uint64
	limit := MaxSerialsPage
	if a := q.Get("after"); a != "" {
		var err error
		if after, err = strconv.ParseUint(a, 10, 64); err != nil {
			return s.fail(w, r, &FieldError{Field: "after", Why: fmt.Sprintf("%q is not a serial", a)})
		}
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxSerialsPage {
			return s.fail(w, r, &FieldError{Field: "limit", Why: fmt.Sprintf("%q is not a number from 1 to %d", l, MaxSerialsPage)})
		}
		limit = n
	}
	t := terminalOf(r.Context())
	if t.Office == 0 {
		return s.fail(w, r, checkOffices(t, &UploadRequest{}))
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.timeouts.Write)
	defer cancel()
	list, err := s.store.OfficeSerials(ctx, t.Office, after, limit+1)
	if err != nil {
		return s.fail(w, r, err)
	}
	last, err := s.store.LastEventID(ctx, t.Name)
	if err != nil {
		return s.fail(w, r, err)
	}
	page := SerialsPage{Office: t.Office, Serials: list, Next: after, Done: len(list) <= limit, LastEventID: last}
	if !page.Done {
		page.Serials = list[:limit]
	}
	if n := len(page.Serials); n > 0 {
		page.Next = page.Serials[n-1].Serial
	}
	if page.Serials == nil {
		page.Serials = []UsedSerial{}
	}
	if page.Done {
		id, at, err := s.store.LastRecord(ctx, t.Name)
		if err != nil {
			return s.fail(w, r, err)
		}
		if id != "" {
			page.LastRecord = &LastRecord{ID: id, At: at.UTC()}
		}
	}
	return s.writeJSON(w, http.StatusOK, page)
}

// SerialRanges are the ranges of the stores' serial column above after,
// in serial order, each [lo, hi] inclusive. A serial is 8 unsigned bytes
// (MARK-FORMAT §2) and both stores keep it as a signed 64-bit integer, so
// the serials of 2^63 and more are the negative ones and come after the
// others: OfficeSerials reads the ranges in turn. Before, "serial > after"
// left every serial of 2^63 or more out of a restored counter's reuse
// history.
func SerialRanges(after uint64) [][2]int64 {
	var out [][2]int64
	if after < math.MaxInt64 {
		out = append(out, [2]int64{int64(after) + 1, math.MaxInt64})
	}
	if after < math.MaxUint64 {
		lo := int64(math.MinInt64)
		if after >= 1<<63 {
			lo = int64(after + 1)
		}
		out = append(out, [2]int64{lo, -1})
	}
	return out
}

// InSerialOrder returns at most limit serials after after, in serial
// order: read gives the serials of one of SerialRanges' ranges, at most
// its limit, appended to out. Both stores' OfficeSerials page this way.
func InSerialOrder(after uint64, limit int, read func(out []UsedSerial, r [2]int64, limit int) ([]UsedSerial, error)) ([]UsedSerial, error) {
	var out []UsedSerial
	for _, r := range SerialRanges(after) {
		if len(out) >= limit {
			break
		}
		var err error
		if out, err = read(out, r, limit-len(out)); err != nil {
			return nil, err
		}
	}
	return out, nil
}
