package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"markd/internal/cli"
)

// TestRunRefusesNewerStoreForGood: after a downgrade, markd run on a store
// a newer markd migrated exits ExitNoRestart (78) naming the store and
// what to do, the file as it was; the unit does not restart on that code,
// so systemd shows markd failed with that message instead of starting it
// again every 2 s.
func TestRunRefusesNewerStoreForGood(t *testing.T) {
	dir := t.TempDir()
	cfg := dmConfig(t, dir, "")
	path := filepath.Join(dir, "markd.db")
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO schema_migrations(version, name, applied_at) VALUES (999, '999_future.sql', 'x')`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	sum := func() [32]byte {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return sha256.Sum256(b)
	}
	before := sum()
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"run", "--config", cfg, "--quiet"}, strings.NewReader(""), &out, &errb)
	if code != cli.ExitNoRestart {
		t.Errorf("markd run on a newer store: exit %d, want %d (no restart)\n%s", code, cli.ExitNoRestart, errb.String())
	}
	for _, s := range []string{path, "migration 999", "newer than this markd", "hint: run the markd version that upgraded"} {
		if !strings.Contains(errb.String(), s) {
			t.Errorf("message lacks %q:\n%s", s, errb.String())
		}
	}
	if sum() != before {
		t.Error("the refused store file changed")
	}
}
