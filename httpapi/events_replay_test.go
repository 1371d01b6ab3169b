package httpapi

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"markd/internal/eventreplay"
	"markd/internal/testdata"
	"markd/mark"
	"markd/pipeline"
	"markd/store"
	"markd/verify"
)

// sseEvent is one server-sent event as a client reads it.
type sseEvent struct{ kind, id, data string }

// sseStream is an open GET /events.
type sseStream struct {
	resp   *http.Response
	br     *bufio.Reader
	cancel context.CancelFunc
}

// openEvents opens /events with lastID in the Last-Event-ID header (or,
// byQuery, as ?last_event_id=) and waits for the stream's first comment:
// from then on the stream is subscribed and positioned.
func openEvents(t *testing.T, base, lastID string, byQuery bool) *sseStream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	u := base + "/events"
	if lastID != "" && byQuery {
		u += "?" + eventreplay.QueryParam + "=" + url.QueryEscape(lastID)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if lastID != "" && !byQuery {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		cancel()
		t.Fatalf("GET /events with %q: %d %s", lastID, resp.StatusCode, b)
	}
	s := &sseStream{resp: resp, br: bufio.NewReader(resp.Body), cancel: cancel}
	t.Cleanup(s.close)
	if line, err := s.br.ReadString('\n'); err != nil || !strings.HasPrefix(line, ":") {
		t.Fatalf("first line %q %v", line, err)
	}
	return s
}

func (s *sseStream) close() { s.cancel(); s.resp.Body.Close() }

// next returns the next event (keepalives skipped).
func (s *sseStream) next(t *testing.T) sseEvent {
	t.Helper()
	var ev sseEvent
	for {
		line, err := s.br.ReadString('\n')
		if err != nil {
			t.Fatalf("read event: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			if ev.kind != "" {
				return ev
			}
		case strings.HasPrefix(line, "event: "):
			ev.kind = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "id: "):
			ev.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "data: "):
			ev.data = strings.TrimPrefix(line, "data: ")
		}
	}
}

// verdictIDs reads n events, all verdicts, and returns their ids.
func (s *sseStream) verdictIDs(t *testing.T, n int) []string {
	t.Helper()
	var ids []string
	for len(ids) < n {
		ev := s.next(t)
		if ev.kind != "verdict" || ev.id == "" {
			t.Fatalf("after %d verdicts: event %+v", len(ids), ev)
		}
		ids = append(ids, ev.id)
	}
	return ids
}

// storedIDs is every stored scan's id in commit order.
func storedIDs(t *testing.T, db *store.DB) []string {
	t.Helper()
	recs, _, err := db.ScansAfter(context.Background(), 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	return ids
}

func process(t *testing.T, p *pipeline.Pipeline, texts ...string) {
	t.Helper()
	for _, tx := range texts {
		if rec := p.Process(context.Background(), mark.Scan{Text: tx, Source: "t"}); rec.ID == "" {
			t.Fatalf("scan %q not stored: %+v", tx, rec)
		}
	}
}

func notMarks(from, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("not a mark %d", from+i)
	}
	return out
}

// TestEventsReplayAfterGap: verdicts stored while no stream was open come
// first, exactly those and in order, when the client reconnects with the
// last id it got (header or query parameter); then the stream goes on live.
func TestEventsReplayAfterGap(t *testing.T) {
	for _, byQuery := range []bool{false, true} {
		t.Run(fmt.Sprintf("query=%v", byQuery), func(t *testing.T) {
			e := newEnv(t)
			s := openEvents(t, e.ts.URL, "", false)
			process(t, e.pipe, e.sign(1), "not a mark")
			last := s.verdictIDs(t, 2)[1]
			s.close()
			process(t, e.pipe, e.sign(1), e.sign(2), "hello again") // REUSED-like, ACCEPT, NOT_A_MARK
			s = openEvents(t, e.ts.URL, last, byQuery)
			got := s.verdictIDs(t, 3)
			want := storedIDs(t, e.db)[2:]
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("replayed %v, want %v", got, want)
			}
			process(t, e.pipe, "live one")
			if live := s.verdictIDs(t, 1)[0]; live != storedIDs(t, e.db)[5] {
				t.Fatalf("live event %s, want the sixth stored scan", live)
			}
		})
	}
}

