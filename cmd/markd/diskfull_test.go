package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"markd/mark"
)

// TestRunDiskFull fills a real (tmpfs) disk under markd run's store: scans
// get verdict ERROR with the operator message and /healthz answers 503;
// after space is freed the same mark is accepted. Needs root (mount).
func TestRunDiskFull(t *testing.T) {
	dir := t.TempDir()
	mnt := filepath.Join(dir, "disk")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", mnt).Run() })
	bin := dmBinary(t)
	cfg := dmConfig(t, dir, "")
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.Replace(data, []byte(filepath.Join(dir, "markd.db")), []byte(filepath.Join(mnt, "markd.db")), 1)
	if err := os.WriteFile(cfg, data, 0o600); err != nil {
		t.Fatal(err)
	}
	initStore(t, filepath.Join(mnt, "markd.db"))
	p := dmStart(t, bin, "--config", cfg)
	base := strings.TrimPrefix(p.waitLog(t, listenURL, 0)[0], "url=")
	health := func() int {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	marks := dmMarks(t, 40, 4_000_000)
	scan := func(text string) runOut { fmt.Fprintln(p.stdin, text); return p.next(t) }
	if o := scan(marks[0]); o.Verdict != mark.Accept {
		t.Fatalf("before the disk is full: %s", o.Verdict)
	}
	// fill the disk
	filler, err := os.Create(filepath.Join(mnt, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := filler.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill: %v", err)
			}
			break
		}
	}
	filler.Close()
	var failed string
	for _, m := range marks[1:] { // the WAL grows with each commit until it cannot
		o := scan(m)
		if o.Verdict == mark.Accept {
			continue
		}
		if o.Verdict != mark.Error || !strings.Contains(o.Message, "do not accept") || o.ID != "" {
			t.Fatalf("on a full disk: %+v", o)
		}
		failed = m
		break
	}
	if failed == "" {
		t.Fatal("no scan failed on a full disk")
	}
	if code := health(); code != http.StatusServiceUnavailable {
		t.Errorf("healthz on a full disk: %d, want 503", code)
	}
	if !strings.Contains(p.stderr(), "disk full") {
		t.Errorf("log lacks the disk-full hint")
	}
	if err := os.Remove(filepath.Join(mnt, "filler")); err != nil {
		t.Fatal(err)
	}
	if o := scan(failed); o.Verdict != mark.Accept || o.ID == "" {
		t.Errorf("after freeing space, the mark that failed: %s, want ACCEPT", o.Verdict)
	}
	if code := health(); code != http.StatusOK {
		t.Errorf("healthz after recovery: %d", code)
	}
	p.stop(t)
}

var listenURL = regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+)`)
