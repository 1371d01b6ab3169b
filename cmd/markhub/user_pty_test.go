//go:build linux

package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/sys/unix"

	"markd/hub/hubweb"
	"markd/hub/sqlitestore"
	"markd/internal/syncbuf"
	"markd/internal/testdata"
)

// TestUserPasswordPromptsWithoutEcho types the new password on a real
// terminal: markhub user password asks for it naming the account, does
// not echo it, and the password works afterwards.
func TestUserPasswordPromptsWithoutEcho(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "hub.db")
	s, err := sqlitestore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	old, _ := hubweb.HashPassword("old-password-1", bcrypt.MinCost)
	if err := s.AddUser(ctx, "olga", old, time.Now()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	master, slave := testdata.OpenPty(t)
	var screen bytes.Buffer
	copied := make(chan struct{})
	go func() { io.Copy(&screen, master); close(copied) }() //nolint:errcheck // ends when the pty closes
	done := make(chan int, 1)
	var out bytes.Buffer
	errOut := &syncbuf.Buffer{}
	go func() {
		done <- runIO(ctx, []string{"user", "password", "olga", "--db", db}, slave, &out, errOut)
	}()
	for { // type once the terminal is in no-echo mode
		tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		if tio.Lflag&unix.ECHO == 0 {
			break
		}
		if dl, ok := t.Deadline(); ok && time.Until(dl) < 5*time.Second {
			t.Fatal("gave up waiting for the prompt")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := master.Write([]byte("typed-secret-9\n")); err != nil {
		t.Fatal(err)
	}
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	slave.Close()
	master.Close()
	<-copied
	if strings.Contains(screen.String(), "typed-secret-9") {
		t.Fatalf("the password was echoed on the terminal: %q", screen.String())
	}
	if !strings.Contains(errOut.String(), "New password for olga") || !strings.Contains(out.String(), "password of olga changed") {
		t.Fatalf("prompt %q, output %q", errOut.String(), out.String())
	}
	s, err = sqlitestore.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h, err := s.PasswordHash(ctx, "olga")
	if err != nil || bcrypt.CompareHashAndPassword([]byte(h), []byte("typed-secret-9")) != nil {
		t.Fatalf("the typed password does not work (%v)", err)
	}
}
