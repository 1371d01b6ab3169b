package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"markd/internal/testdata"
	"markd/mark"
)

// TestRunStoreFileCopiedWhileRunning: the store file alone copied with cp
// while markd run has accepted marks (their commits only in its -wal) is
// put where another counter's config names its store. markd doctor says
// what it is and markd run refuses it (exit 78, "copy of the store file
// alone"), changing nothing; the old markd started on it without those
// marks and accepted them again. Put in place with markd restore, which
// says it was copied from a running markd, it opens.
func TestRunStoreFileCopiedWhileRunning(t *testing.T) {
	bin := dmBinary(t)
	marks := dmMarks(t, 3, 4_300_000)
	dir := t.TempDir()
	cfg := dmConfig(t, dir, "")
	db := filepath.Join(dir, "markd.db")
	dir2 := t.TempDir()
	cfg2 := dmConfig(t, dir2, "")
	db2 := filepath.Join(dir2, "markd.db")
	for _, sfx := range []string{"", "-wal", "-shm", ".walstate"} {
		if err := os.Remove(db2 + sfx); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	p := dmStart(t, bin, "--config", cfg)
	for _, m := range marks {
		fmt.Fprintln(p.stdin, m)
		if o := p.next(t); o.Verdict != mark.Accept {
			t.Fatalf("first scan: %s", o.Verdict)
		}
	}
	b, err := os.ReadFile(db)
	must(t, err)
	must(t, os.WriteFile(db2, b, 0o600))
	p.stop(t)

	code, out := runCombined(t, exec.Command(bin, "doctor", "--config", cfg2))
	if code == 0 || !strings.Contains(out, "copy of the store file alone") || !strings.Contains(out, db2+"-wal") {
		t.Errorf("doctor on the copy: exit %d, want a failure naming the copy:\n%s", code, out)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // a bound: the old markd ran on
	defer cancel()
	code, stderr := testdata.RunExit(t, exec.CommandContext(ctx, bin, "run", "--config", cfg2, "--clock", testdata.Now().Format(time.RFC3339)))
	if code != 78 || !strings.Contains(stderr, "copy of the store file alone") || !strings.Contains(stderr, "markd backup") {
		t.Errorf("markd run on the copy: exit %d, want 78 naming the copy:\n%s", code, stderr)
	}
	for _, sfx := range []string{"-wal", "-shm", ".walstate"} {
		if _, err := os.Lstat(db2 + sfx); err == nil {
			t.Errorf("%s made by a refusal", db2+sfx)
		}
	}

	moved := filepath.Join(t.TempDir(), "copied.db")
	must(t, os.Rename(db2, moved))
	code, out = runCombined(t, exec.Command(bin, "restore", moved, "--config", cfg2))
	if code != 0 || !strings.Contains(out, "copied from a store markd had open") {
		t.Fatalf("markd restore of the copy: exit %d, want 0 saying it was copied from a running markd:\n%s", code, out)
	}
	if code, out := runCombined(t, exec.Command(bin, "doctor", "--config", cfg2)); code != 0 {
		t.Errorf("doctor after the restore: exit %d\n%s", code, out)
	}
}
