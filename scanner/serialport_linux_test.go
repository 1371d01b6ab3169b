package scanner

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tarm/serial"
	"golang.org/x/sys/unix"

	"markd/mark"
)

// inEpoll reports whether a descriptor of this process that leads to dev
// is in one of its epoll sets (Go's netpoller has one): each registered
// descriptor is a "tfd:" line in the fdinfo of the epoll descriptor.
func inEpoll(t *testing.T, dev string) bool {
	t.Helper()
	target, err := filepath.EvalSymlinks(dev)
	if err != nil {
		t.Fatal(err)
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range fds {
		if link, _ := os.Readlink("/proc/self/fd/" + e.Name()); link != "anon_inode:[eventpoll]" {
			continue
		}
		f, err := os.Open("/proc/self/fdinfo/" + e.Name())
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 2 || fields[0] != "tfd:" {
				continue
			}
			if _, err := strconv.Atoi(fields[1]); err != nil {
				continue
			}
			if link, _ := os.Readlink("/proc/self/fd/" + fields[1]); link == target {
				f.Close()
				return true
			}
		}
		f.Close()
	}
	return false
}

// TestOpenPortOutsideNetpoller: the descriptor openPort reads is in no
// epoll set, so a line wakes only the read that takes it, and lines still
// arrive through it; tarm's own port is in Go's netpoller (why openPort
// exists), which also shows that the check sees a registration.
func TestOpenPortOutsideNetpoller(t *testing.T) {
	p := newPtyPair(t)
	cfg := &serial.Config{Name: p.Dev, Baud: 9600, ReadTimeout: DefaultSerialPoll}
	tp, err := serial.OpenPort(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !inEpoll(t, p.Dev) {
		t.Error("tarm/serial's port is not in the netpoller: the check cannot see registrations, or tarm changed")
	}
	tp.Close()

	port, err := openPort(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer port.Close()
	if inEpoll(t, p.Dev) {
		t.Fatal("openPort's descriptor is in an epoll set")
	}
	if _, err := p.peer.Write([]byte(epm + "\r")); err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 512)
	for tries := 0; tries < 50 && !strings.Contains(string(got), "\r"); tries++ {
		n, _ := port.Read(buf) // (0, io.EOF) after an idle VTIME
		got = append(got, buf[:n]...)
	}
	if string(got) != epm+"\r" {
		t.Fatalf("read %q, want the line written", got)
	}
}

// TestSerialReadLoopPlaced: the serial read loop judges and commits each
// scan on a thread placed as its Placement says, and follows it when it
// moves (placementCases).
func TestSerialReadLoopPlaced(t *testing.T) {
	testPlacement(t, func(t *testing.T, place *Placement) (func(context.Context, func(mark.Scan)) error, func()) {
		p := newPtyPair(t)
		src := NewSerial("front", SerialConfig{Port: p.Dev, Place: place}, nil, nil)
		opened := false
		return src.Serve, func() {
			if !opened {
				waitFor(t, "port open", func() bool { return src.Health().Up })
				opened = true
			}
			p.write("EPM1:ONE\r")
		}
	})
}

// TestSerialLineSettings: a port set 7E1, 7O1 or 8E1 opens and reads a
// line (the settings themselves: TestSerialPortConfig; a pty keeps CS8
// and no parity whatever it is asked, so they cannot be read back here).
func TestSerialLineSettings(t *testing.T) {
	for _, tt := range []struct {
		parity   string
		dataBits int
	}{{"even", 7}, {"odd", 7}, {"even", 8}} {
		t.Run(fmt.Sprintf("%s %d", tt.parity, tt.dataBits), func(t *testing.T) {
			p := newPtyPair(t)
			src := NewSerial("front", SerialConfig{Port: p.Dev, Parity: tt.parity, DataBits: tt.dataBits}, nil, nil)
			scans := make(chan mark.Scan, 4)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- src.Serve(ctx, func(sc mark.Scan) { scans <- sc }) }()
			defer func() { cancel(); <-done }()
			waitFor(t, "port open", func() bool { return src.Health().Up })
			p.write("EPM1:ONE\r")
			expectLines(t, scans, "EPM1:ONE")
		})
	}
}

// TestSerialBadDataBits: data bits other than 7 or 8 are a configuration
// error naming them, before any port is opened.
func TestSerialBadDataBits(t *testing.T) {
	src := NewSerial("front", SerialConfig{Port: "/dev/null", DataBits: 6}, nil, nil)
	err := src.Serve(context.Background(), func(mark.Scan) {})
	if !errors.Is(err, mark.ErrInvalid) || !strings.Contains(err.Error(), "data bits 6") {
		t.Fatalf("Serve with 6 data bits: %v, want ErrInvalid naming them", err)
	}
}

// exclusive reports whether the tty at path is claimed (claimPort): a
// real line by TIOCEXCL (an open by anyone but root then fails with
// EBUSY; the test runs as root on CI machines too, so it asks the line,
// TIOCGEXCL), a pty by its lock (another open description cannot take
// it).
func exclusive(t *testing.T, path string) bool {
	t.Helper()
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("open %s to ask the line: %v", path, err)
	}
	defer unix.Close(fd)
	v, err := unix.IoctlGetInt(fd, unix.TIOCGEXCL)
	if err != nil {
		t.Fatalf("TIOCGEXCL %s: %v", path, err)
	}
	if v != 0 {
		return true
	}
	switch err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); {
	case errors.Is(err, unix.EWOULDBLOCK):
		return true
	case err != nil:
		t.Fatalf("flock %s: %v", path, err)
	}
	return false
}

// TestSerialClaimsPort: while the source reads a port, the port is the
// source's alone (another reader would take lines or halves of lines, and
// those letters would go unjudged: markd run lost 11 of 20 scans to a
// second reader of its pty). Stopping gives the claim up, and the next
// start of markd opens the port (one killed with SIGKILL gives it up
// too: TestSerialPtyClaimDiesWithProcess).
func TestSerialClaimsPort(t *testing.T) {
	p := newPtyPair(t)
	src := NewSerial("front", SerialConfig{Port: p.Dev}, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	scans := make(chan mark.Scan, 8)
	go func() { done <- src.Serve(ctx, func(s mark.Scan) { scans <- s }) }()
	waitFor(t, "port open", func() bool { return src.Health().Up })
	if !exclusive(t, p.Dev) {
		t.Fatal("port not claimed while the source reads it: another reader can take its lines")
	}
	p.write("CLAIMED\r")
	expectLines(t, scans, "CLAIMED")
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Serve did not return")
	}
	if exclusive(t, p.Dev) {
		t.Fatal("port still claimed after the source stopped: the next open would fail with EBUSY")
	}
}
