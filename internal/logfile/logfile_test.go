package logfile

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestRotate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "logs", "markd.log")
	w, err := Open(path, 100, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ { // 20 records of 30 bytes: 3 a file
		if _, err := fmt.Fprintf(w, "record %02d %s\n", i, strings.Repeat("x", 19)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	cur, one, two := read(path), read(path+".1"), read(path+".2")
	if _, err := os.Stat(path + ".3"); !os.IsNotExist(err) {
		t.Errorf("markd.log.3 exists with keep 2: %v", err)
	}
	for name, s := range map[string]string{"current": cur, ".1": one, ".2": two} {
		if len(s) > 100 || len(s)%30 != 0 || len(s) == 0 {
			t.Errorf("%s: %d bytes, want whole records, at most 100", name, len(s))
		}
	}
	if !strings.HasPrefix(cur, "record 18") || !strings.HasPrefix(one, "record 15") || !strings.HasPrefix(two, "record 12") {
		t.Errorf("order: current %q, .1 %q, .2 %q", cur[:9], one[:9], two[:9])
	}
	// Reopened, it appends to the current file.
	w, err = Open(path, 100, 2)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(w, "again\n")
	w.Close()
	if got := read(path); !strings.HasSuffix(got, "again\n") || !strings.HasPrefix(got, "record 18") {
		t.Errorf("after reopen: %q", got)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("write after Close succeeded")
	}
}

// TestRemovedWhileOpen: markd.log deleted under the running service (a
// cleanup, logrotate without copytruncate) is made again: the lines after
// it land in a new markd.log instead of a deleted file until the size
// limit, and rotation goes on after it.
func TestRemovedWhileOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "markd.log")
	w, err := Open(path, 1000, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	fmt.Fprintf(w, "before\n")
	if err := os.Remove(path); err != nil {
		if runtime.GOOS == "windows" {
			t.Skipf("Windows deletes no file open without delete sharing: %v", err)
		}
		t.Fatal(err)
	}
	for i := range 100 {
		if _, err := fmt.Fprintf(w, "after %03d\n", i); err != nil {
			t.Fatalf("write %d after the file was removed: %v", i, err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no markd.log after %d lines: %v", 100, err)
	}
	if !strings.HasSuffix(string(b), "after 099\n") {
		t.Errorf("new markd.log ends %q", string(b)[max(0, len(b)-20):])
	}
	// Removed again just before a rotation: the writer goes on.
	os.Remove(path)
	for i := range 300 {
		if _, err := fmt.Fprintf(w, "more %03d\n", i); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if b, err := os.ReadFile(path); err != nil || !strings.HasSuffix(string(b), "more 299\n") {
		t.Errorf("markd.log after rotations: %v, ends %q", err, string(b)[max(0, len(b)-20):])
	}
}

// TestRotateBlocked: when markd.log cannot be renamed (on Windows another
// program holding it open; here markd.log.1 a folder in the way), the log
// does not die: the lines go on in markd.log, which is emptied at the
// limit so it does not grow without bound.
func TestRotateBlocked(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "markd.log")
	if err := os.MkdirAll(filepath.Join(path+".1", "in the way"), 0o750); err != nil {
		t.Fatal(err)
	}
	w, err := Open(path, 100, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for i := range 20 { // 20 records of 30 bytes
		if _, err := fmt.Fprintf(w, "record %02d %s\n", i, strings.Repeat("x", 19)); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 100 || !strings.HasSuffix(string(b), "record 19 "+strings.Repeat("x", 19)+"\n") {
		t.Errorf("markd.log: %d bytes, %q", len(b), b)
	}
}
