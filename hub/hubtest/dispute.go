package hubtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"markd/bundle"
	"markd/hub"
	"markd/issuer"
	"markd/mark"
	"markd/verify"
)

// RunDisputeSuite holds the collector to re-judging every verified ACCEPT
// from its signed mark (hub.Checker.Judge) over real HTTP: an acceptance
// the mark contradicts is stored disputed with the reasons, still claims
// its serial, is counted in the answer and the metric and listed by
// Regional.Disputed; a counter whose verdicts hold sees the answer it
// saw before (no "disputed" key).
func RunDisputeSuite(t *testing.T, open Opener) {
	s := openWithTerminals(t, open, "office-a", "office-b")
	ctx := context.Background()
	// Bundle 1: the suites' tariffs (a simple letter of 20 g costs 45.00);
	// bundle 2: 60.00, and serial 990 revoked.
	dist := Publish(t, s)
	ring, err := issuer.MarshalKeyring([]issuer.Key{IssuerKey()})
	if err != nil {
		t.Fatal(err)
	}
	tariffs2 := []byte(strings.Replace(Tariffs, "kop: 4500", "kop: 6000", 1))
	data, err := bundle.Sign(bundle.Contents{Version: 2, Created: t0,
		Keyring:     bundle.File{Name: "keyring.yaml", Data: ring},
		Tariffs:     bundle.File{Name: "tariffs.yaml", Data: tariffs2},
		Revocations: bundle.File{Name: "revoked.txt", Data: []byte("990\n")}}, dist)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutBundle(ctx, 2, data, t0); err != nil {
		t.Fatal(err)
	}
	versions := func(tariffs []byte, revoked string) mark.Versions {
		k, err := verify.ParseKeyring("keyring.yaml", ring)
		if err != nil {
			t.Fatal(err)
		}
		tv, err := verify.ParseTariffs("tariffs.yaml", tariffs)
		if err != nil {
			t.Fatal(err)
		}
		var r *verify.Revocations
		if revoked != "" {
			if r, err = verify.ParseRevocations("revoked.txt", []byte(revoked)); err != nil {
				t.Fatal(err)
			}
		}
		return verify.New(k, tv, r).Versions()
	}
	v1, v2 := versions([]byte(Tariffs), ""), versions(tariffs2, "990\n")

	hubNow := t0.Add(24 * time.Hour) // 2026-11-25 09:00 UTC
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(hub.NewServer(s, hub.ServerOptions{Registry: reg, Now: func() time.Time { return hubNow }}).Handler())
	t.Cleanup(srv.Close)
	upload := func(t *testing.T, term string, recs ...hub.Record) (hub.UploadResponse, string) {
		t.Helper()
		_, raw := uploadOK(t, srv.URL, term, recs...)
		var out hub.UploadResponse
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("answer not JSON: %q", raw)
		}
		return out, string(raw)
	}
	day := func(y int, m time.Month, d int) mark.Day { return mark.DayOf(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)) }

	// rec is office-a's ACCEPT of serial with its mark changed by edit.
	rec := func(id string, serial uint64, edit func(m *mark.Mark, r *hub.Record)) hub.Record {
		r := Rec(id, 426000, "1", mark.Accept, serial)
		m := TestMark(serial, 426000)
		if edit != nil {
			edit(&m, &r)
		}
		f := m.Fields()
		r.Mark, r.Text = &f, Sign(m)
		return r
	}
	tests := []struct {
		name   string
		serial uint64
		edit   func(m *mark.Mark, r *hub.Record)
		want   string // the reasons, "" = not disputed
	}{
		{"an acceptance the mark bears out", 900, nil, ""},
		{"office 0: any office", 901, func(m *mark.Mark, _ *hub.Record) { m.Office = 0 }, ""},
		{"issued for another office", 902, func(m *mark.Mark, _ *hub.Record) { m.Office = 101000 }, "WRONG_OFFICE"},
		{"its last day still in a zone west of UTC", 903, func(m *mark.Mark, _ *hub.Record) { m.ValidUntil = day(2026, 11, 23) }, ""},
		{"expired in every zone", 904, func(m *mark.Mark, _ *hub.Record) { m.ValidUntil = day(2026, 11, 22) }, "EXPIRED"},
		{"its issue day already in a zone east of UTC", 905, func(m *mark.Mark, r *hub.Record) {
			m.Issued = day(2026, 11, 25)
			r.At = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC) // 00:00 on the 25th at UTC+14
		}, ""},
		{"not yet valid in every zone", 906, func(m *mark.Mark, r *hub.Record) {
			m.Issued = day(2026, 11, 25)
			r.At = time.Date(2026, 11, 24, 9, 59, 59, 0, time.UTC)
		}, "NOT_YET_VALID"},
		{"scanned within the allowance after receipt", 907, func(_ *mark.Mark, r *hub.Record) { r.At = hubNow.Add(4 * time.Minute) }, ""},
		{"scanned after the collector received it", 908, func(_ *mark.Mark, r *hub.Record) { r.At = hubNow.Add(6 * time.Minute) }, "SCANNED_AFTER_RECEIPT"},
		{"underpaid under the lists it names", 909, func(m *mark.Mark, r *hub.Record) { m.TariffKop, r.Versions = 4000, v1 }, "UNDERPAID"},
		{"underpaid under every bundle, lists unknown", 910, func(m *mark.Mark, _ *hub.Record) { m.TariffKop = 4000 }, "UNDERPAID"},
		{"paid under the older lists it names", 911, func(_ *mark.Mark, r *hub.Record) { r.Versions = v1 }, ""},
		{"paid under one bundle, lists unknown", 912, nil, ""},
		{"underpaid under the newer lists it names", 913, func(_ *mark.Mark, r *hub.Record) { r.Versions = v2 }, "UNDERPAID"},
		{"revoked under the lists it names", 990, func(m *mark.Mark, r *hub.Record) { m.TariffKop, r.Versions = 6000, v2 }, "REVOKED"},
		{"weighed heavier than paid for", 914, func(_ *mark.Mark, r *hub.Record) { r.MeasuredWeightG = 25 }, "OVERWEIGHT"},
		{"a registered letter without tracking", 915, func(m *mark.Mark, _ *hub.Record) { m.MailClass, m.TariffKop = 2, 9200 }, "MISSING_TRACKING"},
		{"several reasons, in the order of §7", 916, func(m *mark.Mark, r *hub.Record) {
			m.Office, m.ValidUntil = 101000, day(2026, 11, 22)
			r.At = hubNow.Add(9 * time.Minute)
		}, "EXPIRED WRONG_OFFICE SCANNED_AFTER_RECEIPT"},
	}
	disputed := 0
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := fmt.Sprintf("d-%d", tc.serial)
			resp, raw := upload(t, "office-a", rec(id, tc.serial, tc.edit))
			got := disputedAs(ctx, t, s, "office-a", id, tc.want)
			if tc.want == "" {
				if strings.Contains(raw, "disputed") || got.Why != "" {
					t.Fatalf("a held acceptance: answer %s, why %q", raw, got.Why)
				}
				return
			}
			disputed++
			if len(resp.DisputedIDs) != 1 || resp.DisputedIDs[0] != id || !strings.Contains(raw, `"disputed_ids":["`+id+`"]`) {
				t.Fatalf("answer names %v, want [%s]: %s", resp.DisputedIDs, id, raw)
			}
			if resp.Stored != 1 || resp.Disputed != 1 || got.Why == "" || !strings.Contains(got.Why, tc.want[:strings.IndexByte(tc.want+" ", ' ')]) {
				t.Fatalf("answer %s, why %q", raw, got.Why)
			}
			// Still the item went in: the serial is used.
			used, err := s.OfficeSerials(ctx, 426000, tc.serial-1, 1)
			if err != nil || len(used) != 1 || used[0].Serial != tc.serial || used[0].RecordID != id {
				t.Fatalf("serial %d not claimed by the disputed record: %+v %v", tc.serial, used, err)
			}
		})
	}
	t.Run("a bundle published while serving is judged under at once", func(t *testing.T) {
		// Bundle 3 lowers the price to 40.00 and keeps the keyring, so the
		// signature check has no reason to read it: a counter that took it
		// and accepts 40.00 is right, though bundles 1 and 2 both say
		// UNDERPAID.
		tariffs3 := []byte(strings.Replace(Tariffs, "kop: 4500", "kop: 4000", 1))
		data, err := bundle.Sign(bundle.Contents{Version: 3, Created: t0,
			Keyring: bundle.File{Name: "keyring.yaml", Data: ring},
			Tariffs: bundle.File{Name: "tariffs.yaml", Data: tariffs3}}, dist)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.PutBundle(ctx, 3, data, t0); err != nil {
			t.Fatal(err)
		}
		v3 := versions(tariffs3, "")
		resp, raw := upload(t, "office-a", rec("d-930", 930, func(m *mark.Mark, r *hub.Record) { m.TariffKop, r.Versions = 4000, v3 }))
		if resp.Disputed != 0 || strings.Contains(raw, "disputed") {
			t.Fatalf("an acceptance under the bundle just published: %s", raw)
		}
		resp, raw = upload(t, "office-a", rec("d-931", 931, func(m *mark.Mark, r *hub.Record) { m.TariffKop, r.Versions = 3900, v3 }))
		if got, _ := s.Record(ctx, "office-a", "d-931"); resp.Disputed != 1 || len(got.Disputed) != 1 || got.Disputed[0] != mark.ReasonUnderpaid ||
			!strings.Contains(got.Why, "tariffs "+v3.Tariffs) {
			t.Fatalf("underpaid under the bundle just published: %s %+v", raw, got.Disputed)
		}
		disputed++
	})
	t.Run("a REJECT and an unverified ACCEPT are not judged", func(t *testing.T) {
		r := Rec("d-rej", 426000, "1", mark.Reject, 920)
		m := TestMark(920, 426000)
		m.Office = 101000
		f := m.Fields()
		r.Mark, r.Text, r.Reasons = &f, Sign(m), []mark.Reason{mark.ReasonWrongOffice}
		u := rec("d-unv", 921, func(m *mark.Mark, _ *hub.Record) { m.Office = 101000 })
		u.Text = "EPM1:FAKE"
		resp, raw := upload(t, "office-a", r, u)
		if resp.Disputed != 0 || resp.Unverified != 1 || strings.Contains(raw, "disputed") {
			t.Fatalf("answer %s", raw)
		}
	})
	t.Run("a repeat is not disputed again; the serial's reuse alerts both sides", func(t *testing.T) {
		resp, raw := upload(t, "office-a", rec("d-902", 902, func(m *mark.Mark, _ *hub.Record) { m.Office = 101000 }))
		if resp.Duplicates != 1 || resp.Disputed != 0 {
			t.Fatalf("repeat: %s", raw)
		}
		resp, _ = upload(t, "office-b", Rec("b-902", 101000, "4", mark.Accept, 902))
		if len(resp.Alerts) != 1 || resp.Alerts[0].Other.RecordID != "d-902" {
			t.Fatalf("reuse of a disputed acceptance's serial: %+v", resp.Alerts)
		}
	})
	t.Run("listed for the regional supervisor, newest scan first", func(t *testing.T) {
		rg, ok := s.(hub.Regional)
		if !ok {
			t.Skip("the backend has no regional pages")
		}
		list, err := rg.Disputed(ctx, hub.DisputeAny, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != disputed {
			t.Fatalf("%d disputed listed, want %d", len(list), disputed)
		}
		for i, r := range list {
			if len(r.Disputed) == 0 || r.Why == "" || r.Terminal != "office-a" || (i > 0 && r.At.After(list[i-1].At)) {
				t.Fatalf("row %d: %+v", i, r)
			}
		}
		if list[0].ID != "d-916" {
			t.Fatalf("newest first: %s", list[0].ID)
		}
		if short, err := rg.Disputed(ctx, hub.DisputeAny, 2); err != nil || len(short) != 2 {
			t.Fatalf("limit 2: %d %v", len(short), err)
		}
	})
	t.Run("reviewed by a supervisor with a note, audited, opened again", func(t *testing.T) {
		rg, ok := s.(hub.Regional)
		if !ok {
			t.Skip("the backend has no regional pages")
		}
		runDisputeReview(t, s, rg, disputed)
	})
	t.Run("an upload's answer names at most MaxDisputedIDs", func(t *testing.T) {
		var recs []hub.Record
		for i := range hub.MaxDisputedIDs + 5 {
			serial := uint64(2000 + i)
			recs = append(recs, rec(fmt.Sprintf("many-%d", serial), serial, func(m *mark.Mark, _ *hub.Record) { m.Office = 101000 }))
		}
		resp, raw := upload(t, "office-a", recs...)
		if resp.Disputed != hub.MaxDisputedIDs+5 || len(resp.DisputedIDs) != hub.MaxDisputedIDs ||
			resp.DisputedIDs[0] != "many-2000" || resp.DisputedIDs[hub.MaxDisputedIDs-1] != fmt.Sprintf("many-%d", 2000+hub.MaxDisputedIDs-1) {
			t.Fatalf("disputed %d, ids %d (%.200s…)", resp.Disputed, len(resp.DisputedIDs), raw)
		}
		disputed += hub.MaxDisputedIDs + 5
	})
	t.Run("metric", func(t *testing.T) {
		if v := metric(t, reg, "markhub_records_disputed_total"); v != float64(disputed) {
			t.Fatalf("markhub_records_disputed_total %v, want %d", v, disputed)
		}
	})
}

