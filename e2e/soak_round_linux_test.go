package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"markd/mark"
)

// round is one round of TestDaemonSoak's counter: everything once, in the
// order of a counter's hour, with the outages, unplugs and edits where the
// round number and the seed put them.
func (s *counterSoak) round(r int) {
	t := s.t
	t.Helper()
	// the collector's line: down for a round in three, back the next
	if r%3 == 1 {
		s.link.down()
		s.outages++
	} else if !s.link.isUp() {
		s.link.up()
	}
	if s.scanner.sc == nil {
		s.scanner.plug(t, s.d)
		s.waitFront(true)
	}
	op := s.loginAs("ivanova", "operator-pw-1")
	live := openSSE(t, op.hc, s.d.URL+"/operator/live", "", s.opLast)
	events := openSSE(t, http.DefaultClient, s.d.URL+"/events", "Bearer "+s.kassa.token, s.evLast)

	// the serial scanner: new marks, an underpaid one, one again, a URL
	for _, c := range []struct {
		text string
		want mark.Verdict
	}{{s.mark(false), mark.Accept}, {s.mark(false), mark.Accept}, {s.mark(true), mark.Reject},
		{s.again(), ""}, {"https://example.org/track/" + fmt.Sprint(r), mark.NotAMark}} {
		s.scanned("serial scan", s.scanner.sc.scan(t, c.text), c.want, c.text)
	}
	// stdin
	for _, c := range []struct {
		text string
		want mark.Verdict
	}{{s.mark(false), mark.Accept}, {s.mark(true), mark.Reject}, {s.again(), ""}} {
		s.scanned("stdin scan", s.stdinScan(c.text), c.want, c.text)
	}
	// the local API, and calls it refuses
	s.apiScan(s.mark(false), "", mark.Accept)
	s.apiScan(s.again(), "", "")
	s.apiRefused()
	// a batch, closed or cancelled
	s.batch(r)

	// the supervisor looks at the review and abandons an export
	sup := s.loginAs("boss", "supervisor-pw-1")
	if code, _ := sup.get("/review", "text/html"); code != http.StatusOK {
		t.Errorf("GET /review: %d", code)
	}
	s.abandonCSV(sup, "/review/export.csv")
	s.abandonCSV(sup, "/review/batches/export.csv")
	s.logout(sup)

	// the streams: the program's dropped mid-stream; the operator's
	// dropped by the client, or ended by the logout, turn about
	s.evLast, _ = events.lastID()
	events.drop()
	if r%2 == 0 {
		s.opLast, _ = live.lastID()
		live.drop()
		s.logout(op)
	} else {
		s.logout(op)
		select { // the daemon ends it with the session (a guard, not a speed check)
		case <-live.done:
		case <-time.After(30 * time.Second):
			t.Fatal("the operator's /operator/live still open 30 s after the logout")
		}
		s.opLast, _ = live.lastID()
	}
	s.drops += 2

	if r%2 == 1 {
		s.editConfig(r)
	}
	// a till's token added, streamed with and removed: the daemon ends
	// the stream (a round in three)
	if r%3 == 0 {
		s.tokenChurn(r)
	}
	// the scanner unplugged for a round in three
	if r%3 == 2 {
		s.scanner.unplug()
		s.unplugs++
		s.waitFront(false)
	}
}

// apiScan sends text to POST /api/scans (in batch when set).
func (s *counterSoak) apiScan(text, batch string, want mark.Verdict) {
	s.t.Helper()
	body := map[string]any{"text": text}
	if batch != "" {
		body["batch"] = batch
	}
	var v verdictLine
	if code := tokenCall(s.t, s.d.URL, s.kassa.token, "POST", "/api/scans", body, &v); code != http.StatusOK {
		s.t.Errorf("POST /api/scans: %d, want 200", code)
		return
	}
	s.scanned("API scan", v, want, text)
}

