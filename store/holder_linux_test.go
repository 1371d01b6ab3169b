package store

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"markd/mark"
)

// TestWriteLockedNamesHolder: a write to a store the sqlite3 shell keeps
// in a transaction fails with ErrLocked naming the store's file and the
// shell's process (asked through this process's own descriptors of the
// open store, dropping none of its locks); once the shell is gone the
// store writes again. It failed with "store begin: database is locked"
// and no file or holder.
func TestWriteLockedNamesHolder(t *testing.T) {
	shell, err := exec.LookPath("sqlite3")
	if err != nil {
		t.Skip("no sqlite3 shell")
	}
	db, path := openTest(t, Options{})
	cmd := exec.Command(shell, path)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if _, err := in.Write([]byte("BEGIN IMMEDIATE;\nSELECT 'held';\n")); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || strings.TrimSpace(line) != "held" {
		t.Fatalf("sqlite3: %q %v", line, err)
	}
	write := func() error {
		return db.Write(context.Background(), func(tx *sql.Tx) error {
			_, err := tx.Exec(`INSERT INTO sync_state(key, value) VALUES ('holder-test', 'x')
				ON CONFLICT(key) DO UPDATE SET value = excluded.value`)
			return err
		})
	}
	err = write()
	if !errors.Is(err, ErrLocked) || !errors.Is(err, mark.ErrUnavailable) || !strings.Contains(err.Error(), path) {
		t.Fatalf("write beside the shell's transaction: %v, want ErrLocked naming %s", err, path)
	}
	if h := mark.Hint(err); !strings.Contains(h, "(sqlite3) holds a lock on "+path) {
		t.Errorf("hint %q does not name the sqlite3 shell", h)
	}
	// A scan's save on the writer's own connection names them too (it
	// said "the database is locked by another program: close it").
	rec := scRec(4242, "A", time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC), mark.Accept)
	err = db.Save(context.Background(), rec, 10*time.Minute)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), path) {
		t.Fatalf("scan saved beside the shell's transaction: %v, want ErrLocked naming %s", err, path)
	}
	if h := mark.Hint(err); !strings.Contains(h, "(sqlite3) holds a lock on "+path) {
		t.Errorf("scan's hint %q does not name the sqlite3 shell", h)
	}
	in.Close() // the shell ends, its transaction rolled back
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := write(); err != nil {
		t.Fatalf("write after the shell ended: %v", err)
	}
	var res string
	if err := db.SQL().QueryRow(`PRAGMA quick_check`).Scan(&res); err != nil || res != "ok" {
		t.Errorf("quick_check: %q %v", res, err)
	}
}