// runDisputeReview holds a backend to the review of disputed acceptances:
// open ones apart from reviewed ones, the review's who, when and note on
// the record, every change in the audit, the counts of Stats; n disputed
// records are stored, all open, d-916 the newest scan.
func runDisputeReview(t *testing.T, s hub.Store, rg hub.Regional, n int) {
	ctx := context.Background()
	counts := func(open, reviewed int64) {
		t.Helper()
		st, err := s.Stats(ctx)
		if err != nil || st.DisputedOpen != open || st.DisputedReviewed != reviewed {
			t.Fatalf("stats: open %d reviewed %d (%v), want %d %d", st.DisputedOpen, st.DisputedReviewed, err, open, reviewed)
		}
	}
	counts(int64(n), 0)
	at1 := t0.Add(48 * time.Hour)
	if err := rg.SetDisputeState(ctx, "office-a", "d-902", hub.DisputeReviewed, "boss", "office 101000's mark: the customer posted at the wrong office, charged again", at1); err != nil {
		t.Fatal(err)
	}
	if err := rg.SetDisputeState(ctx, "office-a", "d-904", hub.DisputeReviewed, "anna", "expired mark: the clerk warned", at1.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	counts(int64(n-2), 2)
	open, err := rg.Disputed(ctx, hub.DisputeOpen, 1000)
	if err != nil || len(open) != n-2 || open[0].ID != "d-916" {
		t.Fatalf("open: %d %v", len(open), err)
	}
	for _, r := range open {
		if r.ID == "d-902" || r.ID == "d-904" || r.DisputeReview.State() != hub.DisputeOpen {
			t.Fatalf("open list holds %s %+v", r.ID, r.DisputeReview)
		}
	}
	reviewed, err := rg.Disputed(ctx, hub.DisputeReviewed, 1000)
	if err != nil || len(reviewed) != 2 || reviewed[0].ID != "d-904" || reviewed[1].ID != "d-902" {
		t.Fatalf("reviewed, last reviewed first: %+v %v", reviewed, err)
	}
	if r := reviewed[1].DisputeReview; r.By != "boss" || !r.At.Equal(at1) || !strings.HasPrefix(r.Note, "office 101000's mark") ||
		len(reviewed[1].Disputed) != 1 || reviewed[1].Disputed[0] != mark.ReasonWrongOffice {
		t.Fatalf("review of d-902: %+v %v", r, reviewed[1].Disputed)
	}
	if all, err := rg.Disputed(ctx, hub.DisputeAny, 1000); err != nil || len(all) != n {
		t.Fatalf("all: %d %v", len(all), err)
	}
	if got, err := s.Record(ctx, "office-a", "d-902"); err != nil || got.DisputeReview.By != "boss" || !got.DisputeReview.At.Equal(at1) {
		t.Fatalf("Record's review: %+v %v", got.DisputeReview, err)
	}
	// Opened again: open, the reopening's note shown; both steps audited.
	at2 := at1.Add(time.Hour)
	if err := rg.SetDisputeState(ctx, "office-a", "d-902", hub.DisputeOpen, "chief", "the customer denies it: look again", at2); err != nil {
		t.Fatal(err)
	}
	counts(int64(n-1), 1)
	if got, _ := s.Record(ctx, "office-a", "d-902"); got.DisputeReview.State() != hub.DisputeOpen || got.DisputeReview.By != "chief" {
		t.Fatalf("reopened: %+v", got.DisputeReview)
	}
	audit, err := rg.DisputeAudit(ctx, "office-a", "d-902")
	if err != nil || len(audit) != 2 || audit[0].State != hub.DisputeReviewed || audit[0].Actor != "boss" || !audit[0].At.Equal(at1) ||
		audit[1].State != hub.DisputeOpen || audit[1].Actor != "chief" || audit[1].Note != "the customer denies it: look again" || !audit[1].At.Equal(at2) {
		t.Fatalf("audit: %+v %v", audit, err)
	}
	if a, err := rg.DisputeAudit(ctx, "office-a", "d-900"); err != nil || len(a) != 0 {
		t.Fatalf("audit of an undisputed record: %+v %v", a, err)
	}
	for _, tc := range []struct {
		terminal, id string
		want         error
	}{
		{"office-a", "no-such-record", mark.ErrNotFound},
		{"office-b", "d-902", mark.ErrNotFound}, // another terminal's id
		{"office-a", "d-900", hub.ErrNotDisputed},
	} {
		err := rg.SetDisputeState(ctx, tc.terminal, tc.id, hub.DisputeReviewed, "boss", "x", at2)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.id) {
			t.Errorf("review %s/%s: %v, want %v", tc.terminal, tc.id, err, tc.want)
		}
	}
	if a, _ := rg.DisputeAudit(ctx, "office-a", "d-900"); len(a) != 0 {
		t.Fatalf("a refused review audited: %+v", a)
	}
	counts(int64(n-1), 1)
}

// disputedAs reads record id of term and fails t unless it is verified
// and disputed for want (its reasons, space-separated; "" = not
// disputed).
func disputedAs(ctx context.Context, t *testing.T, s hub.Store, term, id, want string) hub.StoredRecord {
	t.Helper()
	got, err := s.Record(ctx, term, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Verification != hub.Verified {
		t.Fatalf("verification %q (%s), want verified", got.Verification, got.Why)
	}
	reasons := make([]string, len(got.Disputed))
	for i, x := range got.Disputed {
		reasons[i] = string(x)
	}
	if g := strings.Join(reasons, " "); g != want {
		t.Fatalf("disputed %q (%s), want %q", g, got.Why, want)
	}
	return got
}

// metric is the value of the gauge or counter name of reg (its first
// series); t fails when reg has none.
func metric(t *testing.T, reg prometheus.Gatherer, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			m := mf.GetMetric()[0]
			if m.GetGauge() != nil {
				return m.GetGauge().GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no %s", name)
	return 0
}
