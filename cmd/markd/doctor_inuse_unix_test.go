//go:build unix

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestDoctorSerialInUse: a pty a live markd reads is claimed by a lock
// (scanner's claimPort), not refused at its open, so doctor asks for the
// lock first and says the port is in use, without opening it (its line
// settings stay the reader's). Before, doctor opened it and said ok.
func TestDoctorSerialInUse(t *testing.T) {
	dir, err := os.MkdirTemp("", "markd-doctor-") // socat: no ',' in the path
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	pty, _ := socatPty(t, dir)
	dbPath := filepath.Join(dir, "markd.db")
	initStore(t, dbPath)
	cfg := filepath.Join(dir, "markd.yaml")
	if err := os.WriteFile(cfg, []byte("db: "+dbPath+"\nsources:\n  - kind: serial\n    name: front\n    port: "+pty+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	doctor := func() (int, string) {
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{"doctor", "--config", cfg}, strings.NewReader(""), &out, &errOut)
		return code, out.String() + errOut.String()
	}
	if code, out := doctor(); code != 0 || !strings.Contains(out, "front (serial): ok") {
		t.Fatalf("free port: exit %d\n%s", code, out)
	}
	fd, err := unix.Open(pty, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	if code, out := doctor(); code != 1 || !strings.Contains(out, "front (serial): PROBLEM:") || !strings.Contains(out, "in use by another program") {
		t.Fatalf("port held: exit %d, want 1 saying it is in use\n%s", code, out)
	}
}
