//go:build wine

package wine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"markd/internal/testdata"
	"markd/mark"
)

// TestWineWALLostAfterKill: markd.exe run killed after accepting scans
// (their commits only in the WAL, the -shm counting them), then its -wal
// deleted before the next start: markd.exe run refuses the store (exit 78)
// and markd.exe doctor says so, both naming the -wal, and the -shm
// evidence stays. Killed with the WAL intact, it starts again and the
// marks come back DUPLICATE_SCAN. On Windows the check never ran (the WAL
// index was taken for in use always): markd.exe run started without the
// scans and accepted the same marks again.
func TestWineWALLostAfterKill(t *testing.T) {
	dir := testdata.Dir(t)
	var marks []string
	for _, v := range testdata.Vectors(t) {
		if v.Verdict == mark.Accept && v.Context.Office == 426000 && v.Context.MeasuredWeightG == 0 && v.Fields != nil {
			marks = append(marks, v.Text)
		}
	}
	if len(marks) < 3 {
		t.Fatalf("the vectors have %d accepted marks of office 426000, want 3", len(marks))
	}
	marks = marks[:3]
	for _, c := range []struct {
		name    string
		walGone bool
	}{
		{name: "wal deleted", walGone: true},
		{name: "intact"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tmp := t.TempDir()
			db := filepath.Join(tmp, "markd.db")
			cfg := filepath.Join(tmp, "markd.yaml")
			yaml := fmt.Sprintf("office: 426000\ncounter: wine-1\nkeyring: '%s'\ntariffs: '%s'\ndb: '%s'\nhttp:\n  listen: 127.0.0.1:0\nlog:\n  format: json\n",
				winPath(filepath.Join(dir, "keyring.yaml")), winPath(filepath.Join(dir, "tariffs.yaml")), winPath(db))
			if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*limit)
			defer cancel()
			markd := withConfig(t, "MARKD_EXE", cfg)
			if out, err := markd("init"); err != nil {
				t.Fatalf("markd.exe init: %v: %s", err, out)
			}
			run := []string{"--config", winPath(cfg), "run", "--clock", "2026-11-25T07:00:00Z"}
			first := startRun(t, command(t, ctx, "MARKD_EXE", run...))
			for _, m := range marks {
				first.scan(t, ctx, m, mark.Accept)
			}
			first.stop() // killed: no checkpoint, no clean close
			shm, err := os.ReadFile(db + "-shm")
			if err != nil {
				t.Fatalf("no WAL index after the kill: %v", err)
			}
			if !c.walGone {
				again := startRun(t, command(t, ctx, "MARKD_EXE", run...))
				for _, m := range marks {
					again.scan(t, ctx, m, mark.DuplicateScan)
				}
				again.stop()
				return
			}
			if err := os.Remove(db + "-wal"); err != nil {
				t.Fatal(err)
			}
			wal := winPath(db) + "-wal"
			out, err := markd("doctor")
			out, code := exitCode(t, "markd.exe doctor", out, err)
			if code == 0 || !strings.Contains(out, wal+": the file is missing") {
				t.Errorf("markd.exe doctor: exit %d, want a failure naming %s and that it is missing:\n%s", code, wal, out)
			}
			// bounded by limit: the old markd.exe ran on
			out, err = markd(run[2:]...)
			out, code = exitCode(t, "markd.exe run", out, err)
			if code != 78 || !strings.Contains(out, wal+": the file is missing") || !strings.Contains(out, "accepted again") {
				t.Errorf("markd.exe run: exit %d, want 78 naming %s:\n%s", code, wal, out)
			}
			if after, err := os.ReadFile(db + "-shm"); err != nil || string(after) != string(shm) {
				t.Errorf("the -shm file was changed (%v): the evidence of the loss is gone", err)
			}
		})
	}
}
