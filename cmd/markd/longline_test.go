package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"markd/mark"
	"markd/store"
)

// TestLongLinesKeepTheirLength: markd import and markd verify --db record a
// line over 4096 bytes cut, with its real length in the message (also
// past the 64 KiB they read of a line), as NOT_A_MARK, or REJECT/MALFORMED
// when it starts like a mark (MARK-FORMAT §7 step 2, as stateless verify).
func TestLongLinesKeepTheirLength(t *testing.T) {
	dir := t.TempDir()
	cfg := dmConfig(t, dir, "")
	noise := strings.Repeat("x", 70_000)
	almost := "EPM1:" + strings.Repeat("A", 5000)
	file := filepath.Join(dir, "scans.txt")
	if err := os.WriteFile(file, []byte(noise+"\n"+almost+"\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := vtRun(t, "", "import", "--config", cfg, file)
	if code != 0 || !strings.Contains(out, "NOT_A_MARK      1") || !strings.Contains(out, "REJECT          1") {
		t.Fatalf("import: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = vtRun(t, noise+"\n"+almost+"\n", "verify", "--config", cfg, "--db", filepath.Join(dir, "markd.db"),
		"--at", "2026-11-25T10:00:00+04:00")
	if code != 0 || strings.Count(out, `"NOT_A_MARK"`) != 1 || strings.Count(out, `"MALFORMED"`) != 1 {
		t.Fatalf("verify --db: exit %d\n%.400s%s", code, out, errs)
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "markd.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	recs, _, err := db.List(context.Background(), store.Filter{})
	if err != nil || len(recs) != 4 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	for _, r := range recs {
		want := fmt.Sprintf("line of %d bytes", len(noise))
		if r.Verdict != mark.NotAMark {
			want = fmt.Sprintf("line of %d bytes", len(almost))
		}
		if len(r.Text) != mark.MaxInputSize || !strings.Contains(r.Message, want) {
			t.Errorf("%s from %s: %d bytes, %q; want %q", r.Verdict, r.Source, len(r.Text), r.Message, want)
		}
	}
}
