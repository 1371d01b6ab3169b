package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"markd/config"
	"markd/internal/service"
	"markd/internal/testdata"
	"markd/mark"
	"markd/store"
)

// testNow is the test clock.
var testNow = testdata.Now()

// testConfig is a daemon config over the shared test lists, a store in a
// temporary folder and port :0.
func testConfig(t *testing.T) config.Config {
	t.Helper()
	td := testdata.Dir(t)
	db := filepath.Join(t.TempDir(), "markd.db")
	// The store of a counter in service (it has its reuse history); a
	// store made by markd init (store.Create) would first restore it.
	s, err := store.Open(t.Context(), db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	return config.Config{Office: 426000, Counter: "A", TZ: "Europe/Samara",
		Keyring: filepath.Join(td, "keyring.yaml"), Tariffs: filepath.Join(td, "tariffs.yaml"),
		DB: db, RescanWindow: 10 * time.Minute,
		HTTP: config.HTTPConfig{Listen: "127.0.0.1:0"}}
}

// running is a daemon started in-process by start.
type running struct {
	*Main
	recs chan mark.Record
	stop func() error // cancels Run and returns its error
}

// start opens and runs a daemon; the test's cleanup stops it.
func start(t *testing.T, o Options) *running {
	t.Helper()
	if o.Now == nil {
		o.Now = func() time.Time { return testNow }
	}
	if o.Stderr == nil {
		o.Stderr = testLog{t}
	}
	r := &running{recs: make(chan mark.Record, 1024)}
	o.OnRecord = func(rec mark.Record) { r.recs <- rec }
	m, err := Open(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	r.Main = m
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- m.Run(ctx) }()
	var once sync.Once
	var runErr error
	r.stop = func() error {
		once.Do(func() {
			cancel()
			runErr = <-errc
			if err := m.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
		return runErr
	}
	t.Cleanup(func() { r.stop() })
	return r
}

// next returns the next verdict, failing after a generous deadline (a hung
// daemon, not a speed check).
func (r *running) next(t *testing.T) mark.Record {
	t.Helper()
	select {
	case rec := <-r.recs:
		return rec
	case <-time.After(30 * time.Second):
		t.Fatal("no verdict from the daemon")
	}
	return mark.Record{}
}

type testLog struct{ t *testing.T }

func (w testLog) Write(b []byte) (int, error) {
	w.t.Logf("%s", strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// signed returns a valid mark of serial s for the test clock's day.
func signed(t *testing.T, s uint64) string {
	t.Helper()
	m := testdata.ValidMark(s, mark.DayOf(testNow))
	m.Contract = 5
	return testdata.Signer(t)(m)
}

// flakySource fails after start: its first Serve emits one scan and
// returns an error, the second emits one and panics, the third emits one
// and waits for the end.
type flakySource struct {
	texts []string
	runs  atomic.Int32
}

func (s *flakySource) Name() string { return "flaky" }
func (s *flakySource) Health() mark.SourceHealth {
	return mark.SourceHealth{Name: "flaky", Kind: "test", Up: true}
}

func (s *flakySource) Serve(ctx context.Context, emit func(mark.Scan)) error {
	n := s.runs.Add(1)
	emit(mark.Scan{Text: s.texts[n-1]})
	switch n {
	case 1:
		return errors.New("device went away")
	case 2:
		panic("decoder bug")
	}
	<-ctx.Done()
	return nil
}

// TestSourceRestarted: a source that returns an error or panics after
// start is served again, and its scans keep being judged and stored.
func TestSourceRestarted(t *testing.T) {
	src := &flakySource{texts: []string{signed(t, 9101), signed(t, 9102), signed(t, 9101)}}
	r := start(t, Options{Config: testConfig(t), Sources: []mark.Source{src},
		Supervisor: service.Options{MinBackoff: time.Millisecond}})
	want := []mark.Verdict{mark.Accept, mark.Accept, mark.DuplicateScan}
	for i, w := range want {
		if rec := r.next(t); rec.Verdict != w || rec.ID == "" {
			t.Errorf("scan %d: %s (id %q), want %s", i, rec.Verdict, rec.ID, w)
		}
	}
	if n := src.runs.Load(); n != 3 {
		t.Errorf("source served %d times, want 3", n)
	}
	if err := r.stop(); err != nil {
		t.Errorf("Run: %v", err)
	}
}

// badSource fails with a configuration error.
type badSource struct{ flakySource }

func (s *badSource) Serve(ctx context.Context, emit func(mark.Scan)) error {
	return fmt.Errorf("config sources[0].port: no such device class: %w", mark.ErrInvalid)
}

// TestConfigErrorStops: a configuration error of a service ends Run with
// that error instead of a restart loop.
func TestConfigErrorStops(t *testing.T) {
	o := Options{Config: testConfig(t), Sources: []mark.Source{&badSource{}}, Now: func() time.Time { return testNow }, Stderr: testLog{t}}
	m, err := Open(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	done := make(chan error, 1)
	go func() { done <- m.Run(t.Context()) }()
	select {
	case err := <-done:
		if !errors.Is(err, mark.ErrInvalid) {
			t.Errorf("Run = %v, want a configuration error", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not stop on a configuration error")
	}
}

// TestOpenConfigErrors: bad configuration is refused before anything runs.
func TestOpenConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		edit       func(*config.Config)
	}{
		{"no office", "office = 0: required", func(c *config.Config) { c.Office = 0 }},
		{"bad zone", "", func(c *config.Config) { c.TZ = "Mars/Olympus" }},
		{"open listen", "not a loopback", func(c *config.Config) { c.HTTP.Listen = "0.0.0.0:0" }},
		{"missing keyring", "keyring", func(c *config.Config) { c.Keyring = filepath.Join(t.TempDir(), "none.yaml") }},
		{"unknown source", "sources[0].kind", func(c *config.Config) { c.Sources = []config.Source{{Kind: "telepathy"}} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig(t)
			tc.edit(&c)
			m, err := Open(t.Context(), Options{Config: c, Stderr: io.Discard})
			if err == nil {
				m.Close()
				t.Fatal("opened")
			}
			var u interface{ IsUsage() bool }
			if !errors.As(err, &u) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want a usage error containing %q", err, tc.want)
			}
		})
	}
}

// TestHTTPServed: the API answers on the port chosen for :0 and stops with Run.
func TestHTTPServed(t *testing.T) {
	r := start(t, Options{Config: testConfig(t), Stdin: strings.NewReader("")})
	resp, err := http.Get(r.HTTP.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %s", resp.Status)
	}
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(r.HTTP.URL() + "/healthz"); err == nil {
		t.Error("still served after Run returned")
	}
}
