package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"markd/internal/testdata"
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
// the log says what happened and what to do. Its stop then wrote the old
// WAL into the copy and the next start ran on the mix; now the stop
// leaves the copy as written and the old log aside, the next start is
// refused (exit 78) and markd restore of the backup is the way back.
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

	// The stop leaves the copy as it was written and the old store's log
	// aside (its checkpoint at close wrote the log into the copy, and the
	// next start ran on the mix); the next start refuses it until a
	// backup is put in place with markd restore.
	p.stop(t)
	if after, _ := os.ReadFile(path); !bytes.Equal(after, backup) {
		t.Error("the stop wrote the old store's log into the copy")
	}
	if m, _ := filepath.Glob(path + ".overwritten-*-wal"); len(m) != 1 {
		t.Errorf("the old store's -wal not set aside: %v", m)
	}
	if runtime.GOOS != "linux" && runtime.GOOS != "windows" {
		return // no WAL state file kept there
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	code, stderr := testdata.RunExit(t, exec.CommandContext(ctx, bin, "run", "--config", cfg, "--clock", testdata.Now().Format(time.RFC3339)))
	t.Logf("markd run after the stop: exit %d: %s", code, stderr)
	if code != 78 || !strings.Contains(stderr, path) || !strings.Contains(stderr, "overwritten in place") || !strings.Contains(stderr, "markd restore") {
		t.Errorf("markd run after the stop: exit %d, want 78 naming the store and markd restore:\n%s", code, stderr)
	}
	// the way back: the backup put in place with markd restore
	bf := filepath.Join(t.TempDir(), "backup.db")
	if err := os.WriteFile(bf, backup, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := testdata.RunExit(t, exec.CommandContext(ctx, bin, "restore", bf, "--config", cfg)); code != 0 {
		t.Fatalf("markd restore: exit %d\n%s", code, out)
	}
	p = dmStart(t, bin, "--config", cfg)
	p.waitLog(t, listenURL, 0)
	p.stop(t)
}
