package daemon

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"markd/internal/zones"
)

// TestHealthZoneData: /healthz names the zone data tz is loaded from and
// its tz release (zone_data), to compare with the collector's.
func TestHealthZoneData(t *testing.T) {
	r := start(t, Options{Config: testConfig(t), Stdin: strings.NewReader("")})
	resp, err := http.Get(r.HTTP.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h struct {
		ZoneData *zones.Info `json:"zone_data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	if want := zones.Default().Info(); h.ZoneData == nil || *h.ZoneData != want {
		t.Fatalf("/healthz zone_data %+v, want %+v", h.ZoneData, want)
	}
}
