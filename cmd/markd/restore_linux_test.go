package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRestoreRefusedWhileOpenElsewhere: markd restore while another
// program has the store open (the sqlite3 shell; a markd import alike)
// exits 1 naming the program, and changes nothing. Its connection would
// have gone on in the file moved aside.
func TestRestoreRefusedWhileOpenElsewhere(t *testing.T) {
	shell, err := exec.LookPath("sqlite3")
	if err != nil {
		t.Skip("no sqlite3 shell")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "markd.db")
	initStore(t, db)
	backup := filepath.Join(t.TempDir(), "backup.db")
	if code, _, errs := vtRun(t, "", "backup", "--db", db, backup); code != 0 {
		t.Fatalf("markd backup: exit %d: %s", code, errs)
	}
	cmd := exec.Command(shell, db)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	outp, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close(); _ = cmd.Wait() })
	fmt.Fprintln(in, "SELECT count(*) FROM scans;")
	if line, err := bufio.NewReader(outp).ReadString('\n'); err != nil || strings.TrimSpace(line) != "0" {
		t.Fatalf("sqlite3 shell: %q %v", line, err)
	}
	code, out, errs := vtRun(t, "", "restore", "--db", db, "--clock", restoreClock, backup)
	if code != 1 || !strings.Contains(errs, "sqlite3") || !strings.Contains(errs, db) {
		t.Fatalf("restore while sqlite3 has the store open: exit %d, stdout %q, stderr %q; want exit 1 naming the store and sqlite3", code, out, errs)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), "before-restore") || strings.Contains(e.Name(), ".restore") {
			t.Errorf("refused restore left %s in the store's folder", e.Name())
		}
	}
}
