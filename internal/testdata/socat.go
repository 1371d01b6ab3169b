package testdata

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// SocatDir makes a folder for socat's links that is removed with the
// test. Not t.TempDir(): socat's address syntax breaks on the ',' and
// ':' that subtest names put into that path.
func SocatDir(t testing.TB, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// SocatPair starts socat with a pseudo-terminal pair linked as dir/dev
// (the port markd opens) and dir/peer (the end the test writes into),
// waits until both links exist and the peer opens, and returns the
// device's path and the open peer; both are closed and socat stopped
// when the test ends. The test is skipped where socat is missing; why
// says what needs the pair.
func SocatPair(t testing.TB, dir, dev, peer, why string) (string, *os.File) {
	t.Helper()
	_, f := SocatPlug(t, filepath.Join(dir, dev), filepath.Join(dir, peer), why)
	return filepath.Join(dir, dev), f
}

// SocatPlug is SocatPair on the links' full paths, returning socat's
// process too: a test unplugs the scanner by stopping it (Stop) and plugs
// it in again with another SocatPlug on the same paths. Each socat is
// stopped, and each peer closed, when the test ends (again is harmless).
func SocatPlug(t testing.TB, dev, peer, why string) (*exec.Cmd, *os.File) {
	t.Helper()
	if _, err := exec.LookPath("socat"); err != nil {
		t.Skipf("socat not installed (Debian package socat): %s needs a pty pair", why)
	}
	cmd := exec.Command("socat", "pty,raw,echo=0,link="+dev, "pty,raw,echo=0,link="+peer)
	if err := cmd.Start(); err != nil {
		t.Fatalf("socat: %v", err)
	}
	t.Cleanup(func() { Stop(cmd, syscall.SIGTERM) })
	// socat makes the two links one after the other, and a new pty can
	// answer EIO for a moment while socat still sets it up
	var f *os.File
	Wait(t, 15*time.Second, "socat's links and an open peer", func() bool {
		if _, err := os.Stat(dev); err != nil {
			return false
		}
		var err error
		f, err = os.OpenFile(peer, os.O_RDWR, 0)
		switch {
		case err == nil:
			return true
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.EIO):
			return false
		}
		t.Fatalf("open %s: %v", peer, err)
		return false
	})
	t.Cleanup(func() { f.Close() })
	return cmd, f
}

// Stop sends sig to the process cmd started and reaps it, sending it
// again after a few seconds and killing it after a few more. socat 1.7
// now and then takes a SIGTERM and carries on (its handler defers the
// exit when the signal lands in its own logging; a second one ends it):
// a test waiting for it hung until the suite's timeout.
func Stop(cmd *exec.Cmd, sig os.Signal) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	for _, s := range []os.Signal{sig, sig, os.Kill} {
		_ = cmd.Process.Signal(s)
		select {
		case <-done:
			return
		case <-time.After(5 * time.Second):
		}
	}
	<-done
}
