package logfile

import (
	"fmt"
	"os"
	"path/filepath"
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
