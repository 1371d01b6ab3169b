package hubweb

import (
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"markd/hub"
	"markd/hub/sqlitestore"
	"markd/mark"
)

// BenchmarkFleetRender renders the fleet page of 2500 terminals (a large
// region) without the store: the template's share of the page time.
func BenchmarkFleetRender(b *testing.B) {
	now := time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)
	s, err := New(Options{Store: (*sqlitestore.DB)(nil), Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	rows := make([]hub.FleetRow, 2500)
	for i := range rows {
		rows[i] = hub.FleetRow{Terminal: hub.Terminal{Name: fmt.Sprintf("t%05d", i), Office: uint32(100000 + i), SeenAt: now.Add(-time.Duration(i) * time.Minute),
			ClockSkew: time.Duration(i%300) * time.Second, Waiting: int64(i % 40), WaitingAt: now}, LastRecord: now.Add(-time.Hour),
			Versions: mark.Versions{Keyring: "0e40db3c650e", Tariffs: "d9b98c0a670b", Revocations: "rv7"}}
	}
	r := httptest.NewRequest("GET", "/", nil)
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		s.renderFleet(w, r, hub.WebSession{User: "u"}, rows)
	}
}

// TestFleetRowsEscaped: the fleet rows are written without the template,
// so every value a counter sends (list versions are its text) must come
// out escaped.
func TestFleetRowsEscaped(t *testing.T) {
	now := time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)
	s, err := New(Options{Store: (*sqlitestore.DB)(nil), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	got := string(s.fleetRowsHTML([]hub.FleetRow{{Terminal: hub.Terminal{Name: "a&b", Office: 426000, SeenAt: now},
		Versions: mark.Versions{Keyring: `<script>x</script>`, Tariffs: `"t"`, Revocations: "r'"}}}, now, counts))
	for _, bad := range []string{"<script>", `"t"`, "a&b"} {
		if strings.Contains(got, bad) {
			t.Errorf("row holds %q unescaped:\n%s", bad, got)
		}
	}
	if !strings.Contains(got, "&lt;script&gt;") || counts["ok"] != 1 || !strings.Contains(got, `data-waiting="unknown"`) {
		t.Errorf("row %s, counts %v", got, counts)
	}
}
