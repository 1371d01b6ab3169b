//go:build unix

package scanner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"markd/internal/testdata"
	"markd/mark"
)

// waitLimit bounds every wait of these tests. It is a deadline for
// declaring a failure, not a speed assertion.
const waitLimit = 15 * time.Second

// ptyPair is a socat pseudo-terminal pair: the source opens Dev, the test
// plays the scanner by writing to Peer.
type ptyPair struct {
	t         testing.TB
	Dev, Peer string
	cmd       *exec.Cmd
	peer      *os.File
}

func newPtyPair(t testing.TB) *ptyPair {
	t.Helper()
	if _, err := exec.LookPath("socat"); err != nil {
		t.Skip("socat not installed (Debian package socat): serial tests need pseudo-terminal pairs")
	}
	// Not t.TempDir(): socat's address syntax breaks on the ',' and ':'
	// that subtest names put into that path.
	dir, err := os.MkdirTemp("", "markd-pty-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := &ptyPair{t: t, Dev: filepath.Join(dir, "scanner"), Peer: filepath.Join(dir, "wire")}
	p.start()
	t.Cleanup(p.stop)
	return p
}

// start runs socat and waits until both links exist, then opens the peer.
//
// The links a SIGKILLed socat left behind are removed first: they point at
// /dev/pts numbers the kernel hands out again, on a busy machine often at
// once, so waiting for "the link exists" could open a dead or foreign pty
// (EIO). A replugged device gets a fresh node too. Opening the new peer is
// retried while it answers EIO, which a pty can for a moment while socat
// still sets it up.
func (p *ptyPair) start() {
	p.t.Helper()
	for _, link := range []string{p.Dev, p.Peer} {
		if err := os.Remove(link); err != nil && !errors.Is(err, fs.ErrNotExist) {
			p.t.Fatalf("remove stale link: %v", err)
		}
	}
	p.cmd = exec.Command("socat", "pty,raw,echo=0,link="+p.Dev, "pty,raw,echo=0,link="+p.Peer)
	if err := p.cmd.Start(); err != nil {
		p.t.Fatalf("socat: %v", err)
	}
	var f *os.File
	testdata.Wait(p.t, waitLimit, "socat's links and an open peer", func() bool {
		if _, err := os.Stat(p.Dev); err != nil {
			return false
		}
		var err error
		f, err = os.OpenFile(p.Peer, os.O_RDWR|syscall.O_NOCTTY, 0)
		switch {
		case err == nil:
			return true
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.EIO):
			return false
		}
		p.t.Fatalf("open peer: %v", err)
		return false
	})
	p.peer = f
}

// stop unplugs the scanner: kill (SIGTERM lets socat remove its links,
// SIGKILL leaves them to the kernel) and reap socat.
func (p *ptyPair) kill(sig os.Signal) {
	if p.cmd == nil {
		return
	}
	if p.peer != nil {
		p.peer.Close()
		p.peer = nil
	}
	testdata.Stop(p.cmd, sig)
	p.cmd = nil
	// An unplugged device's node goes with it. A SIGKILLed socat leaves
	// its links pointing at /dev/pts numbers the kernel hands out again
	// (on a machine running make test, often at once to another test's
	// pty): the source's next try could open that foreign pty and count a
	// reconnect no replug made (TestSerialUnplugReplug read 9 of 8 once).
	for _, link := range []string{p.Dev, p.Peer} {
		if err := os.Remove(link); err != nil && !errors.Is(err, fs.ErrNotExist) {
			p.t.Fatalf("remove the unplugged device's link: %v", err)
		}
	}
}

func (p *ptyPair) stop() { p.kill(syscall.SIGTERM) }

func (p *ptyPair) write(s string) {
	p.t.Helper()
	if _, err := p.peer.Write([]byte(s)); err != nil {
		p.t.Fatalf("write to scanner pty: %v", err)
	}
}

// runSerial serves src in the background; scans arrive on the channel.
// Cleanup cancels it and checks that Serve returns (Close does not hang).
func runSerial(t *testing.T, src *Serial) <-chan mark.Scan {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	scans := make(chan mark.Scan, 1024)
	done := make(chan error, 1)
	go func() { done <- src.Serve(ctx, func(s mark.Scan) { scans <- s }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(waitLimit):
			t.Errorf("Serve did not return after cancel: Close hangs")
		}
	})
	return scans
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	testdata.Wait(t, waitLimit, what, cond)
}

func expectLines(t *testing.T, scans <-chan mark.Scan, want ...string) {
	t.Helper()
	for i, w := range want {
		select {
		case s := <-scans:
			if s.Text != w {
				t.Fatalf("line %d = %q, want %q", i, s.Text, w)
			}
		case <-time.After(waitLimit):
			t.Fatalf("line %d (%q) never arrived", i, w)
		}
	}
}

func expectNoMore(t *testing.T, scans <-chan mark.Scan) {
	t.Helper()
	select {
	case s := <-scans:
		t.Fatalf("unexpected extra line %q", s.Text)
	default:
	}
}

