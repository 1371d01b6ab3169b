//go:build !windows

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestImportFromPipe: markd import of a named pipe (what `markd import
// <(zcat scans.gz)` gives: /dev/fd/63) reads it as standard input, not
// remembered, every line stored once. Before, the first batch was stored
// and the import then stopped, exit 1, with "read FILE: illegal seek" (it
// hashed the file's bytes at offsets to remember how far it came).
func TestImportFromPipe(t *testing.T) {
	dir := t.TempDir()
	cfg := dmConfig(t, dir, "")
	marks := dmMarks(t, 5, 11_000_000)
	fifo := filepath.Join(dir, "scans.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return // the test has failed already
		}
		defer f.Close()
		f.WriteString(strings.Join(marks, "\n") + "\n")
	}()
	code, out, errs := vtRun(t, "", "import", "--config", cfg, fifo)
	if code != 0 || !strings.Contains(out, "imported 5 scans") || !strings.Contains(errs, "not remembered") {
		t.Fatalf("import of a pipe: exit %d\n%s%s", code, out, errs)
	}
	onceEach(t, dir, marks)
}

// TestImportDirectory: a directory given as FILE is a usage error naming
// it (exit 2), before the store is opened. Before, the store was opened
// (and a new store's history restored) and the import failed, exit 1, at
// "read DIR line 1".
func TestImportDirectory(t *testing.T) {
	dir := t.TempDir()
	cfg := dmConfig(t, dir, "")
	code, out, errs := vtRun(t, "", "import", "--config", cfg, dir)
	if code != exitUsage || !strings.Contains(errs, dir+" is a directory") || strings.Contains(errs, "line 1") {
		t.Fatalf("import of a directory: exit %d\n%s%s", code, out, errs)
	}
}
