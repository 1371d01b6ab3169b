package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"markd/hub/sqlitestore"
	"markd/internal/testdata"
	"markd/mark"
	"markd/store"
)

// TestDaemonUploadsAndAppliesBundles runs `markd run` (stdin source) and
// `markhub serve` as real processes: scans are uploaded with the versions
// they were judged under, and a revocation published on the collector
// reaches the running counter as a signed bundle and changes its verdicts.
func TestDaemonUploadsAndAppliesBundles(t *testing.T) {
	td := testdata.Dir(t)
	markhub, markd := buildBinaries(t)
	dir := t.TempDir()
	hubDB, key := filepath.Join(dir, "hub.db"), filepath.Join(dir, "dist.key")
	pub := run1(t, markhub, "keys", "new", "--out", key)
	token := run1(t, markhub, "terminal", "add", "office-a", "--office", "426000", "--db", hubDB)
	run1(t, markhub, "bundle", "publish", "--db", hubDB, "--key", key,
		"--keyring", filepath.Join(td, "keyring.yaml"), "--tariffs", filepath.Join(td, "tariffs.yaml"))
	addr := freePort(t)
	start(t, true, markhub, "serve", "--db", hubDB, "--listen", addr)

	// Marks valid today in the office's zone, of the shared test issuer key 1.
	key1, ok := testdata.Keys(t)[1]
	if !ok {
		t.Fatal("issuer key 1 not in test data")
	}
	loc, _ := time.LoadLocation("Europe/Moscow")
	today := testdata.Today(loc)
	sign := func(serial uint64) string {
		m := mark.Mark{Version: 1, Alg: mark.AlgEd25519, KeyID: 1, Serial: serial, Contract: 7, MailClass: mark.ClassSimpleLetter,
			WeightG: 20, TariffKop: 1000000, Office: 426000, Issued: today - 1, ValidUntil: today + 30}
		text, err := key1.Sign(m)
		if err != nil {
			t.Fatal(err)
		}
		return text
	}

	bundles := filepath.Join(dir, "bundles")
	cfg := filepath.Join(dir, "markd.yaml")
	body := fmt.Sprintf(`office: 426000
counter: "1"
keyring: %s
tariffs: %s
db: %s
http:
  listen: 127.0.0.1:0
sync:
  url: http://%s
  token: %s
  batch_age: 50ms
  interval: 200ms
  max_backoff: 500ms
  distribution_key: %s
  bundle_dir: %s
`, filepath.Join(td, "keyring.yaml"), filepath.Join(td, "tariffs.yaml"), filepath.Join(dir, "markd.db"), addr, token, pub, bundles)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	run1(t, markd, "init", "--config", cfg)
	markdP := startMarkdRun(t, markd, cfg)
	scan := func(text string) (mark.Verdict, []mark.Reason, string) {
		t.Helper()
		var out struct {
			ID      string        `json:"id"`
			Verdict mark.Verdict  `json:"verdict"`
			Reasons []mark.Reason `json:"reasons"`
		}
		markdP.scan(t, text, &out)
		return out.Verdict, out.Reasons, out.ID
	}
	waitFile := func(path string) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for {
			if _, err := os.Stat(path); err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never appeared", path)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitFile(filepath.Join(bundles, "bundle-00000000000000000001.json"))
	// A new store first restores its office's used serials from the
	// collector; until then every mark is ERROR (fail closed).
	testdata.Wait(t, time.Minute, "the reuse history restored", func() bool {
		db, err := store.Open(context.Background(), filepath.Join(dir, "markd.db"), nil)
		if err != nil {
			return false
		}
		defer db.Close()
		pending, _, err := db.HistoryPending(context.Background())
		return err == nil && !pending
	})
	v, reasons, firstID := scan(sign(9001))
	if v != mark.Accept {
		t.Fatalf("first mark: %s %v", v, reasons)
	}

	// The collector revokes serial 9002 (a refund) and publishes bundle 2.
	rev := filepath.Join(dir, "revoked.txt")
	if err := os.WriteFile(rev, []byte("# version: refunds-2\n9002\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run1(t, markhub, "bundle", "publish", "--db", hubDB, "--key", key, "--revoked", rev)
	waitFile(filepath.Join(bundles, "bundle-00000000000000000002.json"))
	v, reasons, revokedID := scan(sign(9002))
	if v != mark.Reject || len(reasons) != 1 || reasons[0] != mark.ReasonRevoked {
		t.Fatalf("revoked mark after bundle 2: %s %v", v, reasons)
	}

	// Both records reach the collector, each with the lists it was judged under.
	hs, err := sqlitestore.Open(context.Background(), hubDB)
	if err != nil {
		t.Fatal(err)
	}
	defer hs.Close()
	deadline := time.Now().Add(time.Minute)
	for {
		first, err1 := hs.Record(context.Background(), "office-a", firstID)
		second, err2 := hs.Record(context.Background(), "office-a", revokedID)
		if err1 == nil && err2 == nil {
			if first.Verdict != mark.Accept || first.Versions.Revocations == "refunds-2" || first.Versions.Keyring == "" {
				t.Fatalf("first record at the collector: %+v", first)
			}
			if second.Verdict != mark.Reject || second.Versions.Revocations != "refunds-2" || second.Terminal != "office-a" {
				t.Fatalf("second record at the collector: %+v", second)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("records not uploaded: %v / %v", err1, err2)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
