package daemon

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/config"
	"markd/httpapi"
	"markd/internal/syncbuf"
	"markd/internal/testdata"
	"markd/mark"
	"markd/verify"
)

// TestReloadLists: a good reload swaps the lists, a broken file is refused
// and the old lists stay, and while a signed bundle is in force the config
// files are not read at all.
func TestReloadLists(t *testing.T) {
	dir := testdata.Dir(t)
	tmp := t.TempDir()
	ring := filepath.Join(tmp, "keyring.yaml")
	data, err := os.ReadFile(filepath.Join(dir, "keyring.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ring, data, 0o600); err != nil {
		t.Fatal(err)
	}
	c := config.Config{Keyring: ring, Tariffs: filepath.Join(dir, "tariffs.yaml")}
	v, err := verify.LoadFiles(c.Keyring, c.Tariffs, "")
	if err != nil {
		t.Fatal(err)
	}
	holder := verify.NewHolder(v)
	bundle := uint64(0)
	created := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	var log syncbuf.Buffer
	m := &Main{Config: c, Holder: holder, Metrics: httpapi.NewMetrics(nil), Log: slog.New(slog.NewTextHandler(&log, nil)),
		bundle: func() (uint64, time.Time) { return bundle, created }, lists: listFiles{c.Keyring, c.Tariffs, ""}, inForce: v}

	// A changed, valid keyring (one key dropped) is taken.
	if err := os.WriteFile(ring, []byte(firstKeys(t, data)), 0o600); err != nil {
		t.Fatal(err)
	}
	before := holder.Versions()
	if err := m.ReloadLists("test"); err != nil || holder.Versions() == before {
		t.Fatalf("valid reload not applied (%v): versions %v -> %v", err, before, holder.Versions())
	}
	// While a bundle is in force, even a valid file change is not
	// applied; the reload is not refused for it (nothing failed): it
	// names the bundle, logged at INFO.
	if err := os.WriteFile(ring, data, 0o600); err != nil {
		t.Fatal(err)
	}
	inForce := holder.Versions()
	bundle = 7
	done, err := m.Reload("test")
	if err != nil || done.Lists || done.Bundle == nil || *done.Bundle != (BundleInForce{7, created}) || holder.Versions() != inForce {
		t.Fatalf("reload under a signed bundle: %+v, err %v, versions %v -> %v", done, err, inForce, holder.Versions())
	}
	if r := strings.Join(done.Report(), "\n"); !strings.Contains(r, "signed bundle 7 (created 2026-11-30 12:00 UTC)") || !strings.Contains(r, "not applied") {
		t.Errorf("report under a signed bundle: %q", r)
	}
	if l := log.String(); !strings.Contains(l, `level=INFO msg="reload: the lists of signed bundle 7 are in force; the list files were not applied"`) || strings.Contains(l, "level=WARN") {
		t.Errorf("reload under a signed bundle logged:\n%s", l)
	}
	// A broken file is refused; the lists in force stay.
	bundle = 0
	if err := os.WriteFile(ring, []byte("keys:\n  - id: 1\n    alg: rot13\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := m.ReloadLists("test"); !errors.Is(err, mark.ErrInvalid) || !strings.Contains(err.Error(), ring) || holder.Versions() != inForce {
		t.Fatalf("broken keyring: err %v (must name %s), versions %v", err, ring, holder.Versions())
	}
	// A keyring with a weak Ed25519 key (the identity point: anyone can
	// sign for it) is taken, that key distrusted (spec-audit.md item 10:
	// per key): the reload is not refused, and the key is logged at ERROR
	// naming the file, the key id and why, once for this reload.
	weak := string(data) + "  - {id: 9, alg: ed25519, public: AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=, valid_from: 2025-01-01, valid_until: 2030-12-31}\n"
	if err := os.WriteFile(ring, []byte(weak), 0o600); err != nil {
		t.Fatal(err)
	}
	log.Take()
	if err := m.ReloadLists("test"); err != nil || holder.Versions() == inForce {
		t.Fatalf("weak keyring: err %v, versions %v -> %v; want it taken, key 9 distrusted", err, inForce, holder.Versions())
	}
	if d := holder.Current().Keyring().Distrusted(); len(d) != 1 || !errors.Is(d[0], verify.ErrWeakKey) {
		t.Errorf("weak keyring: distrusted %v, want key 9", d)
	}
	l := log.String()
	if strings.Contains(l, "reload refused") || strings.Count(l, `level=ERROR msg="`+verify.DistrustedMsg+`"`) != 1 {
		t.Errorf("weak keyring: want one ERROR line naming the distrusted key, no refusal:\n%s", l)
	}
	for _, want := range []string{ring, "keys[4] (id 9)", "small order 1"} {
		if !strings.Contains(l, want) {
			t.Errorf("weak keyring: log lacks %q:\n%s", want, l)
		}
	}
}

// firstKeys returns the keyring text with its last key entry cut off.
func firstKeys(t *testing.T, data []byte) string {
	t.Helper()
	s := string(data)
	for i := len(s) - 1; i > 0; i-- {
		if i+6 <= len(s) && s[i:i+6] == "  - id" {
			return s[:i]
		}
	}
	t.Fatal("keyring has no key entries")
	return ""
}

// TestReloadDoesNotReplaceABundle: a reload from the files that meets the
// lists of a signed bundle swapped in since the files' lists were (the
// bundle poller swaps, then records the version: a reload between the two
// saw no bundle) must not put the files' lists over the bundle's.
func TestReloadDoesNotReplaceABundle(t *testing.T) {
	dir := testdata.Dir(t)
	c := config.Config{Keyring: filepath.Join(dir, "keyring.yaml"), Tariffs: filepath.Join(dir, "tariffs.yaml")}
	files, err := verify.LoadFiles(c.Keyring, c.Tariffs, "")
	if err != nil {
		t.Fatal(err)
	}
	holder := verify.NewHolder(files)
	m := &Main{Config: c, Holder: holder, Metrics: httpapi.NewMetrics(nil), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		bundle: func() (uint64, time.Time) { return 0, time.Time{} }, lists: listFiles{c.Keyring, c.Tariffs, ""}, inForce: files}
	bundled := testdata.Verifier(t) // the bundle's lists (another Verifier)
	holder.Swap(bundled)            // the poller's Apply; its version not yet recorded
	if done, err := m.Reload("test"); err != nil || done.Lists || done.Bundle == nil {
		t.Errorf("reload over lists swapped in by the bundle poller: %+v, %v, want the bundle named, no error", done, err)
	}
	if holder.Current() != bundled {
		t.Error("the files' lists replaced the bundle's")
	}
}
