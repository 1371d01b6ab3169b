// Package eventreplay makes the server-sent event streams of stored scans
// (the API's GET /events, the operator screen's /operator/live) lossless
// across a reconnection.
//
// Each scan event carries the scan's id as its event id. A browser's
// EventSource sends the last one back in the Last-Event-ID header when it
// reconnects (a page that opens a new EventSource passes it as the query
// parameter last_event_id). The stream then replays, from the store, the
// scans committed after that one, in commit order, before it goes on
// live; at most Max of them: beyond that, or for an id the store does not
// have (a bad value, a store restored from an older copy), it sends one
// "reset" event instead, which tells the page to load its list again.
//
// Live, a Cursor reads the store again each time the pipeline says a scan
// was decided (and on every keepalive or health event): it sends what was committed after
// the last scan it sent, so a scan committed between the replay and the
// subscription, or one the pipeline's feed dropped for a slow reader,
// appears once, and never twice. Subscribe to the feed first, then Start.
package eventreplay

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"markd/mark"
)

// Max is how many missed scans a stream replays at most; more, and it
// sends "reset" instead.
const Max = 200

// QueryParam is the query parameter that carries the last event id when
// the Last-Event-ID header does not (a new EventSource made by a page).
const QueryParam = "last_event_id"

// Store is the store's reads the cursor needs (store.DB).
type Store interface {
	ScanSeq(ctx context.Context, id string) (int64, error)
	LastScanSeq(ctx context.Context) (int64, error)
	ScansAfter(ctx context.Context, seq int64, limit int) ([]mark.Record, int64, error)
}

// Cursor is where a stream stands in the stored scans.
type Cursor struct {
	db  Store
	seq int64
	max int
	log *slog.Logger
}

// LastEventID returns the id a reconnecting client sent: the header, else
// the query parameter.
func LastEventID(r *http.Request) string {
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		return id
	}
	return r.URL.Query().Get(QueryParam)
}

// Start places a cursor after the scan lastID ("": after the newest, a new
// stream) and returns the scans to replay, and whether to send "reset"
// (lastID unknown to the store, or more than max scans missed; the cursor
// is then after the newest). A bad lastID is logged as a warning, never
// refused: the browser would only reconnect with it again. An error is
// the store's (wrapping mark.ErrUnavailable and the like).
func Start(ctx context.Context, db Store, lastID string, max int, log *slog.Logger) (*Cursor, []Event, bool, error) {
	if max <= 0 {
		max = Max
	}
	c := &Cursor{db: db, max: max, log: log}
	top := func() (*Cursor, []Event, bool, error) {
		seq, err := db.LastScanSeq(ctx)
		c.seq = seq
		return c, nil, lastID != "", err
	}
	if lastID == "" {
		return top()
	}
	seq, err := db.ScanSeq(ctx, lastID)
	if errors.Is(err, mark.ErrNotFound) {
		log.Warn("event stream: Last-Event-ID names no stored scan; the page is told to reload its list",
			"last_event_id", printable(lastID))
		return top()
	}
	if err != nil {
		return nil, nil, false, err
	}
	recs, last, err := db.ScansAfter(ctx, seq, max+1)
	if err != nil {
		return nil, nil, false, err
	}
	if len(recs) > max {
		log.Info("event stream: more scans missed than a reconnection replays; the page is told to reload its list",
			"last_event_id", lastID, "replay_max", max)
		return top()
	}
	c.seq = last
	out := make([]Event, len(recs))
	for i, r := range recs {
		out[i] = Event{Record: r, ID: r.ID}
	}
	return c, out, false, nil
}

// Event is one scan to send; ID is its event id ("" for a record that was
// not stored: there is nothing to come back to).
type Event struct {
	Record mark.Record
	ID     string
}

// Next returns the scans committed since the last one the cursor gave, in
// commit order.
func (c *Cursor) Next(ctx context.Context) ([]Event, error) {
	var out []Event
	for {
		recs, last, err := c.db.ScansAfter(ctx, c.seq, c.max)
		if err != nil {
			return out, err
		}
		c.seq = last
		for _, r := range recs {
			out = append(out, Event{Record: r, ID: r.ID})
		}
		if len(recs) < c.max {
			return out, nil
		}
	}
}

// Live is Next when the feed publishes rec. The pipeline publishes a
// stored scan after its commit, so Next has it (or sent it before); a
// record the store does not have (the fail-closed ERROR of a scan that
// could not be stored has no id) is sent as it is, without an event id.
func (c *Cursor) Live(ctx context.Context, rec mark.Record) ([]Event, error) {
	if rec.ID == "" {
		return []Event{{Record: rec}}, nil
	}
	out, err := c.Next(ctx)
	if err != nil {
		return out, err
	}
	for _, ev := range out {
		if ev.ID == rec.ID {
			return out, nil
		}
	}
	if _, err := c.db.ScanSeq(ctx, rec.ID); errors.Is(err, mark.ErrNotFound) {
		out = append(out, Event{Record: rec})
	} else if err != nil {
		return out, err
	}
	return out, nil
}

// printable cuts a client's value for the log: at most 80 bytes of valid
// UTF-8 (the header is the client's, not ours).
func printable(s string) string {
	if len(s) > 80 {
		s = s[:80]
	}
	return strings.ToValidUTF8(s, "?")
}

// Logged is evs, with err (a store read that failed) logged first: the
// stream goes on, and the next read starts again from the same place.
func (c *Cursor) Logged(evs []Event, err error) []Event {
	if err != nil && c.log != nil {
		c.log.Warn("event stream: read stored scans", "err", err)
	}
	return evs
}
