package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/internal/testdata"
	"markd/internal/zones/zonestest"
	"markd/issuer"
	"markd/mark"
)

// TestZoneDataVerify: the markd binary judges a mark's dates by the zone
// data its config names, whatever the machine has. The same one-day mark
// of 2025-11-24 scanned at 20:30 UTC is accepted by the embedded data
// (23:30 in Moscow, UTC+3) and, with zone_data: system and a ZONEINFO
// folder whose Europe/Moscow keeps UTC+4 (a rule change the release does
// not carry), refused EXPIRED (00:30 on the 25th); doctor names each.
func TestZoneDataVerify(t *testing.T) {
	if testing.Short() {
		t.Skip("builds markd")
	}
	markd := markdBinary(t)
	td := testdata.Dir(t)
	zi := t.TempDir()
	if err := os.MkdirAll(filepath.Join(zi, "Europe"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(zi, "Europe", "Moscow"), zonestest.TZif(zonestest.Span{Off: 4 * 3600, Abbr: "MSD"}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(zi, "tzdata.zi"), []byte("# version 2031a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	day, _ := mark.ParseDay("2025-11-24")
	const office = 426000
	m := mark.Mark{Serial: 9_100_001, Contract: 1, MailClass: mark.ClassRegisteredLetter, WeightG: 20, TariffKop: 1000000,
		Office: office, Issued: day - 3, ValidUntil: day, Tracking: issuer.Tracking(office, 9_100_001)}
	text := testdata.Signer(t)(m)
	cfg := filepath.Join(t.TempDir(), "markd.yaml")
	if err := os.WriteFile(cfg, []byte("office: 426000\ntz: Europe/Moscow\nkeyring: "+filepath.Join(td, "keyring.yaml")+
		"\ntariffs: "+filepath.Join(td, "tariffs.yaml")+"\ndb: "+filepath.Join(t.TempDir(), "markd.db")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 11, 24, 20, 30, 0, 0, time.UTC).Format(time.RFC3339)
	for _, tc := range []struct {
		name, zoneData, verdict, reason, doctor string
	}{
		{"embedded", "", "ACCEPT", "", "Zone data: embedded, tz release "},
		{"system", "system", "REJECT", "EXPIRED", "Zone data: system, tz release 2031a (this machine's zone files"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := append(os.Environ(), "ZONEINFO="+zi, "MARKD_ZONE_DATA="+tc.zoneData)
			cmd := exec.Command(markd, "verify", "--config", cfg, "--at", at, "--text", text)
			cmd.Env = env
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("markd verify: %v\n%s", err, out)
			}
			var got struct {
				Verdict string   `json:"verdict"`
				Reasons []string `json:"reasons"`
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("markd verify: %v\n%s", err, out)
			}
			if got.Verdict != tc.verdict || strings.Join(got.Reasons, " ") != tc.reason {
				t.Fatalf("verdict %s %v, want %s %s", got.Verdict, got.Reasons, tc.verdict, tc.reason)
			}
			cmd = exec.Command(markd, "doctor", "--config", cfg)
			cmd.Env = env
			out, _ = cmd.CombinedOutput() // exit 1 when the store file is missing: only the zone line matters here
			if !strings.Contains(string(out), tc.doctor) {
				t.Fatalf("markd doctor lacks %q:\n%s", tc.doctor, out)
			}
		})
	}
}