func TestSerialFraming(t *testing.T) {
	long := strings.Repeat("X", 100)
	tests := []struct {
		name   string
		term   string
		writes []string
		want   []string
		tooLng int64
	}{
		{"cr only", "", []string{"EPM1:A\rEPM1:B\r", "END\r"}, []string{"EPM1:A", "EPM1:B", "END"}, 0},
		{"crlf", "", []string{"A\r\nB\r\n", "END\r\n"}, []string{"A", "B", "END"}, 0},
		{"split writes", "", []string{"EP", "M1:", "AB", "C\r", "\n", "END\n"}, []string{"EPM1:ABC", "END"}, 0},
		{"noise and aim", "", []string{"\x00\x02]Q1EPM1:Z\x03\r\x11", "END\r"}, []string{"EPM1:Z", "END"}, 0},
		{"over-long cut, resync", "", []string{long, long + "\rOK\r", "END\r"}, []string{long[:64], "OK", "END"}, 1},
		{"custom suffix", `\x03`, []string{"\x02A\x03\x02B", "\x03", "END\x03"}, []string{"A", "B", "END"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPtyPair(t)
			term, err := ParseTerminator(tt.term)
			if err != nil {
				t.Fatal(err)
			}
			src := NewSerial("front", SerialConfig{Port: p.Dev, Terminator: term, MaxLine: 64}, nil, nil)
			scans := runSerial(t, src)
			waitFor(t, "port open", func() bool { return src.Health().Up })
			for _, w := range tt.writes {
				p.write(w)
				time.Sleep(2 * time.Millisecond) // separate reads, so splits reach the framer split
			}
			expectLines(t, scans, tt.want...)
			expectNoMore(t, scans)
			if got := src.Stats().CutTooLong; got != tt.tooLng {
				t.Fatalf("CutTooLong = %d, want %d", got, tt.tooLng)
			}
			if h := src.Health(); h.Scans != int64(len(tt.want)) || h.Kind != "serial" {
				t.Fatalf("health = %+v", h)
			}
		})
	}
}

// TestSerialLongLineCut: a line far longer than any mark (a scanner
// reading a big non-mark code, noise on the cable) is passed on cut to
// max_line with its real length, split over many reads and across the
// default max_line of 4096 bytes; a custom suffix straddling the cut still
// ends it, and the next code comes through whole.
func TestSerialLongLineCut(t *testing.T) {
	tests := []struct {
		name   string
		term   string
		length int
		suffix string
	}{
		{"lf, one byte over", "", DefaultMaxLine + 1, "\n"},
		{"crlf, 200 KiB", "", 200 << 10, "\r\n"},
		{"custom multi-byte suffix", "END", 3*DefaultMaxLine + 7, "END"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPtyPair(t)
			term, err := ParseTerminator(tt.term)
			if err != nil {
				t.Fatal(err)
			}
			src := NewSerial("front", SerialConfig{Port: p.Dev, Terminator: term}, nil, nil)
			scans := runSerial(t, src)
			waitFor(t, "port open", func() bool { return src.Health().Up })
			line := []byte(strings.Repeat("0123456789ABCDEF", tt.length/16+1)[:tt.length])
			line[0] = '\x02' // noise before the cut is cleaned out of the text
			stream := append(line, tt.suffix+"EPM1:NEXT"+tt.suffix...)
			for i := 0; i < len(stream); i += 3000 { // many reads, cut anywhere
				p.write(string(stream[i:min(i+3000, len(stream))]))
			}
			select {
			case s := <-scans:
				if s.Length != tt.length || s.Text != string(line[1:DefaultMaxLine]) {
					t.Fatalf("cut line: %d bytes of text, length %d; want %d bytes, length %d",
						len(s.Text), s.Length, DefaultMaxLine-1, tt.length)
				}
			case <-time.After(waitLimit):
				t.Fatal("the long line never arrived")
			}
			expectLines(t, scans, "EPM1:NEXT")
			if st := src.Stats(); st.CutTooLong != 1 || st.DroppedIdle != 0 {
				t.Fatalf("stats = %+v", st)
			}
		})
	}
}

func TestSerialIdlePartialDropped(t *testing.T) {
	p := newPtyPair(t)
	src := NewSerial("front", SerialConfig{Port: p.Dev, Idle: 300 * time.Millisecond}, nil, nil)
	scans := runSerial(t, src)
	waitFor(t, "port open", func() bool { return src.Health().Up })
	p.write("EPM1:PARTIAL")
	waitFor(t, "idle drop", func() bool { return src.Stats().DroppedIdle == 1 })
	p.write("EPM1:WHOLE\r")
	expectLines(t, scans, "EPM1:WHOLE")
	expectNoMore(t, scans)
}

