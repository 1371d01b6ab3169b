package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"markd/mark"
)

// TestRunStoreOverwritten copies a backup over a running markd's store
// file in place, the common mistake (`cp backup.db markd.db`; a copy over
// the open file on Windows): the file stays the same one, so the check by
// identity saw nothing. markd went on accepting scans into a mix of the
// backup's pages and its own WAL: a new serial was ACCEPTed after the
// copy, and at the next start the store was malformed. Now the daemon
// sees the store file's header go back (its check a second), every scan
// is ERROR "not recorded", /healthz answers 503 naming what it saw, and
// the log says what happened and what to do.
func TestRunStoreOverwritten(t *testing.T) {
	dir := t.TempDir()
	bin := dmBinary(t)
	cfg := dmConfig(t, dir, "")
	path := filepath.Join(dir, "markd.db")
	initStore(t, path)
	backup, err := os.ReadFile(path) // yesterday's copy, taken while markd was stopped
	if err != nil {
		t.Fatal(err)
	}
	p := dmStart(t, bin, "--config", cfg)
	base := strings.TrimPrefix(p.waitLog(t, listenURL, 0)[0], "url=")
	marks := dmMarks(t, 5, 4_200_000)
	scan := func(text string) runOut { fmt.Fprintln(p.stdin, text); return p.next(t) }
	for _, m := range marks[:3] {
		if o := scan(m); o.Verdict != mark.Accept {
			t.Fatalf("before the store is overwritten: %+v", o)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(backup); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	copied := time.Now()
	p.waitLog(t, regexp.MustCompile(`store's file changed under markd`), 0)
	t.Logf("seen %v after the copy", time.Since(copied).Round(10*time.Millisecond))
	for _, m := range []string{marks[3], marks[0]} {
		o := scan(m)
		if o.Verdict != mark.Error || !strings.Contains(o.Message, "do not accept") || o.ID != "" {
			t.Fatalf("a scan after the store was overwritten: %+v, want ERROR not recorded", o)
		}
	}
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "overwritten") {
		t.Errorf("/healthz after the store was overwritten: %d %s, want 503 saying overwritten", resp.StatusCode, body)
	}
	if log := p.stderr(); !strings.Contains(log, path) || !strings.Contains(log, "overwritten") || !strings.Contains(log, "markd restore") {
		t.Errorf("the log does not name the store, what happened and what to do:\n%s", log)
	}
}
