package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/internal/testdata"
	"markd/mark"
	"markd/store"
)

// TestImportRefusesScanBeforeIssue: markd import of a file with a line
// stamped before the day before its mark's issue day in UTC+14 (the
// collector's wrong-clock rule, mark.IssueFloor) exits 2 naming file:line
// and the rule, and stores nothing of that line or after it. Before, the
// line was stored, and markd sync had it set aside by the collector
// (sync's TestRecordBeforeIssueSetAside). With the line's at corrected,
// the same command goes on at that line.
func TestImportRefusesScanBeforeIssue(t *testing.T) {
	dir := t.TempDir()
	cfg := dmConfig(t, dir, "")
	marks := dmMarks(t, 4, 5_000_000)
	issued := testdata.ValidMark(0, testdata.Today(nil)).Issued
	early := issued.Time().AddDate(0, 0, -3)
	write := func(at time.Time) string {
		var b strings.Builder
		fmt.Fprintln(&b, marks[0])
		fmt.Fprintln(&b, marks[1])
		fmt.Fprintf(&b, `{"text":%q,"at":%q}`+"\n", marks[2], at.Format(time.RFC3339))
		fmt.Fprintln(&b, marks[3])
		file := filepath.Join(dir, "scans.txt")
		if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		return file
	}
	file := write(early)
	code, out, errs := vtRun(t, "", "import", "--config", cfg, file)
	t.Logf("stderr: %s", errs)
	for _, want := range []string{file + ":3: ", mark.IssueFloor(issued).UTC().Format(time.RFC3339), issued.String(), "UTC+14", "wrong clock",
		"correct line 3 of " + file} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	if code != exitUsage {
		t.Fatalf("import: exit %d, want %d\n%s%s", code, exitUsage, out, errs)
	}
	counts := func() map[mark.Verdict]int {
		db, err := store.Open(context.Background(), filepath.Join(dir, "markd.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		c, err := db.Counts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if c := counts(); c[mark.Accept] != 2 || len(c) != 1 {
		t.Fatalf("store counts %v, want the 2 lines before it", c)
	}
	file = write(issued.Time().Add(10 * time.Hour))
	if code, out, errs = vtRun(t, "", "import", "--config", cfg, file); code != 0 || !strings.Contains(out, "resumed at line 3") {
		t.Fatalf("corrected import: exit %d\n%s%s", code, out, errs)
	}
	if c := counts(); c[mark.Accept] != 4 || len(c) != 1 {
		t.Fatalf("store counts %v, want 4 ACCEPT", c)
	}
}
