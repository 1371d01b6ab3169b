package daemon

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/config"
	"markd/hub"
	"markd/hub/sqlitestore"
	"markd/internal/testdata"
	"markd/mark"
	msync "markd/sync"
)

// TestClockWrongAndHealth runs the daemon in-process with its clock ten
// minutes ahead of a collector's (real HTTP on loopback, SQLite): the
// daemon measures the skew from the first answer, turns the acceptance of
// a valid mark into ERROR "clock wrong", shows the clock on the operator
// lights and in /healthz (with the upload backlog), while
// /healthz/ready and /healthz/live answer without a login; the record
// still reaches the collector once.
func TestClockWrongAndHealth(t *testing.T) {
	start0 := time.Now()
	hubNow := func() time.Time { return testNow.Add(time.Since(start0)) }
	st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.AddTerminal(context.Background(), hub.Terminal{Name: "a", Office: 426000, TokenHash: hub.HashToken("tok-a")}); err != nil {
		t.Fatal(err)
	}
	plausible := hub.DefaultPlausibility()
	plausible.Ahead = time.Hour // store the records stamped ahead, to count them
	api := hub.NewServer(st, hub.ServerOptions{Now: hubNow, Plausible: &plausible})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)

	c := testConfig(t)
	c.Sync = config.SyncConfig{URL: srv.URL, Token: "tok-a", BatchSize: 100, BatchAge: 10 * time.Millisecond,
		Interval: 100 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, ClockLimit: 5 * time.Minute}
	in, feed := io.Pipe()
	t.Cleanup(func() { feed.Close() })
	r := start(t, Options{Config: c, Stdin: in, Now: func() time.Time { return hubNow().Add(10 * time.Minute) }})

	testdata.Wait(t, 30*time.Second, "clock measured", func() bool { return r.Sync.Clock.Wrong() })
	if _, err := io.WriteString(feed, signed(t, 4711)+"\n"); err != nil {
		t.Fatal(err)
	}
	rec := r.next(t)
	if rec.Verdict != mark.Error || rec.Message != msync.ClockMessage {
		t.Fatalf("verdict %s %q, want ERROR %q", rec.Verdict, rec.Message, msync.ClockMessage)
	}
	var lightFound bool
	for _, h := range r.screenHealth() {
		lightFound = lightFound || (!h.Up && strings.Contains(h.Name, "call the engineer"))
	}
	if !lightFound {
		t.Fatalf("no clock light on the operator screen: %+v", r.screenHealth())
	}

	get := func(path string) (int, string) {
		resp, err := http.Get(r.HTTP.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for path, want := range map[string]string{"/healthz/ready": "ready", "/healthz/live": "live"} {
		if code, body := get(path); code != 200 || !strings.Contains(body, want) {
			t.Fatalf("%s: %d %q", path, code, body)
		}
	}
	testdata.Wait(t, 30*time.Second, "record uploaded", func() bool { s, _ := st.Stats(context.Background()); return s.Records == 1 })
	var h struct {
		OK    bool                `json:"ok"`
		Sync  msync.UploadStatus  `json:"sync"`
		Clock msync.ClockStatus   `json:"clock"`
		Store struct{ OK bool }   `json:"store"`
		Src   []mark.SourceHealth `json:"sources"`
	}
	testdata.Wait(t, 30*time.Second, "backlog 0 in /healthz", func() bool {
		code, body := get("/healthz")
		if code != 200 || json.Unmarshal([]byte(body), &h) != nil {
			t.Fatalf("/healthz: %d %s", code, body)
		}
		return h.Sync.BacklogRecords == 0 && h.Sync.LastSuccess != nil
	})
	if !h.OK || !h.Store.OK || !h.Clock.Wrong || h.Clock.SkewSeconds < 598 || h.Clock.SkewSeconds > 602 || !h.Sync.OK {
		t.Fatalf("/healthz: %+v", h)
	}
}
