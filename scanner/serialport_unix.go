//go:build unix

package scanner

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/tarm/serial"
	"golang.org/x/sys/unix"
)

// openPort opens a serial port for reading scans: tarm/serial sets the
// line (speed, parity, raw mode, the read timeout in VMIN/VTIME), then the
// port is read and written through a second descriptor of the same
// device, blocking and outside Go's netpoller, and tarm's descriptor is
// closed (not the last one, so the line keeps its settings).
//
// tarm/serial opens the device non-blocking through os.OpenFile, so Go
// registers it in its epoll set, and then makes it blocking: every line
// that arrived woke an idle thread of the runtime's netpoller for nothing
// besides the read that takes it (1.9 epoll waits a scan), about half of
// the serial source's extra latency over stdin (docs/notes/perf.md).
// os.NewFile of a blocking descriptor is not put in the netpoller.
//
// The read timeout lives in the line settings (VMIN=0, VTIME), which
// another program may reset after the open: socat's "raw" on a new pty a
// moment after its link appears (8 starts in 40 here), ModemManager
// probing a new ttyACM port. A read under VMIN=1 waits for a byte however
// long, so markd could not stop and an idle partial line was never
// dropped. ttyPort keeps the settings it opened with (checked before the
// first read, after every read that timed out and at most once a second
// while lines come: no system call on a scan's path but then), and its
// Interrupt ends a read under way when the source stops
// (TestSerialStopsWhenTermiosReset). poll(2) before each read would do
// as much, but costs a serial scan ~5 µs of CPU (docs/notes/perf.md).
func openPort(c *serial.Config) (io.ReadWriteCloser, error) {
	p, err := serial.OpenPort(c)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	fd, err := unix.Open(c.Name, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s again to read it: %w", c.Name, err)
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("open %s: make it blocking: %w", c.Name, err)
	}
	// Claim the line: another reader of the same tty (a second markd, a
	// technician's cat or screen) would take whole lines or parts of them,
	// so letters would go unjudged or arrive as halves (claimPort).
	pty, err := claimPort(fd, c.Name)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	port := &ttyPort{File: os.NewFile(uintptr(fd), c.Name), fd: fd, pty: pty}
	if c.ReadTimeout > 0 {
		// tarm's VMIN/VTIME for this timeout, kept with the rest of the
		// line's settings as they are now (or as socat's reset left them:
		// raw too, and the same speed)
		deci := min(max(c.ReadTimeout/(100*time.Millisecond), 1), 255)
		if port.want, err = lineSettings(fd, 0, uint8(deci)); err != nil {
			port.Close()
			return nil, fmt.Errorf("open %s: line settings: %w", c.Name, err)
		}
	}
	return port, nil
}

// ttyPort is a serial port read blocking outside the netpoller, which
// keeps the line settings it was opened with (openPort).
type ttyPort struct {
	*os.File
	fd      int
	pty     bool     // claimed by its lock, not TIOCEXCL (claimPort)
	want    *termios // nil: no read timeout to keep
	idle    bool     // the previous read timed out (or none yet: true below)
	checked time.Time
	started bool
}

func (p *ttyPort) Read(b []byte) (int, error) {
	if p.want != nil {
		if now := time.Now(); !p.started || p.idle || now.Sub(p.checked) >= time.Second {
			p.started, p.checked = true, now
			if err := keepLineSettings(p.fd, p.want); err != nil {
				return 0, &os.PathError{Op: "line settings", Path: p.Name(), Err: err}
			}
		}
	}
	n, err := p.File.Read(b)
	p.idle = n == 0
	return n, err
}

// Close gives up the claim on the line, then closes it. A real line's
// TIOCEXCL is given up explicitly (a line left open elsewhere, a
// descriptor inherited, would keep it); a pty's lock goes with the
// descriptor.
func (p *ttyPort) Close() error {
	if !p.pty {
		_ = unix.IoctlSetInt(p.fd, unix.TIOCNXCL, 0)
	}
	return p.File.Close()
}

// Interrupt ends a read under way and makes every later one return at
// once (the connection is over): the descriptor is made non-blocking and
// the line's readers are woken, so a read waiting for a byte under a
// VMIN=1 someone else set returns EAGAIN.
func (p *ttyPort) Interrupt() {
	_ = unix.SetNonblock(p.fd, true)
	wakeReaders(p.fd)
}