// TestEventsBadLastEventID: an id the store does not have (garbage, a
// well-formed unknown one) or a gap longer than the replay keeps the
// stream open with one "reset" event (EventSource would only reconnect
// after a 400), then the stream is live.
func TestEventsBadLastEventID(t *testing.T) {
	e := newEnv(t)
	process(t, e.pipe, "first")
	first := storedIDs(t, e.db)[0]
	process(t, e.pipe, notMarks(0, eventreplay.Max+1)...)
	for _, id := range []string{"garbage\u00ff", "0190c0de-0000-7000-8000-000000000000", first} {
		t.Run(id, func(t *testing.T) {
			s := openEvents(t, e.ts.URL, id, false)
			if ev := s.next(t); ev.kind != "reset" {
				t.Fatalf("first event %+v, want reset", ev)
			}
			process(t, e.pipe, "after "+id)
			ids := storedIDs(t, e.db)
			if got := s.verdictIDs(t, 1)[0]; got != ids[len(ids)-1] {
				t.Fatalf("live %s, want the newest stored %s", got, ids[len(ids)-1])
			}
		})
	}
}

// TestEventsReconnectRace: scans saved from many goroutines while a client
// keeps dropping and reopening the stream with its last id: every stored
// scan reaches it exactly once, in commit order.
func TestEventsReconnectRace(t *testing.T) {
	e := newEnv(t)
	const writers, each = 6, 40
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range each {
				e.pipe.Process(context.Background(), mark.Scan{Text: fmt.Sprintf("race %d/%d", w, i), Source: "t"})
			}
		}()
	}
	var got []string
	last := ""
	s := openEvents(t, e.ts.URL, last, false)
	close(start)
	for n := 0; len(got) < writers*each; n++ {
		ev := s.next(t)
		if ev.kind != "verdict" {
			t.Fatalf("event %+v", ev)
		}
		got = append(got, ev.id)
		last = ev.id
		if n%7 == 3 { // drop the stream at odd moments
			s.close()
			s = openEvents(t, e.ts.URL, last, n%2 == 0)
		}
	}
	wg.Wait()
	want := storedIDs(t, e.db)
	if len(want) != writers*each {
		t.Fatalf("stored %d scans, want %d", len(want), writers*each)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		seen := map[string]int{}
		for _, id := range got {
			seen[id]++
		}
		for _, id := range want {
			if seen[id] != 1 {
				t.Errorf("scan %s sent %d times", id, seen[id])
			}
		}
		t.Fatalf("got %d events not in commit order (or not these)", len(got))
	}
}

// TestEventsReplayAcrossRestart: the ids stay valid when markd's server
// and store are opened again on the same file.
func TestEventsReplayAcrossRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "markd.db")
	serve := func() (*httptest.Server, *store.DB, *pipeline.Pipeline) {
		db, err := store.OpenWith(context.Background(), path, store.Options{Log: slog.New(slog.DiscardHandler), Now: testdata.Now})
		if err != nil {
			t.Fatal(err)
		}
		pipe := pipeline.New(pipeline.Options{Verifier: verify.NewHolder(testdata.Verifier(t)), Store: db, Office: 426000,
			Counter: "A", Location: time.UTC, RescanWindow: 10 * time.Minute, Now: testdata.Now})
		ts := httptest.NewServer(New(Options{Store: db, Feed: pipe, Location: time.UTC, Keepalive: 50 * time.Millisecond}).Handler())
		return ts, db, pipe
	}
	ts, db, pipe := serve()
	s := openEvents(t, ts.URL, "", false)
	process(t, pipe, "before 1", "before 2")
	last := s.verdictIDs(t, 2)[1]
	s.close()
	ts.Close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// Stored by the next run before the page comes back.
	ts, db, pipe = serve()
	t.Cleanup(func() { ts.Close(); db.Close() })
	process(t, pipe, "after 1", "after 2", "after 3")
	s = openEvents(t, ts.URL, last, false)
	got := s.verdictIDs(t, 3)
	if want := storedIDs(t, db)[2:]; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after the restart replayed %v, want %v", got, want)
	}
}
