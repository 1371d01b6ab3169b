//go:build unix

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"markd/mark"
)

// TestRunStoreReplaced moves another store over a running markd's store
// file, as an engineer putting a backup back by hand would. markd went on
// writing to the file it had opened, so the scans it then accepted were
// lost at the next start (found by the store audit); now, once the daemon
// has seen the change (a stat a second), every scan is ERROR "not
// recorded" and the log says what happened and what to do.
func TestRunStoreReplaced(t *testing.T) {
	dir := t.TempDir()
	bin := dmBinary(t)
	cfg := dmConfig(t, dir, "")
	path := filepath.Join(dir, "markd.db")
	initStore(t, path)
	backup := filepath.Join(dir, "backup", "markd.db")
	if err := os.MkdirAll(filepath.Dir(backup), 0o700); err != nil {
		t.Fatal(err)
	}
	initStore(t, backup)
	p := dmStart(t, bin, "--config", cfg)
	p.waitLog(t, listenURL, 0)
	marks := dmMarks(t, 3, 4_100_000)
	scan := func(text string) runOut { fmt.Fprintln(p.stdin, text); return p.next(t) }
	if o := scan(marks[0]); o.Verdict != mark.Accept {
		t.Fatalf("before the store is replaced: %+v", o)
	}
	if err := os.Rename(backup, path); err != nil {
		t.Fatal(err)
	}
	p.waitLog(t, regexp.MustCompile(`store's file changed under markd`), 0)
	for _, m := range marks[1:] {
		o := scan(m)
		if o.Verdict != mark.Error || !strings.Contains(o.Message, "do not accept") || o.ID != "" {
			t.Fatalf("a scan after the store was replaced: %+v, want ERROR not recorded", o)
		}
	}
	if log := p.stderr(); !strings.Contains(log, path) || !strings.Contains(log, "markd restore") {
		t.Errorf("the log does not name the store and what to do:\n%s", log)
	}
}
