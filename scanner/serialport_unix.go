//go:build unix

package scanner

import (
	"errors"
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
// Each read first waits in poll(2) for at most the read timeout, and says
// (0, io.EOF) when nothing came, as tarm's VTIME read does: the timeout
// must not rest on the line settings alone, which another program may
// reset after the open (socat's "raw" on a new pty, ModemManager probing
// a new ttyACM port: VMIN=1, VTIME=0), and then a read would wait for a
// byte forever, so that markd could neither stop nor drop an idle partial
// line (TestSerialStopsWhenTermiosReset).
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
	ms := -1 // no timeout: block, as tarm does
	if c.ReadTimeout > 0 {
		ms = max(1, int(c.ReadTimeout/time.Millisecond))
	}
	return &polledPort{File: os.NewFile(uintptr(fd), c.Name), ms: ms}, nil
}

// polledPort is a blocking port whose reads wait at most ms for a byte.
type polledPort struct {
	*os.File
	ms int
}

func (p *polledPort) Read(b []byte) (int, error) {
	fds := []unix.PollFd{{Fd: int32(p.Fd()), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, p.ms)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return 0, &os.PathError{Op: "poll", Path: p.Name(), Err: err}
		case n == 0:
			return 0, io.EOF // idle: nothing within the read timeout
		}
		return p.File.Read(b) // readable, hung up or failed: the read says which
	}
}