// apiRefused makes the calls the local API refuses: no token, an unknown
// one, a body that is not JSON, a blank text, an unknown batch.
func (s *counterSoak) apiRefused() {
	s.t.Helper()
	for _, c := range []struct {
		name, token, body string
		want              int
	}{
		{"no token", "", `{"text":"x"}`, http.StatusUnauthorized},
		{"unknown token", "markd_0000000000000000000000000000000000000000000", `{"text":"x"}`, http.StatusUnauthorized},
		{"not JSON", s.kassa.token, `{"text":`, http.StatusBadRequest},
		{"blank text", s.kassa.token, `{"text":"  "}`, http.StatusBadRequest},
	} {
		req, _ := http.NewRequest("POST", s.d.URL+"/api/scans", bytes.NewReader([]byte(c.body)))
		req.Header.Set("Content-Type", "application/json")
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			s.t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != c.want {
			s.t.Errorf("POST /api/scans, %s: %d, want %d", c.name, res.StatusCode, c.want)
		}
	}
	var v map[string]any
	if code := tokenCall(s.t, s.d.URL, s.kassa.token, "GET", "/api/batches/no-such-batch", nil, &v); code != http.StatusNotFound {
		s.t.Errorf("GET an unknown batch: %d, want 404", code)
	}
}

// batch opens a batch, scans two marks into it and closes it, or cancels
// it in a round in three.
func (s *counterSoak) batch(r int) {
	s.t.Helper()
	var b batchView
	if code := tokenCall(s.t, s.d.URL, s.kassa.token, "POST", "/api/batches", map[string]any{}, &b); code != http.StatusCreated {
		s.t.Errorf("POST /api/batches: %d, want 201", code)
		return
	}
	s.batches++
	s.apiScan(s.mark(false), b.ID, mark.Accept)
	s.apiScan(s.mark(true), b.ID, mark.Reject)
	end := "close"
	if r%3 == 0 {
		end = "cancel"
	}
	if code := tokenCall(s.t, s.d.URL, s.kassa.token, "POST", "/api/batches/"+b.ID+"/"+end, nil, nil); code != http.StatusOK {
		s.t.Errorf("POST /api/batches/%s/%s: %d, want 200", b.ID, end, code)
	}
}

// abandonCSV starts a CSV export in b and hangs up after its first bytes.
func (s *counterSoak) abandonCSV(b *browser, path string) {
	s.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.d.URL+path, nil)
	res, err := b.hc.Do(req)
	if err != nil {
		s.t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		s.t.Errorf("GET %s: %d, want 200", path, res.StatusCode)
		return
	}
	if _, err := io.ReadFull(res.Body, make([]byte, 16)); err != nil {
		s.t.Errorf("GET %s: %v", path, err)
	}
	s.csvs++
}

// tokenChurn adds a token with markd token add while the daemon runs,
// opens /events and makes a call with it, removes it with markd token
// remove and waits until the daemon ends the stream (docs/local-api.md:
// within a second of the removal; the guard is 30 s, not a speed check).
// That calls with it are refused once the token cache lets it go (5 s) is
// web's tests' to hold, not waited for here.
func (s *counterSoak) tokenChurn(r int) {
	s.t.Helper()
	name := fmt.Sprintf("till%d", r)
	till := tokenAdd(s.t, s.cfg, name)
	ev := openSSE(s.t, http.DefaultClient, s.d.URL+"/events", "Bearer "+till.token, "")
	var v map[string]any
	if code := tokenCall(s.t, s.d.URL, till.token, "GET", "/api/batches/current", nil, &v); code != http.StatusOK && code != http.StatusNotFound {
		s.t.Errorf("GET /api/batches/current with a new token: %d", code)
	}
	runCLI(s.t, "", "token", "remove", name, "--config", s.cfg)
	select {
	case <-ev.done:
	case <-time.After(30 * time.Second):
		s.t.Fatalf("the /events stream of removed token %s still open after 30 s", name)
	}
	s.tokens++
}
