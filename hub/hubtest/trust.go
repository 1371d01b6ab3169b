package hubtest

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"markd/bundle"
	"markd/hub"
	"markd/issuer"
	"markd/mark"
)

// RunTrustSuite holds the API to trusting no terminal: a terminal uploads
// only for its own office, a mark that does not verify at the collector
// claims no serial, and record ids are the terminal's own.
func RunTrustSuite(t *testing.T, open Opener) {
	s := openWithTerminals(t, open, "office-a", "office-b")
	ctx := context.Background()
	if err := s.AddTerminal(ctx, hub.Terminal{Name: "no-office", TokenHash: hub.HashToken("tok-no-office"), Created: t0}); err != nil {
		t.Fatal(err)
	}
	dist := Publish(t, s)
	// The collector's clock is the suite's day after t0, not the machine's:
	// on a machine whose clock is before the records' day (2026-11-24) the
	// upload was refused as "the counter's clock is wrong".
	hubNow := t0.Add(24 * time.Hour)
	srv := httptest.NewServer(hub.NewServer(s, hub.ServerOptions{Registry: prometheus.NewRegistry(), Now: func() time.Time { return hubNow }}).Handler())
	t.Cleanup(srv.Close)

	upload := func(t *testing.T, term string, recs ...hub.Record) (int, hub.UploadResponse, hub.ErrorResponse) {
		t.Helper()
		body, _ := json.Marshal(hub.UploadRequest{Records: recs})
		code, _, raw := postUpload(t, srv.URL, term, body)
		var ok hub.UploadResponse
		var bad hub.ErrorResponse
		var err error
		if code == 200 {
			err = json.Unmarshal(raw, &ok)
		} else {
			err = json.Unmarshal(raw, &bad)
		}
		if err != nil {
			t.Fatalf("answer %d not JSON: %q", code, raw)
		}
		return code, ok, bad
	}
	record := func(t *testing.T, term, id string) hub.StoredRecord {
		t.Helper()
		r, err := s.Record(ctx, term, id)
		if err != nil {
			t.Fatalf("record %s/%s: %v", term, id, err)
		}
		return r
	}
	// alertsAfter: office-b accepts serial for real; it must not be told of
	// a reuse when office-a's claim was not verified.
	noAlertFor := func(t *testing.T, id string, serial uint64) {
		t.Helper()
		code, resp, e := upload(t, "office-b", Rec(id, 101000, "4", mark.Accept, serial))
		if code != 200 || len(resp.Alerts) != 0 {
			t.Fatalf("real acceptance of %d: %d %+v %s", serial, code, resp.Alerts, e.Error)
		}
	}

	t.Run("record for another office refused", func(t *testing.T) {
		code, _, e := upload(t, "office-a", Rec("o-1", 426000, "1", mark.Accept, 600), Rec("o-2", 101000, "1", mark.Accept, 601))
		if code != 400 || e.Field != "records[1].office" || !strings.Contains(e.Error, "101000") || !strings.Contains(e.Error, "426000") {
			t.Fatalf("%d %+v", code, e)
		}
		if _, err := s.Record(ctx, "office-a", "o-1"); err == nil {
			t.Fatal("a refused request stored a record")
		}
	})
	t.Run("terminal without office refused", func(t *testing.T) {
		code, _, e := upload(t, "no-office", Rec("n-1", 426000, "1", mark.Accept, 602))
		if code != 403 || !strings.Contains(e.Hint, "markhub terminal set no-office --office") {
			t.Fatalf("%d %+v", code, e)
		}
	})
	t.Run("made-up text claims no serial", func(t *testing.T) {
		r := Rec("f-1", 426000, "1", mark.Accept, 700)
		r.Text = "EPM1:FAKE"
		code, resp, e := upload(t, "office-a", r)
		if code != 200 || resp.Stored != 1 || resp.Unverified != 1 {
			t.Fatalf("%d %+v %s", code, resp, e.Error)
		}
		if got := record(t, "office-a", "f-1"); got.Verification != hub.Unverified || got.Why == "" {
			t.Fatalf("stored as %q (%s)", got.Verification, got.Why)
		}
		noAlertFor(t, "b-700", 700)
	})
	t.Run("fields other than the text's claim no serial", func(t *testing.T) {
		r := Rec("f-2", 426000, "1", mark.Accept, 701)
		r.Mark.Serial = 702 // the text says 701
		code, resp, _ := upload(t, "office-a", r)
		if code != 200 || resp.Unverified != 1 {
			t.Fatalf("%d %+v", code, resp)
		}
		if got := record(t, "office-a", "f-2"); got.Verification != hub.Unverified || !strings.Contains(got.Why, "serial") {
			t.Fatalf("stored as %q (%s)", got.Verification, got.Why)
		}
		noAlertFor(t, "b-702", 702)
	})
	t.Run("verified marks claim their serial", func(t *testing.T) {
		code, resp, _ := upload(t, "office-a", Rec("v-1", 426000, "1", mark.Accept, 703))
		if code != 200 || resp.Unverified != 0 || record(t, "office-a", "v-1").Verification != hub.Verified {
			t.Fatalf("%d %+v", code, resp)
		}
		_, resp, _ = upload(t, "office-b", Rec("b-703", 101000, "4", mark.Accept, 703))
		if len(resp.Alerts) != 1 || resp.Alerts[0].Other.RecordID != "v-1" {
			t.Fatalf("reuse of a verified serial: %+v", resp.Alerts)
		}
	})
	t.Run("a key published after start is in force at once; older keyrings stay", func(t *testing.T) {
		k2, err := issuer.Generate("ed25519", 2, 9000, 12000)
		if err != nil {
			t.Fatal(err)
		}
		publish(t, s, dist, 2, k2)
		m := TestMark(720, 426000)
		m.KeyID = 2
		text, err := k2.Sign(m)
		if err != nil {
			t.Fatal(err)
		}
		r := Rec("k-2", 426000, "1", mark.Accept, 720)
		f := m.Fields()
		r.Text, r.Mark = text, &f
		old := Rec("k-1", 426000, "1", mark.Accept, 721) // key 1: only in bundle 1
		if code, resp, e := upload(t, "office-a", r, old); code != 200 || resp.Unverified != 0 {
			t.Fatalf("%d %+v %s", code, resp, e.Error)
		}
	})
	t.Run("record ids are per terminal", func(t *testing.T) {
		if code, resp, _ := upload(t, "office-a", Rec("same-1", 426000, "1", mark.Accept, 710)); code != 200 || resp.Stored != 1 {
			t.Fatalf("a: %d %+v", code, resp)
		}
		if code, resp, _ := upload(t, "office-b", Rec("same-1", 101000, "1", mark.Accept, 711)); code != 200 || resp.Stored != 1 {
			t.Fatalf("b's record dropped because a used its id first: %d %+v", code, resp)
		}
		if a, b := record(t, "office-a", "same-1"), record(t, "office-b", "same-1"); a.Mark.Serial != 710 || b.Mark.Serial != 711 {
			t.Fatalf("a %+v b %+v", a.Mark, b.Mark)
		}
	})
	t.Run("same id, other content: 409", func(t *testing.T) {
		again := Rec("same-1", 426000, "1", mark.Accept, 710)
		again.Review = mark.ReviewConfirmed // a review decision since: still the same record
		if code, resp, e := upload(t, "office-a", again); code != 200 || resp.Duplicates != 1 {
			t.Fatalf("repeat: %d %+v %s", code, resp, e.Error)
		}
		other := Rec("same-1", 426000, "2", mark.Accept, 710)
		code, _, e := upload(t, "office-a", Rec("new-9", 426000, "1", mark.Reject, 0), other)
		if code != 409 || e.Field != "records[1].id" {
			t.Fatalf("%d %+v", code, e)
		}
		if got := record(t, "office-a", "same-1"); got.Counter != "1" {
			t.Fatalf("stored record changed: %+v", got)
		}
	})
	t.Run("serials of the office, paged", func(t *testing.T) {
		get := func(term, query string) (int, hub.SerialsPage) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/serials?"+query, nil)
			req.Header.Set("Authorization", "Bearer tok-"+term)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var p hub.SerialsPage
			_ = json.NewDecoder(resp.Body).Decode(&p)
			return resp.StatusCode, p
		}
		all := func(term string, office uint32, limit int) map[uint64]hub.UsedSerial {
			t.Helper()
			got := map[uint64]hub.UsedSerial{}
			var order []uint64
			after := "0"
			for range 10 {
				code, p := get(term, "limit="+strconv.Itoa(limit)+"&after="+after)
				if code != 200 || p.Office != office {
					t.Fatalf("%d %+v", code, p)
				}
				for _, s := range p.Serials {
					got[s.Serial] = s
					order = append(order, s.Serial)
				}
				if p.Done {
					return got
				}
				after = strconv.FormatUint(p.Next, 10)
			}
			t.Fatalf("%s: no last page after 10 (%v)", term, order)
			return nil
		}
		// office-a's verified uses: 703 (v-1), 710 (same-1), 720, 721 (k-2, k-1);
		// not the unverified 700-702 nor office-b's.
		for _, limit := range []int{1, 2, 10} {
			if got := all("office-a", 426000, limit); fmt.Sprint(keys(got)) != "[703 710 720 721]" {
				t.Fatalf("serials of office-a (limit %d): %v", limit, keys(got))
			}
			// office-b's: 700, 702, 711 it holds, and 703 it accepted after
			// office-a (an alert): its restored counter must know it too.
			got := all("office-b", 101000, limit)
			if fmt.Sprint(keys(got)) != "[700 702 703 711]" || got[703].RecordID != "b-703" ||
				got[703].Terminal != "office-b" || got[703].Counter != "4" {
				t.Fatalf("serials of office-b (limit %d): %+v", limit, got)
			}
		}
		for _, q := range []string{"after=x", "limit=0", "limit=10001"} {
			if code, _ := get("office-a", q); code != 400 {
				t.Fatalf("%s: %d", q, code)
			}
		}
		if code, _ := get("no-office", ""); code != 403 {
			t.Fatalf("terminal without office: %d", code)
		}
		// The highest review event id of the asking terminal, so that a
		// counter set up anew numbers its events above it.
		if _, p := get("office-a", ""); p.LastEventID != 0 {
			t.Fatalf("last event id before any event: %d", p.LastEventID)
		}
		req := &hub.UploadRequest{Records: []hub.Record{Rec("ev-1", 426000, "1", mark.Reject, 0)},
			Events: []hub.Event{{ID: 37, RecordID: "ev-1", Action: "confirm_rejection", Actor: "boss", At: t0, Note: "seen"},
				{ID: 12, RecordID: "ev-1", Action: "confirm_rejection", Actor: "boss", At: t0, Note: "again"}}}
		if _, err := s.Ingest(ctx, "office-a", req, t0); err != nil {
			t.Fatal(err)
		}
		if _, p := get("office-a", ""); p.LastEventID != 37 {
			t.Fatalf("office-a's last event id %d, want 37", p.LastEventID)
		}
		if _, p := get("office-b", ""); p.LastEventID != 0 {
			t.Fatalf("office-b's last event id %d, want 0 (office-a's are not its)", p.LastEventID)
		}
	})
	t.Run("metrics count unverified records", func(t *testing.T) {
		resp, err := http.Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), "markhub_records_unverified_total 2") {
			t.Fatalf("metrics:\n%s", b)
		}
		if st, err := s.Stats(ctx); err != nil || st.Unverified != 2 {
			t.Fatalf("stats %+v %v", st, err)
		}
	})
}

// publish stores bundle version with a keyring of keys only.
func publish(t *testing.T, s hub.Store, dist ed25519.PrivateKey, version uint64, keys ...issuer.Key) {
	t.Helper()
	ring, err := issuer.MarshalKeyring(keys)
	if err != nil {
		t.Fatal(err)
	}
	data, err := bundle.Sign(bundle.Contents{Version: version, Created: t0,
		Keyring: bundle.File{Name: "keyring.yaml", Data: ring},
		Tariffs: bundle.File{Name: "tariffs.yaml", Data: []byte(Tariffs)}}, dist)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutBundle(context.Background(), version, data, t0); err != nil {
		t.Fatal(err)
	}
}

func keys(m map[uint64]hub.UsedSerial) []uint64 {
	out := make([]uint64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
