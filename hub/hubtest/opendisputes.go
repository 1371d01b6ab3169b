package hubtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"markd/hub"
	"markd/mark"
)

// RunOpenDisputesSuite holds the collector's /healthz and the gauge
// markhub_records_disputed_open to the store's count of disputed
// acceptances no supervisor has reviewed (Stats.DisputedOpen), over real
// HTTP: none, some, one reviewed, and past hub.DisputedOpenCap (the
// count stops there, and /healthz says more are open). The newest
// bundle, read by the same query, is still reported.
func RunOpenDisputesSuite(t *testing.T, open Opener) {
	s := openWithTerminals(t, open, "office-a")
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	hubNow := t0.Add(24 * time.Hour)
	srv := httptest.NewServer(hub.NewServer(s, hub.ServerOptions{Registry: reg, Now: func() time.Time { return hubNow },
		HealthMaxAge: -1}).Handler()) // counts read right after each change, not reused
	t.Cleanup(srv.Close)
	check := func(t *testing.T, want int64, more bool, bundle uint64) {
		t.Helper()
		resp, err := http.Get(srv.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var h hub.Health
		if err := json.Unmarshal(raw, &h); err != nil || resp.StatusCode != 200 {
			t.Fatalf("/healthz: %d %s", resp.StatusCode, raw)
		}
		if h.DisputedOpen == nil || *h.DisputedOpen != want || h.DisputedOpenMore != more ||
			strings.Contains(string(raw), "disputed_open_more") != more {
			t.Fatalf("/healthz: %s; want disputed_open %d, more %v", raw, want, more)
		}
		if (bundle == 0) != (h.Bundle == nil) || bundle != 0 && (h.Bundle.Version != bundle || !h.Bundle.Created.Equal(t0)) {
			t.Fatalf("/healthz bundle: %s; want version %d of %v", raw, bundle, t0)
		}
		if v := metric(t, reg, "markhub_records_disputed_open"); v != float64(want) {
			t.Fatalf("markhub_records_disputed_open %v, want %d", v, want)
		}
	}
	// disputed is n ACCEPTs of office-a, disputed EXPIRED as Judge leaves
	// them, stored through the store's own write path.
	serial := uint64(5000)
	disputed := func(t *testing.T, prefix string, n int) {
		t.Helper()
		recs := make([]hub.Record, n)
		for i := range recs {
			serial++
			recs[i] = Rec(fmt.Sprintf("%s-%d", prefix, i), 426000, "1", mark.Accept, serial)
			recs[i].Disputed, recs[i].Why = []mark.Reason{mark.ReasonExpired}, "EXPIRED: test"
		}
		if r := ingest(t, s, "office-a", hub.UploadRequest{Records: recs}); r.Stored != n || r.Disputed != n {
			t.Fatalf("ingest: %+v", r)
		}
	}

	t.Run("none, no bundle", func(t *testing.T) { check(t, 0, false, 0) })
	Publish(t, s)
	t.Run("an acceptance held is not counted", func(t *testing.T) {
		ingest(t, s, "office-a", hub.UploadRequest{Records: []hub.Record{Rec("held", 426000, "1", mark.Accept, 4999)}})
		check(t, 0, false, 1)
	})
	t.Run("three open", func(t *testing.T) {
		disputed(t, "d", 3)
		check(t, 3, false, 1)
	})
	t.Run("one reviewed", func(t *testing.T) {
		rg, ok := s.(hub.Regional)
		if !ok {
			t.Skip("the backend has no regional pages")
		}
		if err := rg.SetDisputeState(ctx, "office-a", "d-1", hub.DisputeReviewed, "boss", "looked into", hubNow); err != nil {
			t.Fatal(err)
		}
		check(t, 2, false, 1)
		if st := stats(t, s); st.DisputedOpen != 2 {
			t.Fatalf("Stats.DisputedOpen %d, want 2 as /healthz", st.DisputedOpen)
		}
	})
	t.Run("up to the cap exactly", func(t *testing.T) {
		disputed(t, "e", hub.DisputedOpenCap-2)
		check(t, hub.DisputedOpenCap, false, 1)
	})
	t.Run("past the cap: the cap, and more", func(t *testing.T) {
		disputed(t, "f", 1)
		check(t, hub.DisputedOpenCap, true, 1)
	})
}
