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

// zonedCollector is a real collector that knows office-a (426000) keeps
// its day in Asia/Yekaterinburg (UTC+5). While older is set it answers as
// old says. sent counts the requests whose records carried old.field. It
// returns the store, the office zones and the collector's URL.
func zonedCollector(t *testing.T, old olderMarkhub, older *gosync.Bool, sent *gosync.Int32) (hub.Store, *hub.OfficeZones, string) {
	t.Helper()
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
			sent.Add(1)
		}
		if !older.Load() {
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
	return st, zones, srv.URL
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
			var older gosync.Bool
			var sent gosync.Int32
			older.Store(tc.older)
			st, _, url := zonedCollector(t, beforeAtOffset, &older, &sent)
			db := openCounter(t)
			u := NewUploader(db, newClient(t, url, "office-a"), UploaderOptions{BatchSize: 10, Location: tc.loc}, quiet, nil)
			office := hubtest.Offices["office-a"]
			// noon in Moscow, 14:00 in Yekaterinburg: no date near midnight
			noon := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
			addScan(t, db, "1", office, mark.Accept, 801, noon)
			if _, _, err := u.Once(ctx, true); err != nil { // the first request of the run: without the offset
				t.Fatal(err)
			}
			if n := sent.Load(); n != 0 {
				t.Fatalf("%d first requests with at_offset, before any answer named it", n)
			}
			older.Store(tc.older || tc.rollBack)
			addScan(t, db, "1", office, mark.Accept, 802, noon.Add(time.Minute))
			for range 3 {
				if _, _, err := u.Once(ctx, true); err != nil {
					t.Fatal(err)
				}
			}
			if p := pending(t, db); p != 0 {
				t.Fatalf("%d records still pending", p)
			}
			if got := stats(t, st).Records; got != 2 {
				t.Fatalf("%d records at the collector, want 2", got)
			}
			if p := u.Progress(); p.SetAside != 0 {
				t.Fatalf("%d records set aside", p.SetAside)
			}
			if got := sent.Load() > 0; got != tc.sentOffset {
				t.Fatalf("at_offset sent: %v, want %v", got, tc.sentOffset)
			}
			tm, err := st.Terminal(ctx, "office-a")
			if err != nil {
				t.Fatal(err)
			}
			if z := tm.Zone; z.Check != tc.want || (tc.want != hub.ZoneUnchecked && (z.Offset != tc.offset || z.Expected != 5*3600)) {
				t.Fatalf("zone note %+v, want %q at offset %d", z, tc.want, tc.offset)
			}
		})
	}
}
