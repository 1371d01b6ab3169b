package hubtest

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
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

// RunQuestionSuite holds the collector to re-judging every verified
// REJECT (questioned rejections) over real HTTP: a REJECT whose signed
// mark the collector would have accepted under the lists the record
// names, its dates judged in the office's zone, is stored as sent and
// questioned, listed and counted per office and terminal, reviewed like a
// disputed acceptance, counted on /healthz and in the gauge; a true
// REJECT, one naming lists the collector never published, one the
// collector cannot judge (REUSED) and one whose date holds in some zone
// when the office's zone is not known are not questioned.
//
// Bundle 1 is the older keyring, the issuer's key valid for marks issued
// up to day 9700 only (TestMark's issue day is 9800: KEY_NOT_VALID);
// bundle 2, the newer, has the same key valid to 12000.
func RunQuestionSuite(t *testing.T, open Opener) {
	s := openWithTerminals(t, open, "office-a", "office-b")
	ctx := context.Background()
	_, dist, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	narrow := IssuerKey()
	narrow.ValidUntil = 9700
	var vs [3]mark.Versions
	for i, k := range []issuer.Key{narrow, IssuerKey()} { // in version order: PutBundle refuses a version under the latest
		v := uint64(i + 1)
		ring, err := issuer.MarshalKeyring([]issuer.Key{k})
		if err != nil {
			t.Fatal(err)
		}
		data, err := bundle.Sign(bundle.Contents{Version: v, Created: t0,
			Keyring: bundle.File{Name: "keyring.yaml", Data: ring},
			Tariffs: bundle.File{Name: "tariffs.yaml", Data: []byte(Tariffs)}}, dist)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.PutBundle(ctx, v, data, t0); err != nil {
			t.Fatal(err)
		}
		kr, err := verify.ParseKeyring("keyring.yaml", ring)
		if err != nil {
			t.Fatal(err)
		}
		tv, err := verify.ParseTariffs("tariffs.yaml", []byte(Tariffs))
		if err != nil {
			t.Fatal(err)
		}
		vs[v] = verify.New(kr, tv, nil).Versions()
	}
	v1, v2 := vs[1], vs[2]
	if v1 == v2 {
		t.Fatal("the two bundles name the same lists")
	}
	// office-a (426000) keeps its day in Europe/Samara (UTC+4); office-b's
	// zone is not known.
	zones, err := hub.NewOfficeZones("", []hub.OfficeZoneConfig{{Zone: "Europe/Samara", Offices: []string{"426"}}})
	if err != nil {
		t.Fatal(err)
	}
	hubNow := t0.Add(24 * time.Hour) // 2026-11-25 09:00 UTC
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(hub.NewServer(s, hub.ServerOptions{Registry: reg, Zones: zones, HealthMaxAge: -1, // counts read right after each change
		Now: func() time.Time { return hubNow }}).Handler())
	t.Cleanup(srv.Close)
	upload := func(t *testing.T, term string, recs ...hub.Record) string {
		t.Helper()
		_, raw := uploadOK(t, srv.URL, term, recs...)
		return string(raw)
	}
	day := func(d int) mark.Day { return mark.DayOf(time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC)) }
	utc := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, time.UTC) }
	// rec is term's REJECT of serial for reasons, under the lists of
	// bundle 2 unless edit says otherwise.
	rec := func(term string, serial uint64, reasons string, edit func(m *mark.Mark, r *hub.Record)) hub.Record {
		office := Offices[term]
		r := Rec(fmt.Sprintf("q-%d", serial), office, "1", mark.Reject, serial)
		m := TestMark(serial, office)
		r.Versions, r.Reasons = v2, nil
		for _, x := range strings.Fields(reasons) {
			r.Reasons = append(r.Reasons, mark.Reason(x))
		}
		if edit != nil {
			edit(&m, &r)
		}
		f := m.Fields()
		r.Mark, r.Text, r.Verification = &f, Sign(m), ""
		return r
	}
	tests := []struct {
		name, term string
		serial     uint64
		reasons    string
		edit       func(m *mark.Mark, r *hub.Record)
		questioned bool
		why        string // in Why when questioned
	}{
		{"NOT_YET_VALID of a counter in UTC: the issue day from 00:30 in Samara", "office-a", 700, "NOT_YET_VALID",
			func(m *mark.Mark, r *hub.Record) { m.Issued, r.At = day(25), utc(24, 20, 30) }, true, "time zone Europe/Samara"},
		{"EXPIRED of a counter in UTC+5: the last day at 23:30 in Samara", "office-a", 701, "EXPIRED",
			func(m *mark.Mark, r *hub.Record) { m.ValidUntil, r.At = day(24), utc(24, 19, 30) }, true, "time zone Europe/Samara"},
		{"NOT_YET_VALID that holds in Samara", "office-a", 702, "NOT_YET_VALID",
			func(m *mark.Mark, r *hub.Record) { m.Issued, r.At = day(25), utc(24, 19, 30) }, false, ""},
		{"truly EXPIRED", "office-a", 703, "EXPIRED",
			func(m *mark.Mark, r *hub.Record) { m.ValidUntil = day(22) }, false, ""},
		{"EXPIRED and UNDERPAID, only EXPIRED wrong", "office-a", 704, "EXPIRED UNDERPAID",
			func(m *mark.Mark, r *hub.Record) { m.TariffKop = 4000 }, false, ""},
		{"UNDERPAID of a mark paid in full under the lists it names", "office-a", 705, "UNDERPAID", nil, true, "tariffs " + v2.Tariffs},
		{"WRONG_OFFICE of a mark for any office", "office-a", 706, "WRONG_OFFICE",
			func(m *mark.Mark, _ *hub.Record) { m.Office = 0 }, true, "WRONG_OFFICE"},
		{"KEY_NOT_VALID under the older keyring it names", "office-a", 707, "KEY_NOT_VALID",
			func(_ *mark.Mark, r *hub.Record) { r.Versions = v1 }, false, ""},
		{"KEY_NOT_VALID while the record names the newer keyring", "office-a", 708, "KEY_NOT_VALID", nil, true, "keyring " + v2.Keyring},
		{"KEY_NOT_VALID under lists the collector never published", "office-a", 709, "KEY_NOT_VALID",
			func(_ *mark.Mark, r *hub.Record) {
				r.Versions = mark.Versions{Keyring: "own", Tariffs: "own", Revocations: "own"}
			}, false, ""},
		{"REUSED: the counter's own state", "office-a", 710, "REUSED", nil, false, ""},
		{"NOT_YET_VALID within a day, the office's zone not known", "office-b", 711, "NOT_YET_VALID",
			func(m *mark.Mark, r *hub.Record) { m.Issued, r.At = day(25), utc(24, 20, 30) }, false, ""},
		{"NOT_YET_VALID of a clock days behind, the office's zone not known", "office-b", 712, "NOT_YET_VALID",
			func(m *mark.Mark, r *hub.Record) { m.Issued = day(20) }, true, "every time zone"},
	}
	want := 0
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rec(tc.term, tc.serial, tc.reasons, tc.edit)
			raw := upload(t, tc.term, r)
			if strings.Contains(raw, "disputed") || strings.Contains(raw, "questioned") {
				t.Fatalf("the answer to a counter is as before: %s", raw)
			}
			got, err := s.Record(ctx, tc.term, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Verification != hub.Verified || got.Verdict != mark.Reject || joinReasons(got.Reasons) != tc.reasons || len(got.Disputed) != 0 {
				t.Fatalf("stored %s %s %v disputed %v (%s): want the REJECT as sent", got.Verification, got.Verdict, got.Reasons, got.Disputed, got.Why)
			}
			if !tc.questioned {
				if len(got.Questioned) != 0 {
					t.Fatalf("questioned %v: %s", got.Questioned, got.Why)
				}
				return
			}
			want++
			if joinReasons(got.Questioned) != tc.reasons || !strings.Contains(got.Why, tc.why) || !strings.Contains(got.Why, "would have accepted") {
				t.Fatalf("questioned %v, why %q: want %s, why naming %q", got.Questioned, got.Why, tc.reasons, tc.why)
			}
			if used, err := s.OfficeSerials(ctx, Offices[tc.term], tc.serial-1, 1); err != nil || len(used) != 0 && used[0].Serial == tc.serial {
				t.Fatalf("a questioned REJECT claims its serial: %+v %v", used, err)
			}
		})
	}
	t.Run("a REJECT whose mark does not verify is not judged", func(t *testing.T) {
		r := rec("office-a", 720, "NOT_YET_VALID", func(m *mark.Mark, r *hub.Record) { m.Issued, r.At = day(25), utc(24, 20, 30) })
		r.Text = "EPM1:FAKE"
		bad := Rec("q-721", 426000, "1", mark.Reject, 0)
		bad.Reasons = []mark.Reason{mark.ReasonBadSignature}
		upload(t, "office-a", r, bad)
		for _, id := range []string{"q-720", "q-721"} {
			if got, err := s.Record(ctx, "office-a", id); err != nil || len(got.Questioned) != 0 {
				t.Fatalf("%s: questioned %v %v", id, got.Questioned, err)
			}
		}
	})
	rg, ok := s.(hub.Regional)
	if !ok {
		return
	}
	t.Run("listed and counted per office and terminal, apart from disputes", func(t *testing.T) {
		list, err := rg.Questioned(ctx, hub.DisputeOpen, 100)
		if err != nil || len(list) != want {
			t.Fatalf("%d questioned listed (%v), want %d", len(list), err, want)
		}
		for i, r := range list {
			if len(r.Questioned) == 0 || r.Why == "" || (i > 0 && r.At.After(list[i-1].At)) {
				t.Fatalf("row %d: %+v", i, r)
			}
		}
		if d, err := rg.Disputed(ctx, hub.DisputeAny, 100); err != nil || len(d) != 0 {
			t.Fatalf("questioned rejections among the disputes: %d %v", len(d), err)
		}
		counts, err := rg.QuestionedCounts(ctx, 100)
		if err != nil || len(counts) != 2 || counts[0] != (hub.QuestionedCount{Office: 426000, Terminal: "office-a", Open: int64(want - 1)}) ||
			counts[1] != (hub.QuestionedCount{Office: 101000, Terminal: "office-b", Open: 1}) {
			t.Fatalf("counts %+v %v", counts, err)
		}
		questionedOpen(t, srv.URL, reg, int64(want))
	})
	t.Run("reviewed by a supervisor, audited, counted apart from disputes", func(t *testing.T) {
		at := t0.Add(48 * time.Hour)
		if err := rg.SetDisputeState(ctx, "office-a", "q-700", hub.DisputeReviewed, "boss", "the counter's tz was UTC: fixed", at); err != nil {
			t.Fatal(err)
		}
		st, err := s.Stats(ctx)
		if err != nil || st.QuestionedOpen != int64(want-1) || st.QuestionedReviewed != 1 || st.DisputedOpen != 0 || st.DisputedReviewed != 0 {
			t.Fatalf("stats %+v %v", st, err)
		}
		rv, err := rg.Questioned(ctx, hub.DisputeReviewed, 100)
		if err != nil || len(rv) != 1 || rv[0].ID != "q-700" || rv[0].DisputeReview.By != "boss" || !rv[0].DisputeReview.At.Equal(at) {
			t.Fatalf("reviewed %+v %v", rv, err)
		}
		if d, err := rg.Disputed(ctx, hub.DisputeReviewed, 100); err != nil || len(d) != 0 {
			t.Fatalf("a reviewed questioned rejection among the reviewed disputes: %d %v", len(d), err)
		}
		if a, err := rg.DisputeAudit(ctx, "office-a", "q-700"); err != nil || len(a) != 1 || a[0].Actor != "boss" {
			t.Fatalf("audit %+v %v", a, err)
		}
		if err := rg.SetDisputeState(ctx, "office-a", "q-703", hub.DisputeReviewed, "boss", "x", at); !errors.Is(err, hub.ErrNotDisputed) {
			t.Fatalf("review of a true REJECT: %v", err)
		}
		counts, _ := rg.QuestionedCounts(ctx, 100)
		if len(counts) != 2 || counts[0].Open != int64(want-2) || counts[0].Reviewed != 1 {
			t.Fatalf("counts after a review %+v", counts)
		}
		questionedOpen(t, srv.URL, reg, int64(want-1))
	})
}

// questionedOpen fails t unless /healthz and the gauge count want open
// questioned rejections.
func questionedOpen(t *testing.T, url string, reg prometheus.Gatherer, want int64) {
	t.Helper()
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var h hub.Health
	if err := json.Unmarshal(raw, &h); err != nil || h.QuestionedOpen == nil || *h.QuestionedOpen != want || h.QuestionedOpenMore {
		t.Fatalf("/healthz %s: want questioned_open %d", raw, want)
	}
	if v := metric(t, reg, "markhub_records_questioned_open"); v != float64(want) {
		t.Fatalf("markhub_records_questioned_open %v, want %d", v, want)
	}
}

func joinReasons(rs []mark.Reason) string {
	s := make([]string, len(rs))
	for i, x := range rs {
		s[i] = string(x)
	}
	return strings.Join(s, " ")
}
