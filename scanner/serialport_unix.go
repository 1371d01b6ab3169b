//go:build unix

package scanner

import (
	"fmt"
	"io"
	"os"

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
	return os.NewFile(uintptr(fd), c.Name), nil
}
