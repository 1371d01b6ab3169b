package main

import (
	"context"
	"encoding/binary"
	"errors"
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

// TestRunWALDamagedAfterKill: markd run SIGKILLed after accepting scans
// (their commits only in the WAL), then the -wal file deleted, cut short,
// its header zeroed or a frame damaged before the next start: markd run
// refuses the store (exit 78) and markd doctor says so, both naming the
// -wal file, and nothing is touched (the -shm evidence stays). SQLite
// opened such a store without those scans, silently, and markd run
// accepted the same marks again. So with the -wal and the -shm both
// deleted (the WAL state file markd.db.walstate still says open): the
// old markd had no evidence left and started without the scans. A -shm
// of garbage, a deleted -shm or an intact WAL lose nothing: markd run
// starts and the marks come back DUPLICATE_SCAN.
func TestRunWALDamagedAfterKill(t *testing.T) {
	bin := dmBinary(t)
	marks := dmMarks(t, 5, 4_100_000)
	type damage struct {
		name string
		do   func(t *testing.T, db string)
		lost string // in the error; "" = nothing lost
	}
	frameAt := func(t *testing.T, db string, frame int) int64 {
		hdr := make([]byte, 32)
		f, err := os.Open(db + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.ReadAt(hdr, 0); err != nil {
			t.Fatal(err)
		}
		page := int64(binary.BigEndian.Uint32(hdr[8:]))
		return 32 + int64(frame-1)*(24+page)
	}
	for _, c := range []damage{
		{name: "wal deleted", do: func(t *testing.T, db string) { must(t, os.Remove(db+"-wal")) }, lost: "-wal: the file is missing"},
		{name: "wal cut short", do: func(t *testing.T, db string) { must(t, os.Truncate(db+"-wal", frameAt(t, db, 3))) }, lost: "(cut short)"},
		{name: "wal header zeroed", do: func(t *testing.T, db string) { writeAt(t, db+"-wal", 0, make([]byte, 32)) }, lost: "not a WAL header"},
		{name: "wal frame damaged", do: func(t *testing.T, db string) {
			writeAt(t, db+"-wal", frameAt(t, db, 2)+24+100, []byte("damage"))
		}, lost: "frame 2's checksum is wrong"},
		{name: "wal and shm deleted", do: func(t *testing.T, db string) {
			must(t, os.Remove(db+"-wal"))
			must(t, os.Remove(db+"-shm"))
		}, lost: "-shm are both missing"},
		{name: "shm garbage", do: func(t *testing.T, db string) {
			writeAt(t, db+"-shm", 0, []byte(strings.Repeat("garbage!", 4096)))
		}},
		{name: "shm deleted", do: func(t *testing.T, db string) { must(t, os.Remove(db+"-shm")) }},
		{name: "intact", do: func(*testing.T, string) {}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := dmConfig(t, dir, "")
			db := filepath.Join(dir, "markd.db")
			p := dmStart(t, bin, "--config", cfg)
			for _, m := range marks {
				fmt.Fprintln(p.stdin, m)
				if o := p.next(t); o.Verdict != mark.Accept {
					t.Fatalf("first scan: %s", o.Verdict)
				}
			}
			must(t, p.cmd.Process.Kill())
			_ = p.cmd.Wait()
			c.do(t, db)
			shm, _ := os.ReadFile(db + "-shm")
			doctor := exec.Command(bin, "doctor", "--config", cfg)
			dcode, dout := runCombined(t, doctor)
			if c.lost != "" {
				if dcode == 0 || !strings.Contains(dout, c.lost) || !strings.Contains(dout, db+"-wal") {
					t.Errorf("doctor: exit %d, want a failure naming %s-wal and %q:\n%s", dcode, db, c.lost, dout)
				}
				// a bound, not a timed assertion: the old markd ran on
				ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
				defer cancel()
				code, stderr := testdata.RunExit(t, exec.CommandContext(ctx, bin, "run", "--config", cfg, "--clock", testdata.Now().Format(time.RFC3339)))
				if code != 78 || !strings.Contains(stderr, c.lost) || !strings.Contains(stderr, "accepted again") {
					t.Errorf("markd run: exit %d, want 78 and %q:\n%s", code, c.lost, stderr)
				}
				if after, _ := os.ReadFile(db + "-shm"); string(after) != string(shm) {
					t.Errorf("the -shm file was changed: the evidence of the loss is gone")
				}
				return
			}
			if dcode != 0 {
				t.Errorf("doctor: exit %d:\n%s", dcode, dout)
			}
			p = dmStart(t, bin, "--config", cfg)
			for _, m := range marks {
				fmt.Fprintln(p.stdin, m)
				if o := p.next(t); o.Verdict != mark.DuplicateScan {
					t.Errorf("after the restart: %s, want DUPLICATE_SCAN", o.Verdict)
				}
			}
			p.stop(t)
		})
	}
}

// TestRunBesideCommandsWALState: markd backup and markd doctor run
// beside markd run, which is then stopped cleanly: no false alarm. The
// WAL state file says open while the daemon runs (the commands' closes
// beside it leave it so) and closed after its stop, and the next start
// finds every mark (DUPLICATE_SCAN). The old markd kept no state file.
func TestRunBesideCommandsWALState(t *testing.T) {
	bin := dmBinary(t)
	marks := dmMarks(t, 3, 4_200_000)
	dir := t.TempDir()
	cfg := dmConfig(t, dir, "")
	db := filepath.Join(dir, "markd.db")
	state := func() string {
		b, err := os.ReadFile(db + ".walstate")
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimSpace(first)
	}
	p := dmStart(t, bin, "--config", cfg)
	for _, m := range marks {
		fmt.Fprintln(p.stdin, m)
		if o := p.next(t); o.Verdict != mark.Accept {
			t.Fatalf("first scan: %s", o.Verdict)
		}
	}
	for _, args := range [][]string{
		{"backup", filepath.Join(dir, "backup.db"), "--config", cfg},
		{"doctor", "--config", cfg},
	} {
		if code, out := runCombined(t, exec.Command(bin, args...)); code != 0 {
			t.Fatalf("markd %s beside markd run: exit %d\n%s", args[0], code, out)
		}
	}
	if got := state(); got != "open" {
		t.Fatalf("while markd run runs, after the commands beside it: state %q, want open", got)
	}
	p.stop(t)
	if got := state(); got != "closed" {
		t.Fatalf("after the stop: state %q, want closed", got)
	}
	if code, out := runCombined(t, exec.Command(bin, "doctor", "--config", cfg)); code != 0 {
		t.Fatalf("doctor after the stop: exit %d\n%s", code, out)
	}
	p = dmStart(t, bin, "--config", cfg)
	for _, m := range marks {
		fmt.Fprintln(p.stdin, m)
		if o := p.next(t); o.Verdict != mark.DuplicateScan {
			t.Errorf("after the restart: %s, want DUPLICATE_SCAN", o.Verdict)
		}
	}
	p.stop(t)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func writeAt(t *testing.T, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// runCombined runs cmd and returns its exit code and its output.
func runCombined(t *testing.T, cmd *exec.Cmd) (int, string) {
	t.Helper()
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}
