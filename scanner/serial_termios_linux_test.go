package scanner

import (
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/tarm/serial"
	"golang.org/x/sys/unix"
)

// TestSerialStopsWhenTermiosReset: the serial source's reads end every
// poll interval, so a cancel, an idle partial line and a vanished device
// are seen without a byte arriving, even when another program resets the
// port's line settings after markd opened it. socat does so to a new pty
// ("raw": VMIN=1, VTIME=0) a moment after its link appears, in about one
// start in five here, and ModemManager probing a new ttyACM port does as
// much; with the read timeout kept in VMIN/VTIME alone, the next read
// then waited for a byte forever and markd could not stop (seen as a
// "Close hangs" in TestSerialUnplugMidLine under load).
func TestSerialStopsWhenTermiosReset(t *testing.T) {
	p := newPtyPair(t)
	src := NewSerial("front", SerialConfig{Port: p.Dev, Idle: 300 * time.Millisecond}, nil, nil)
	scans := runSerial(t, src) // its cleanup fails the test if Serve does not return
	waitFor(t, "port open", func() bool { return src.Health().Up })

	f, err := os.OpenFile(p.Dev, os.O_RDWR|syscall.O_NOCTTY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	tio.Cc[unix.VMIN], tio.Cc[unix.VTIME] = 1, 0 // what socat's "raw" leaves
	if err := unix.IoctlSetTermios(int(f.Fd()), unix.TCSETS, tio); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * DefaultSerialPoll) // the read under way ends; the next starts under VMIN=1

	// An idle partial line is still dropped, with no byte after it.
	p.write("EPM1:HALF")
	waitFor(t, "the partial line dropped after idle", func() bool { return src.Stats().DroppedIdle == 1 })
	p.write("WHOLE\r")
	expectLines(t, scans, "WHOLE")
}

// TestTTYPortInterrupt: a read waiting for a byte under a VMIN=1 that
// another program set (the moment between ttyPort's check and its read)
// ends when the source stops: Interrupt makes it return.
func TestTTYPortInterrupt(t *testing.T) {
	p := newPtyPair(t)
	rw, err := openPort(&serial.Config{Name: p.Dev, Baud: 9600, ReadTimeout: DefaultSerialPoll})
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	port := rw.(*ttyPort)
	tio, err := unix.IoctlGetTermios(port.fd, unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	tio.Cc[unix.VMIN], tio.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(port.fd, unix.TCSETS, tio); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := port.File.Read(make([]byte, 64)) // the read itself, past the check
		done <- err
	}()
	time.Sleep(3 * DefaultSerialPoll) // under way, waiting for a byte
	select {
	case err := <-done:
		t.Fatalf("the read under VMIN=1 returned before the interrupt: %v", err)
	default:
	}
	port.Interrupt()
	select {
	case err := <-done:
		if !errors.Is(err, syscall.EAGAIN) {
			t.Fatalf("interrupted read: %v, want EAGAIN", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Interrupt did not end the read under way")
	}
}
