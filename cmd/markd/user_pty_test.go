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

	"markd/internal/syncbuf"
	"markd/internal/testdata"
	"markd/store"
)

// TestUserAddPromptsWithoutEcho types the password on a real terminal: it
// is asked twice, never echoed, and works afterwards.
func TestUserAddPromptsWithoutEcho(t *testing.T) {
	store.PasswordCost = bcrypt.MinCost
	master, slave := testdata.OpenPty(t)
	db := filepath.Join(t.TempDir(), "markd.db")
	initStore(t, db)
	var screen bytes.Buffer
	copied := make(chan struct{})
	go func() { io.Copy(&screen, master); close(copied) }()
	done := make(chan int, 1)
	var out bytes.Buffer
	errOut := &syncbuf.Buffer{}
	go func() {
		done <- run(context.Background(), []string{"user", "add", "olga", "--role", "supervisor", "--db", db}, slave, &out, errOut)
	}()
	// Type each line once the terminal is in no-echo mode for it.
	for i := 0; i < 2; i++ {
		for {
			tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
			if err != nil {
				t.Fatal(err)
			}
			if tio.Lflag&unix.ECHO == 0 {
				break
			}
			waitABit(t)
		}
		if _, err := master.Write([]byte("typed-secret-9\n")); err != nil {
			t.Fatal(err)
		}
		if i == 0 { // wait for the second prompt before typing again
			for !strings.Contains(errOut.String(), "Again") {
				waitABit(t)
			}
		}
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
	if !strings.Contains(errOut.String(), "Password for olga") || !strings.Contains(errOut.String(), "Again") {
		t.Fatalf("prompts: %q", errOut.String())
	}
	s, err := store.Open(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Authenticate(context.Background(), "olga", "typed-secret-9"); err != nil {
		t.Fatalf("typed password does not work: %v", err)
	}
}

// waitABit sleeps a little, and gives up the test after a generous bound
// (a guard against hanging, not a speed assertion).
func waitABit(t *testing.T) {
	t.Helper()
	if dl, ok := t.Deadline(); ok && time.Until(dl) < 5*time.Second {
		t.Fatal("gave up waiting for the prompt")
	}
	time.Sleep(5 * time.Millisecond)
}
