package sync

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	gosync "sync/atomic"
	"testing"
	"time"
	_ "time/tzdata" // the zones named here on any machine

	"markd/hub"
	"markd/hub/hubtest"
	"markd/hub/sqlitestore"
	"markd/internal/testdata"
	"markd/mark"
)

// olderMarkhub is how a zonedCollector answers while its older is set:
// as a markhub from before the record field field, whose strict decoding
// refuses a record carrying it with 400 (naming takes in X-Markhub-Takes,
// "" none), and whose other answers go through wrap.
type olderMarkhub struct {
	field string
	takes string
	wrap  func(http.ResponseWriter) http.ResponseWriter
}

// beforeAtOffset is a markhub from before at_offset: no X-Markhub-Takes
// header at all.
var beforeAtOffset = olderMarkhub{field: "at_offset",
	wrap: func(w http.ResponseWriter) http.ResponseWriter { return withoutHeader{w, hub.HeaderTakes} }}

// zonedHub is a real collector that knows office-a (426000) keeps its
// day in Asia/Yekaterinburg (UTC+5): its store, office zones and URL.
// While older is set it answers as old says; sent counts the requests
// whose records carried old.field.
type zonedHub struct {
	store hub.Store
	zones *hub.OfficeZones
	url   string
	field string
	older gosync.Bool
	sent  gosync.Int32
}

// zonedCollector starts a zonedHub answering as old from the start when
// older is set.
func zonedCollector(t *testing.T, old olderMarkhub, older bool) *zonedHub {
	t.Helper()
	z := &zonedHub{field: old.field}
	z.older.Store(older)
	st, err := sqlitestore.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.AddTerminal(context.Background(), hubtest.Terminal("office-a")); err != nil {
		t.Fatal(err)
	}
	hubtest.Publish(t, st)
	zones, err := hub.NewOfficeZones("", []hub.OfficeZoneConfig{{Zone: "Asia/Yekaterinburg", Offices: []string{"426"}}})
	if err != nil {
		t.Fatal(err)
	}
	h := hub.NewServer(st, hub.ServerOptions{Now: testdata.Now, Zones: zones}).Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		withField := bytes.Contains(body, []byte(`"`+old.field+`"`))
		if withField {
			z.sent.Add(1)
		}
		if !z.older.Load() {
			h.ServeHTTP(w, r)
			return
		}
		if withField { // that version's strict decoding
			w.Header().Set("Content-Type", "application/json")
			if old.takes != "" {
				w.Header().Set(hub.HeaderTakes, old.takes)
			}
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"code":"invalid","error":"unknown field \"` + old.field + `\"","field":"records[0]"}`))
			return
		}
		h.ServeHTTP(old.wrap(w), r)
	}))
	t.Cleanup(srv.Close)
	z.store, z.zones, z.url = st, zones, srv.URL
	return z
}

// uploadAcross uploads with opts to z two accepts of office-a scanned on
// 2026-11-24: serial 801 at 09:00 UTC (noon in Moscow, 14:00 in
// Yekaterinburg: no date near midnight) as the first request of the run,
// which carries no z.field; then, z.older set to olderAfter, 802 a minute
// later in three rounds. Both must be taken at z, none set aside. It
// returns whether any request carried z.field.
func (z *zonedHub) uploadAcross(t *testing.T, opts UploaderOptions, olderAfter bool) bool {
	t.Helper()
	ctx := context.Background()
	db := openCounter(t)
	u := NewUploader(db, newClient(t, z.url, "office-a"), opts, quiet, nil)
	office := hubtest.Offices["office-a"]
	noon := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	addScan(t, db, "1", office, mark.Accept, 801, noon)
	if _, _, err := u.Once(ctx, true); err != nil { // the first request of the run: without the field
		t.Fatal(err)
	}
	if n := z.sent.Load(); n != 0 {
		t.Fatalf("%d first requests with %s, before any answer named it", n, z.field)
	}
	z.older.Store(olderAfter)
	addScan(t, db, "1", office, mark.Accept, 802, noon.Add(time.Minute))
	for range 3 {
		if _, _, err := u.Once(ctx, true); err != nil {
			t.Fatal(err)
		}
	}
	if p := pending(t, db); p != 0 {
		t.Fatalf("%d records still pending", p)
	}
	if got := stats(t, z.store).Records; got != 2 {
		t.Fatalf("%d records at the collector, want 2", got)
	}
	if p := u.Progress(); p.SetAside != 0 {
		t.Fatalf("%d records set aside", p.SetAside)
	}
	return z.sent.Load() > 0
}

// TestUploadAtOffset: once an answer named it, a counter sends with each
// record the UTC offset its tz gives at the scan time, and the collector
// notes on the terminal whether that is the office zone's: a counter on
// UTC+3 for a UTC+5 office is noted differs from a scan at noon, one on
// UTC+5 agrees; a counter without a tz (nil Location), and every first
// request of a run, send none and are judged as before. To a collector
// that does not take it (an older one, or one rolled back after taking
// it) the records go without it: taken, none set aside.
func TestUploadAtOffset(t *testing.T) {
	ctx := context.Background()
	load := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	moscow, eka := load("Europe/Moscow"), load("Asia/Yekaterinburg")
	for _, tc := range []struct {
		name       string
		loc        *time.Location
		older      bool // the collector is older from the start
		rollBack   bool // rolled back after its first answer
		want       hub.ZoneCheck
		offset     int
		sentOffset bool
	}{
		{"a counter on UTC+3", moscow, false, false, hub.ZoneDiffers, 3 * 3600, true},
		{"a counter on UTC+5", eka, false, false, hub.ZoneAgrees, 5 * 3600, true},
		{"a counter without a tz", nil, false, false, hub.ZoneUnchecked, 0, false},
		{"an older collector", moscow, true, false, hub.ZoneUnchecked, 0, false},
		{"a collector rolled back", moscow, false, true, hub.ZoneUnchecked, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			zc := zonedCollector(t, beforeAtOffset, tc.older)
			if got := zc.uploadAcross(t, UploaderOptions{BatchSize: 10, Location: tc.loc}, tc.older || tc.rollBack); got != tc.sentOffset {
				t.Fatalf("at_offset sent: %v, want %v", got, tc.sentOffset)
			}
			tm, err := zc.store.Terminal(ctx, "office-a")
			if err != nil {
				t.Fatal(err)
			}
			if z := tm.Zone; z.Check != tc.want || (tc.want != hub.ZoneUnchecked && (z.Offset != tc.offset || z.Expected != 5*3600)) {
				t.Fatalf("zone note %+v, want %q at offset %d", z, tc.want, tc.offset)
			}
		})
	}
}
