package scanner

import (
	"io"

	"github.com/tarm/serial"
)

// openPort opens a serial port with tarm/serial (overlapped I/O on
// Windows; serialport_unix.go says why Unix reads another descriptor).
func openPort(c *serial.Config) (io.ReadWriteCloser, error) {
	p, err := serial.OpenPort(c)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// PortFree: Windows opens a COM port once at a time, so the open itself
// refuses a port in use.
func PortFree(path string) error { return nil }