// TestSerialStrayTerminatorNotIdle: a scanner whose suffix is CRLF on a
// port set to CR (or LFCR on LF) leaves the LF (CR) after each code; when
// the counter then goes quiet that byte is no partial line: no idle drop
// is logged or counted, and the codes come through clean.
func TestSerialStrayTerminatorNotIdle(t *testing.T) {
	tests := []struct{ term, suffix string }{{"CR", "\r\n"}, {"LF", "\n\r"}}
	for _, tt := range tests {
		t.Run(tt.term, func(t *testing.T) {
			p := newPtyPair(t)
			term, err := ParseTerminator(tt.term)
			if err != nil {
				t.Fatal(err)
			}
			idle := 200 * time.Millisecond
			src := NewSerial("front", SerialConfig{Port: p.Dev, Terminator: term, Idle: idle}, nil, nil)
			scans := runSerial(t, src)
			waitFor(t, "port open", func() bool { return src.Health().Up })
			p.write("EPM1:A" + tt.suffix)
			expectLines(t, scans, "EPM1:A")
			time.Sleep(idle + 3*DefaultSerialPoll) // quiet past idle
			p.write("EPM1:B" + tt.suffix)
			expectLines(t, scans, "EPM1:B")
			time.Sleep(idle + 3*DefaultSerialPoll)
			expectNoMore(t, scans)
			if st := src.Stats(); st.DroppedIdle != 0 {
				t.Fatalf("stats = %+v, want no idle drop", st)
			}
		})
	}
}

func TestSerialGlobAndFeedback(t *testing.T) {
	p := newPtyPair(t)
	src := NewSerial("front", SerialConfig{
		Port:     filepath.Join(filepath.Dir(p.Dev), "scan*"),
		GoodBeep: []byte("\x07"), BadBeep: []byte("\x15\x15"),
	}, nil, nil)
	scans := runSerial(t, src)
	waitFor(t, "port open", func() bool { return src.Health().Up })
	p.write("A\r")
	expectLines(t, scans, "A")
	src.Feedback(mark.Accept)
	src.Feedback(mark.Reject)
	got := make([]byte, 0, 3)
	buf := make([]byte, 8)
	deadline := time.Now().Add(waitLimit)
	_ = p.peer.SetReadDeadline(deadline)
	for len(got) < 3 {
		n, err := p.peer.Read(buf)
		if err != nil {
			t.Fatalf("reading beeps: %v (got %q)", err, got)
		}
		got = append(got, buf[:n]...)
	}
	if string(got) != "\x07\x15\x15" {
		t.Fatalf("beeps = %q", got)
	}
}

// TestSerialFeedbackWhileAwayDropped: a beep asked for while the scanner is
// unplugged is skipped, not kept and sent when it is back (where it would
// sound like the verdict of a scan not yet made); beeps after the replug
// arrive.
func TestSerialFeedbackWhileAwayDropped(t *testing.T) {
	p := newPtyPair(t)
	src := NewSerial("front", SerialConfig{Port: p.Dev, GoodBeep: []byte("G"), BadBeep: []byte("B")}, nil, nil)
	scans := runSerial(t, src)
	waitFor(t, "port open", func() bool { return src.Health().Up })
	p.kill(syscall.SIGTERM)
	waitFor(t, "unplug noticed", func() bool { return !src.Health().Up })
	src.Feedback(mark.Accept)
	src.Feedback(mark.Reject)
	p.start()
	p.write("AFTER\r")
	expectLines(t, scans, "AFTER")
	src.Feedback(mark.Reject)
	_ = p.peer.SetReadDeadline(time.Now().Add(waitLimit))
	buf := make([]byte, 8)
	n, err := p.peer.Read(buf)
	if err != nil {
		t.Fatalf("reading beeps: %v", err)
	}
	if got := string(buf[:n]); got != "B" {
		t.Fatalf("scanner got %q after the replug, want only the one beep asked for then (%q)", got, "B")
	}
}

func TestSerialBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  SerialConfig
	}{
		{"parity", SerialConfig{Port: "/dev/null", Parity: "mark"}},
		{"baud", SerialConfig{Port: "/dev/null", Baud: 12345}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := NewSerial("x", tt.cfg, nil, nil).Serve(context.Background(), func(mark.Scan) {})
			if !errors.Is(err, mark.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestPlainDeviceError(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("open: %w", fs.ErrPermission), "add the markd user to the dialout group"},
		{fmt.Errorf("open: %w", fs.ErrNotExist), "not plugged in"},
		{&os.PathError{Op: "open", Path: "/dev/x", Err: syscall.ENOENT}, "not plugged in"},
		{&os.PathError{Op: "open", Path: "/dev/x", Err: syscall.EACCES}, "dialout group"},
		{&os.PathError{Op: "open", Path: "/dev/x", Err: syscall.EBUSY}, "in use by another program"},
		{&os.PathError{Op: "open", Path: "/dev/ttyS3", Err: syscall.EIO}, "does not answer"},
		{&os.PathError{Op: "open", Path: "/tmp/x", Err: syscall.ENOTTY}, "not a serial device"},
		{syscall.EPROTO, "cannot open"},
		{nil, "ok"},
	}
	for _, tt := range tests {
		if got := PlainDeviceError(tt.err, "dialout"); !strings.Contains(got, tt.want) {
			t.Errorf("PlainDeviceError(%v) = %q, want it to contain %q", tt.err, got, tt.want)
		}
	}
}
